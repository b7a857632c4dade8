{#- Every compliance exception of every rule (the union of the dq__ models), one row per rule x
    source system x entity, with a locator to the source record: source_item_key (Jira issue key,
    Planner task id, MS Project task UID, finance business key), source_file + source_line for
    file-born records, a Jira browse URL when var jira_site_url is set, and source_locator, the
    same as one line a reviewer can follow. Rule-specific evidence columns stay in the dq__
    models. -#}
{%- set rule_models = [
    'dq__ap_03', 'dq__ap_04', 'dq__ap_08', 'dq__ap_10', 'dq__ap_12', 'dq__ap_13', 'dq__ap_14',
    'dq__ts_03', 'dq__ts_04', 'dq__ts_05', 'dq__ts_08', 'dq__ts_10', 'dq__ts_11', 'dq__ts_12',
    'dq__gv_01', 'dq__gv_02', 'dq__gv_03', 'dq__gv_04', 'dq__gv_05', 'dq__gv_06', 'dq__gv_08',
    'dq__gv_09',
    'dq__gv_10', 'dq__gv_11', 'dq__def_quarantine', 'dq__ap_15', 'dq__ap_16', 'dq__ap_17',
    'dq__ap_18',
] -%}
{%- set jira_site_url = var('jira_site_url', '') | trim | replace("'", "") -%}
with

unioned as (
    {% for rule_model in rule_models %}
        select
            exception_key,
            rule_id,
            severity,
            entity_type,
            entity_key,
            source_system,
            project_code,
            source_item_key,
            source_file,
            source_line,
            evidence,
            detected_at
        from {{ ref(rule_model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        exception_key,
        rule_id,
        severity,
        entity_type,
        entity_key,
        source_system,
        project_code,
        source_item_key,
        source_file,
        source_line,
        {% if jira_site_url %}
            case
                when
                    source_system = 'jira'
                    and entity_type in ('task', 'raid_item', 'time_entry', 'jira_project')
                    then '{{ jira_site_url.rstrip("/") }}/browse/' || source_item_key
            end
        {% else %}
            cast(null as {{ pmo_type_string() }})
        {% endif %} as source_url,
        case
            when source_system = 'jira' and entity_type = 'time_entry'
                then 'Jira issue ' || source_item_key || ', worklog ' || entity_key
            when source_system = 'jira' and entity_type = 'jira_version'
                then 'Jira version ' || source_item_key
            when source_system = 'jira' and entity_type = 'person_day'
                then 'Jira worklogs of account ' || replace(entity_key, '|', ' on ')
            when source_system = 'jira' then 'Jira ' || coalesce(source_item_key, entity_key)
            when source_system = 'planner' and entity_type = 'planner_plan'
                then 'Planner plan ' || coalesce(source_item_key, entity_key)
            when source_system = 'planner' then 'Planner task ' || coalesce(source_item_key, entity_key)
            when source_system = 'msproject' and source_file is not null
                then source_file || ', task UID ' || source_item_key
            when source_line is not null
                then source_file || ', line ' || {{ pmo_to_string('source_line') }}
            when source_system = 'finance' and entity_type = 'project'
                then 'Project registry, project ' || entity_key
            when entity_type = 'person_day'
                then source_system || ' timesheets of ' || replace(entity_key, '|', ' on ')
            else source_system || ' ' || entity_type || ' ' || entity_key
        end as source_locator,
        evidence,
        detected_at
    from unioned
)

select * from final
