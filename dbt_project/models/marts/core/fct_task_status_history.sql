{#- Status intervals of Jira issues from the changelog (SCD2 shape): one row per status change,
    valid until the next change (open-ended rows run to the as-of date for hours in status).
    The changelog `value` is the status id; the interval's name and category come from the status
    dimension (stg_jira__statuses) by that id - never from an issue's current status, which would
    relabel old intervals and make an incremental sync disagree with a full one. Jira's status
    dimension has no history, so `status_name` is the status's current name (stable across
    renames); `status_name_at_change` keeps the label the changelog recorded at the time. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('int_tasks_unioned') }}
-- depends_on: {{ ref('stg_jira__issue_field_history') }}
-- depends_on: {{ ref('stg_jira__statuses') }}
with

{% if pmo_source_enabled('jira') %}
    stg_jira__issue_field_history as (
        select * from {{ ref('stg_jira__issue_field_history') }}
    ),

    stg_jira__statuses as (
        select * from {{ ref('stg_jira__statuses') }}
    ),
{% endif %}

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

changes as (
    {% if pmo_source_enabled('jira') %}
        select
            {{ pmo_to_string('issue_id') }} as issue_id,
            {{ pmo_to_string('value') }} as status_id,
            {{ pmo_to_string('value_string') }} as status_name_at_change,
            {{ pmo_to_string('author_account_id') }} as changed_by,
            changed_at
        from stg_jira__issue_field_history
        where lower(field_id) = 'status' or lower(field_name) = 'status'
    {% else %}
        select
            cast(null as {{ pmo_type_string() }}) as issue_id,
            cast(null as {{ pmo_type_string() }}) as status_id,
            cast(null as {{ pmo_type_string() }}) as status_name_at_change,
            cast(null as {{ pmo_type_string() }}) as changed_by,
            cast(null as {{ pmo_type_timestamp() }}) as changed_at
        where 1 = 0
    {% endif %}
),

intervals as (
    select
        issue_id,
        status_id,
        status_name_at_change,
        changed_by,
        changed_at as valid_from,
        lead(changed_at) over (partition by issue_id order by changed_at) as valid_to,
        row_number() over (partition by issue_id order by changed_at) as sequence_no
    from changes
),

status_names as (
    {% if pmo_source_enabled('jira') %}
        select
            status_id,
            status_name,
            status_category_key
        from stg_jira__statuses
    {% else %}
        select
            cast(null as {{ pmo_type_string() }}) as status_id,
            cast(null as {{ pmo_type_string() }}) as status_name,
            cast(null as {{ pmo_type_string() }}) as status_category_key
        where 1 = 0
    {% endif %}
),

final as (
    select
        {{ pmo_surrogate_key(["'jira'", 'intervals.issue_id', 'intervals.sequence_no']) }}
            as status_interval_key,
        'jira' as source_system,
        intervals.issue_id || '|' || {{ pmo_to_string('intervals.sequence_no') }} as source_record_id,
        unioned_tasks.task_key,
        unioned_tasks.task_display_key,
        coalesce(unioned_tasks.project_code, 'UNMAPPED') as project_code,
        intervals.status_id,
        coalesce(status_names.status_name, intervals.status_name_at_change, intervals.status_id)
            as status_name,
        intervals.status_name_at_change,
        status_names.status_category_key,
        intervals.changed_by,
        intervals.valid_from,
        intervals.valid_to,
        intervals.sequence_no,
        intervals.valid_to is null as is_current,
        cast({{ pmo_datediff('intervals.valid_from',
            'coalesce(intervals.valid_to, cast(' ~ pmo_as_of_date() ~ ' as ' ~ pmo_type_timestamp() ~ '))',
            'hour') }} as decimal(12, 2)) as hours_in_status
    from intervals
    left join status_names on intervals.status_id = status_names.status_id
    left join int_tasks_unioned as unioned_tasks
        on
            unioned_tasks.source_system = 'jira'
            and intervals.issue_id = unioned_tasks.source_task_id
)

select * from final
