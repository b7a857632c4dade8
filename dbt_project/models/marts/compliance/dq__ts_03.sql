{#- TS-03 excess hours: more than `max_hours_per_day` booked by one person on one day in one
    timesheet system (Jira worklogs per account, finance timesheets per email). Key
    <person id in that system>|<work date>. -#}
{%- set evidence = [('hours', 'hours'), ('entries', 'entry_count')] -%}
with

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

person_days as (
    select
        source_system,
        person_source_id,
        work_date,
        min(project_code) as project_code,
        sum(hours) as hours,
        count(*) as entry_count
    from fct_timesheet_entries
    where counts_as_timesheet and person_source_id is not null
    group by source_system, person_source_id, work_date
),

exceptions as (
    select
        'person_day' as entity_type,
        person_source_id || '|' || {{ pmo_to_string('work_date') }} as entity_key,
        source_system,
        project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        person_source_id || '|' || {{ pmo_to_string('work_date') }} as source_item_key
    from person_days
    where hours > {{ pmo_rule_param('TS-03', 'max_hours_per_day') }}
)

{{ pmo_dq_final('TS-03', evidence=evidence, locators=['source_item_key']) }}
