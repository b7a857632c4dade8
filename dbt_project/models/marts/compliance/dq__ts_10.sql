{#- TS-10 contractor after contract end: time booked by a contractor on a work date after the
    contract end date. -#}
{%- set evidence = [
    ('person', 'people.email'),
    ('work_date', 'entries.work_date'),
    ('contract_end_date', 'people.contract_end_date'),
] -%}
with

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

dim_person as (
    select * from {{ ref('dim_person') }}
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
    inner join dim_person as people on entries.person_key = people.person_key
    where
        entries.counts_as_timesheet
        and people.is_contractor
        and entries.work_date > people.contract_end_date
)

{{ pmo_dq_final('TS-10', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
