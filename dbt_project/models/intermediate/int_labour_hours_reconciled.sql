{#- Labour reconciliation (docs/DECISIONS.md): every time record of a timesheet system (finance
    timesheets, Jira worklogs) with whether its hours count towards actual cost and utilization.
    Per person x project x work day, when hours are in more than one time source, only the system
    of record's hours count: the person's override in the seed labour_system_of_record, else the
    project's, else the var `labour_system_of_record` (default 'finance'). A day booked in only one
    source counts as booked. People no crosswalk resolves cannot be matched across sources, so
    their hours always count. Rejected timesheet entries never count. -#}
with

int_time_entries_unioned as (
    select * from {{ ref('int_time_entries_unioned') }}
),

labour_system_of_record as (
    select * from {{ ref('labour_system_of_record') }}
),

entries as (
    select
        time_entry_key,
        source_system,
        person_id,
        project_code,
        work_date,
        hours
    from int_time_entries_unioned
    where
        counts_as_timesheet
        and coalesce(approval_status, '') <> 'rejected'
),

person_days as (
    select
        person_id,
        project_code,
        work_date,
        count(distinct source_system) as source_count,
        sum(case when source_system = 'finance' then hours else 0 end) as finance_hours,
        sum(case when source_system = 'jira' then hours else 0 end) as jira_hours
    from entries
    where person_id is not null and project_code is not null
    group by person_id, project_code, work_date
),

resolved as (
    select
        person_days.*,
        coalesce(
            person_rule.system_of_record,
            project_rule.system_of_record,
            '{{ var("labour_system_of_record", "finance") }}'
        ) as system_of_record
    from person_days
    left join labour_system_of_record as person_rule
        on person_rule.scope = 'person' and person_days.person_id = person_rule.scope_key
    left join labour_system_of_record as project_rule
        on project_rule.scope = 'project' and person_days.project_code = project_rule.scope_key
),

final as (
    select
        entries.time_entry_key,
        entries.source_system,
        entries.person_id,
        entries.project_code,
        entries.work_date,
        entries.hours,
        coalesce(resolved.source_count, 1) > 1 as is_overlapping,
        resolved.system_of_record,
        coalesce(resolved.source_count, 1) = 1
        or entries.source_system = resolved.system_of_record as is_counted
    from entries
    left join resolved
        on
            entries.person_id = resolved.person_id
            and entries.project_code = resolved.project_code
            and entries.work_date = resolved.work_date
)

select * from final
