{#- The RAID log a PMO keeps: risks, assumptions, issues, decisions and dependencies. Which
    records count and as what comes from the seed raid_type_map: Jira issue types or the
    raid_category field role, Planner task labels, MS Project task-name prefixes (those two are
    opt-in). Scores come from the Jira field roles risk_probability / risk_impact (1-5); an issue
    (a risk that happened) counts as certain (probability 5). Exposure = probability x impact,
    banded into a severity by the seed raid_severity_thresholds. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('int_people_identified') }}
-- depends_on: {{ ref('int_tasks_unioned') }}
-- depends_on: {{ ref('raid_severity_thresholds') }}
-- depends_on: {{ ref('raid_type_map') }}
-- depends_on: {{ ref('stg_jira__issue_comments') }}
-- depends_on: {{ ref('stg_jira__issue_field_roles') }}
-- depends_on: {{ ref('stg_jira__issue_links') }}
-- depends_on: {{ ref('stg_planner__plan_categories') }}
-- depends_on: {{ ref('stg_planner__tasks') }}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

raid_type_map as (
    select
        source_system,
        match_on,
        lower(source_value) as source_value,
        raid_type
    from {{ ref('raid_type_map') }}
    where is_active
),

raid_severity_thresholds as (
    select * from {{ ref('raid_severity_thresholds') }}
),

{% if pmo_source_enabled('jira') %}
    stg_jira__issue_field_roles as (
        select * from {{ ref('stg_jira__issue_field_roles') }}
    ),

    stg_jira__issue_links as (
        select * from {{ ref('stg_jira__issue_links') }}
    ),

    stg_jira__issue_comments as (
        select * from {{ ref('stg_jira__issue_comments') }}
    ),

    jira_typed as (
        select
            task_rows.task_key,
            coalesce(by_type.raid_type, by_category.raid_type) as raid_type
        from int_tasks_unioned as task_rows
        left join stg_jira__issue_field_roles as issue_roles
            on task_rows.source_task_id = {{ pmo_to_string('issue_roles.issue_id') }}
        left join raid_type_map as by_type
            on
                by_type.source_system = 'jira'
                and by_type.match_on = 'issue_type'
                and lower(task_rows.work_item_type) = by_type.source_value
        left join raid_type_map as by_category
            on
                by_category.source_system = 'jira'
                and by_category.match_on = 'raid_category'
                and lower(trim(issue_roles.raid_category)) = by_category.source_value
        where task_rows.source_system = 'jira'
    ),

    link_counts as (
        select
            {{ pmo_to_string('issue_id') }} as source_task_id,
            count(*) as linked_issue_count,
            sum(case when is_blocked_by then 1 else 0 end) as blocked_by_count
        from stg_jira__issue_links
        group by issue_id
    ),

    comment_counts as (
        select
            {{ pmo_to_string('issue_id') }} as source_task_id,
            count(*) as comment_count,
            max(created_at) as last_comment_at
        from stg_jira__issue_comments
        where not is_deleted
        group by issue_id
    ),
{% endif %}

{% if pmo_source_enabled('planner') %}
    stg_planner__tasks as (
        select * from {{ ref('stg_planner__tasks') }}
    ),

    stg_planner__plan_categories as (
        select * from {{ ref('stg_planner__plan_categories') }}
    ),

    planner_typed as (
        select
            task_rows.task_key,
            min(raid_type_map.raid_type) as raid_type
        from int_tasks_unioned as task_rows
        inner join stg_planner__tasks as planner
            on task_rows.source_task_id = {{ pmo_to_string('planner.task_id') }}
        inner join stg_planner__plan_categories as categories
            on
                planner.plan_id = categories.plan_id
                and ',' || planner.applied_categories || ',' like '%,' || categories.category || ',%'
        inner join raid_type_map
            on
                raid_type_map.source_system = 'planner'
                and raid_type_map.match_on = 'label'
                and lower(trim(categories.category_label)) = raid_type_map.source_value
        where task_rows.source_system = 'planner'
        group by task_rows.task_key
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    msproject_typed as (
        select
            task_rows.task_key,
            min(raid_type_map.raid_type) as raid_type
        from int_tasks_unioned as task_rows
        inner join raid_type_map
            on
                raid_type_map.source_system = 'msproject'
                and raid_type_map.match_on = 'name_prefix'
                and lower(task_rows.task_name) like raid_type_map.source_value || '%'
        where task_rows.source_system = 'msproject'
        group by task_rows.task_key
    ),
{% endif %}

typed as (
    -- an empty, typed start for the optional branches below
    select
        cast(null as {{ pmo_type_string() }}) as task_key,
        cast(null as {{ pmo_type_string() }}) as raid_type
    where 1 = 0
    {% if pmo_source_enabled('jira') %}
        union all
        select
            task_key,
            raid_type
        from jira_typed
        where raid_type is not null
    {% endif %}
    {% if pmo_source_enabled('planner') %}
        union all
        select
            task_key,
            raid_type
        from planner_typed
    {% endif %}
    {% if pmo_source_enabled('msproject') %}
        union all
        select
            task_key,
            raid_type
        from msproject_typed
    {% endif %}
),

raid_tasks as (
    select
        task_rows.*,
        typed.raid_type
    from int_tasks_unioned as task_rows
    inner join typed on task_rows.task_key = typed.task_key
    where not task_rows.is_deleted
),

jira_details as (
    -- an empty, typed start: the columns stay null when Jira is not installed
    select
        cast(null as {{ pmo_type_string() }}) as task_key,
        cast(null as {{ pmo_type_string() }}) as decision_owner_account_id,
        cast(null as {{ pmo_type_string() }}) as mitigation,
        cast(null as {{ pmo_type_string() }}) as cost_center,
        cast(null as date) as target_start_date,
        cast(null as date) as target_end_date,
        cast(null as decimal(18, 4)) as probability_score,
        cast(null as decimal(18, 4)) as impact_score,
        0 as linked_issue_count,
        0 as blocked_by_count,
        0 as comment_count,
        cast(null as {{ pmo_type_timestamp() }}) as last_comment_at
    where 1 = 0
    {% if pmo_source_enabled('jira') %}
        union all
        select
            raid_tasks.task_key,
            issue_roles.decision_owner_account_id,
            issue_roles.mitigation,
            issue_roles.cost_center,
            issue_roles.target_start_date,
            issue_roles.target_end_date,
            case
                when issue_roles.risk_probability_score is not null
                    then issue_roles.risk_probability_score
                when raid_tasks.raid_type = 'issue' and issue_roles.risk_impact_score is not null
                    then 5
            end as probability_score,
            issue_roles.risk_impact_score as impact_score,
            coalesce(link_counts.linked_issue_count, 0) as linked_issue_count,
            coalesce(link_counts.blocked_by_count, 0) as blocked_by_count,
            coalesce(comment_counts.comment_count, 0) as comment_count,
            comment_counts.last_comment_at
        from raid_tasks
        left join stg_jira__issue_field_roles as issue_roles
            on raid_tasks.source_task_id = {{ pmo_to_string('issue_roles.issue_id') }}
        left join link_counts on raid_tasks.source_task_id = link_counts.source_task_id
        left join comment_counts on raid_tasks.source_task_id = comment_counts.source_task_id
        where raid_tasks.source_system = 'jira'
    {% endif %}
),

scored as (
    select
        raid_tasks.*,
        jira_details.decision_owner_account_id,
        jira_details.mitigation,
        jira_details.cost_center,
        jira_details.target_start_date,
        jira_details.target_end_date,
        jira_details.probability_score,
        jira_details.impact_score,
        coalesce(jira_details.linked_issue_count, 0) as linked_issue_count,
        coalesce(jira_details.blocked_by_count, 0) as blocked_by_count,
        coalesce(jira_details.comment_count, 0) as comment_count,
        jira_details.last_comment_at
    from raid_tasks
    left join jira_details on raid_tasks.task_key = jira_details.task_key
),

final as (
    select
        scored.task_key as raid_item_key,
        scored.source_system,
        scored.source_task_id as source_record_id,
        scored.task_display_key as raid_item_display_key,
        scored.raid_type,
        coalesce(scored.project_code, 'UNMAPPED') as project_code,
        scored.task_name as description,
        coalesce(scored.assignee_source_id, scored.decision_owner_account_id) as owner_source_id,
        owners.person_id as owner_person_id,
        coalesce(scored.assignee_source_id, scored.decision_owner_account_id) is not null
            as has_owner,
        scored.decision_owner_account_id as decision_owner_source_id,
        scored.status_raw as status,
        scored.status_category,
        not scored.is_closed as is_open,
        cast(scored.created_at as date) as raised_date,
        coalesce(scored.due_date, scored.target_end_date) as due_date,
        scored.target_start_date,
        scored.completed_date as closed_date,
        not scored.is_closed
        and coalesce(scored.due_date, scored.target_end_date) < {{ pmo_as_of_date() }} as is_overdue,
        {{ pmo_datediff('cast(scored.created_at as date)',
            'coalesce(scored.completed_date, ' ~ pmo_as_of_date() ~ ')', 'day') }} as age_days,
        scored.probability_score,
        scored.impact_score,
        scored.probability_score * scored.impact_score as exposure_score,
        coalesce(thresholds.severity, 'unrated') as severity,
        coalesce(thresholds.severity_rank, 0) as severity_rank,
        scored.mitigation,
        scored.mitigation is not null as has_mitigation,
        scored.cost_center,
        scored.linked_issue_count,
        scored.blocked_by_count,
        scored.comment_count,
        scored.last_comment_at
    from scored
    left join int_people_identified as owners
        on
            scored.source_system = owners.source_system
            and coalesce(scored.assignee_source_id, scored.decision_owner_account_id)
            = owners.source_person_id
    left join raid_severity_thresholds as thresholds
        on
            scored.probability_score * scored.impact_score >= thresholds.min_exposure
            and scored.probability_score * scored.impact_score < thresholds.max_exposure
)

select * from final
