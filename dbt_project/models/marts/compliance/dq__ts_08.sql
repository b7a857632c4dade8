{#- TS-08 self-approval: the approver of a timesheet entry is its owner. -#}
{%- set evidence = [('person', 'person_email'), ('approver', 'approver_email')] -%}
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
        {{ pmo_evidence(evidence) }}
            as evidence,
        {{ pmo_evidence_columns(evidence) }},
        coalesce(task_display_key, source_record_id) as source_item_key,
        source_file,
        source_line
    from fct_timesheet_entries
    where
        approver_email is not null
        and person_email is not null
        and lower(approver_email) = lower(person_email)
)

{{ pmo_dq_final('TS-08', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
