{#- TS-04 future-dated time: work date after the as-of date, or after the day the entry was
    submitted (finance) or created (Jira). Key: the source record id (entry id, worklog id). -#}
{%- set evidence = [
    ('work_date', 'work_date'),
    ('submitted_at', 'submitted_at'),
    ('created_at', 'created_at'),
] -%}
with

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

exceptions as (
    select
        'time_entry' as entity_type,
        source_record_id as entity_key,
        source_system,
        project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        coalesce(task_display_key, source_record_id) as source_item_key,
        source_file,
        source_line
    from fct_timesheet_entries
    where
        counts_as_timesheet
        and (
            work_date > {{ pmo_as_of_date() }}
            or work_date > cast(submitted_at as date)
            or work_date > cast(created_at as date)
        )
)

{{ pmo_dq_final('TS-04', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
