{#- TS-05 time on a closed or non-chargeable project: work date after the project's close date,
    or a project flagged not chargeable that has no close date. -#}
{%- set evidence = [
    ('work_date', 'entries.work_date'),
    ('closed_date', 'projects.closed_date'),
    ('project_status', 'projects.status'),
] -%}
with

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

dim_project as (
    select * from {{ ref('dim_project') }}
),

exceptions as (
    select
        'time_entry' as entity_type,
        entries.source_record_id as entity_key,
        entries.source_system,
        entries.project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        coalesce(entries.task_display_key, entries.source_record_id) as source_item_key,
        entries.source_file,
        entries.source_line
    from fct_timesheet_entries as entries
    inner join dim_project as projects
        on
            entries.project_code = projects.project_code
            and not projects.is_unknown_member
    where
        entries.counts_as_timesheet
        and (
            entries.work_date > projects.closed_date
            or (not projects.is_chargeable and projects.closed_date is null)
        )
)

{{ pmo_dq_final('TS-05', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
