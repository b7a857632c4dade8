{#- TS-12 labour recorded twice: the same person booked the same project and day in more than one
    time source (finance timesheets and Jira worklogs). Only the system of record's hours count in
    actual cost (int_labour_hours_reconciled); this rule reports the overlap so it gets cleaned
    up at the source. One row per person x project x day, keyed person email|project|work date. -#}
{%- set evidence = [
    ('finance_hours', 'finance_hours'),
    ('jira_hours', 'jira_hours'),
    ('system_of_record', 'system_of_record'),
] -%}
with

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

double_booked_days as (
    select
        person_id,
        max(person_email) as person_email,
        project_code,
        work_date,
        max(labour_system_of_record) as system_of_record,
        sum(case when source_system = 'finance' then hours else 0 end) as finance_hours,
        sum(case when source_system = 'jira' then hours else 0 end) as jira_hours
    from fct_timesheet_entries
    where is_overlapping_labour
    group by person_id, project_code, work_date
),

exceptions as (
    select
        'person_project_day' as entity_type,
        coalesce(person_email, person_id) || '|' || project_code || '|' || {{ pmo_to_string('work_date') }}
            as entity_key,
        'finance' as source_system,
        project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        coalesce(person_email, person_id) || '|' || {{ pmo_to_string('work_date') }}
            as source_item_key
    from double_booked_days
)

{{ pmo_dq_final('TS-12', evidence=evidence, locators=['source_item_key']) }}
