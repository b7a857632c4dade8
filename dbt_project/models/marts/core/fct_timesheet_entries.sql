{#- One row per source time record (Jira worklog, finance timesheet entry, MS Project timephased
    actual) with the canonical person and project, the fiscal period and ISO week of the work
    date, and labour cost at the person's cost rate (cost rates are in the reporting currency).
    `is_counted_labour` (int_labour_hours_reconciled) says whether the hours count towards actual
    cost and utilization: one system of record per person x project x day. -#}
with

int_time_entries_unioned as (
    select * from {{ ref('int_time_entries_unioned') }}
),

dim_person as (
    select * from {{ ref('dim_person') }}
),

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

int_labour_hours_reconciled as (
    select * from {{ ref('int_labour_hours_reconciled') }}
),

final as (
    select
        entries.time_entry_key,
        entries.source_system,
        entries.source_record_id,
        entries.person_source_id,
        coalesce(people.person_key, '-1') as person_key,
        entries.person_id,
        entries.person_email,
        coalesce(entries.project_code, 'UNMAPPED') as project_code,
        entries.project_code_raw,
        unioned_tasks.task_key,
        unioned_tasks.task_display_key,
        entries.work_date,
        {{ pmo_fiscal_period('entries.work_date') }} as fiscal_period,
        {{ pmo_dateadd('day', '1 - cast(extract(isodow from entries.work_date) as integer)',
            'entries.work_date') }} as iso_week_start,
        entries.hours,
        people.cost_rate,
        {{ pmo_money('entries.hours * people.cost_rate') }} as labour_cost,
        entries.entry_comment,
        entries.approval_status,
        entries.submitted_at,
        entries.approver_email,
        entries.started_at,
        entries.created_at,
        entries.counts_as_timesheet,
        coalesce(reconciled.is_counted, false) as is_counted_labour,
        coalesce(reconciled.is_overlapping, false) as is_overlapping_labour,
        reconciled.system_of_record as labour_system_of_record,
        entries.source_file,
        entries.source_line
    from int_time_entries_unioned as entries
    left join dim_person as people on entries.person_id = people.person_id
    left join int_labour_hours_reconciled as reconciled
        on entries.time_entry_key = reconciled.time_entry_key
    left join int_tasks_unioned as unioned_tasks
        on
            entries.source_system = unioned_tasks.source_system
            and entries.source_task_id = unioned_tasks.source_task_id
)

select * from final
