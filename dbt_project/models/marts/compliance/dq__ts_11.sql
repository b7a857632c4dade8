{#- TS-11 overtime without note: a person-day over `max_hours_without_note` hours in one
    timesheet system where no entry carries a comment. Key as TS-03. -#}
{%- set evidence = [('hours', 'hours')] -%}
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
        sum(case when coalesce(trim(entry_comment), '') <> '' then 1 else 0 end) as commented_entries
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
    where
        hours > {{ pmo_rule_param('TS-11', 'max_hours_without_note') }}
        and commented_entries = 0
)

{{ pmo_dq_final('TS-11', evidence=evidence, locators=['source_item_key']) }}
