{#- One row per change request: from the PMO change log file (finance connector, with decision,
    cost and schedule impact) and from Jira issues of type 'Change Request' (status only: Jira
    carries no impact fields by default, so impacts are null and approval follows the status:
    a done status category counts as approved and implemented). -#}
with

stg_finance__change_requests as (
    select * from {{ ref('stg_finance__change_requests') }}
),

dim_task as (
    select * from {{ ref('dim_task') }}
),

dim_project as (
    select * from {{ ref('dim_project') }}
),

from_change_log as (
    select
        'finance' as source_system,
        change_log.change_request_id,
        change_log.project_code as project_code_raw,
        change_log.title,
        change_log.status,
        change_log.status in ('approved', 'implemented') as is_approved,
        change_log.requested_date,
        change_log.requested_by_email,
        change_log.decision_date,
        change_log.decided_by_email,
        change_log.cost_impact,
        coalesce(change_log.currency, projects.currency) as cost_impact_currency,
        change_log.schedule_impact_days,
        change_log.raid_reference,
        change_log.source_row_key as source_record_id
    from stg_finance__change_requests as change_log
    left join dim_project as projects
        on change_log.project_code = projects.project_code and not projects.is_unknown_member
),

from_jira as (
    select
        'jira' as source_system,
        jira_tasks.task_display_key as change_request_id,
        jira_tasks.project_code as project_code_raw,
        jira_tasks.task_name as title,
        case
            when jira_tasks.status_category = 'done' then 'implemented'
            when jira_tasks.status_category = 'cancelled' then 'withdrawn'
            else 'proposed'
        end as status,
        jira_tasks.status_category = 'done' as is_approved,
        cast(jira_tasks.created_at as date) as requested_date,
        cast(null as {{ pmo_type_string() }}) as requested_by_email,
        jira_tasks.completed_date as decision_date,
        cast(null as {{ pmo_type_string() }}) as decided_by_email,
        cast(null as decimal(18, 2)) as cost_impact,
        cast(null as {{ pmo_type_string() }}) as cost_impact_currency,
        cast(null as integer) as schedule_impact_days,
        cast(null as {{ pmo_type_string() }}) as raid_reference,
        jira_tasks.source_record_id
    from dim_task as jira_tasks
    where
        jira_tasks.source_system = 'jira'
        and lower(jira_tasks.work_item_type) = 'change request'
        and not coalesce(jira_tasks.is_deleted, false)
),

unioned as (
    select * from from_change_log
    union all
    select * from from_jira
),

final as (
    select
        {{ pmo_surrogate_key(['unioned.source_system', 'unioned.source_record_id']) }}
            as change_request_key,
        unioned.source_system,
        unioned.change_request_id,
        coalesce(projects.project_key, '-1') as project_key,
        coalesce(projects.project_code, 'UNMAPPED') as project_code,
        unioned.title,
        unioned.status,
        unioned.is_approved,
        unioned.requested_date,
        unioned.requested_by_email,
        unioned.decision_date,
        unioned.decided_by_email,
        unioned.cost_impact,
        unioned.cost_impact_currency,
        unioned.schedule_impact_days,
        unioned.raid_reference,
        unioned.source_record_id
    from unioned
    left join dim_project as projects
        on unioned.project_code_raw = projects.project_code and not projects.is_unknown_member
)

select * from final
