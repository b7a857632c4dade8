{#- GV-04 overdue milestone: not complete and its (baseline) finish before the as-of date. Keys
    as fct_milestones shows them: <plan file>|<task UID> (MS Project), version id (Jira). -#}
{%- set evidence = [
    ('milestone', 'milestone_name'),
    ('baseline_finish', 'baseline_finish_date'),
    ('forecast_finish', 'forecast_finish_date'),
    ('days_late', 'days_late'),
    ('days_old', 'days_old'),
] -%}
with

fct_milestones as (
    select * from {{ ref('fct_milestones') }}
),

exceptions as (
    select
        milestone_type as entity_type,
        milestone_display_key as entity_key,
        source_system,
        project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        case
            when source_system = 'msproject' then split_part(milestone_display_key, '|', 2)
            else milestone_display_key
        end as source_item_key,
        case
            when source_system = 'msproject' then split_part(milestone_display_key, '|', 1)
        end as source_file
    from fct_milestones
    where is_overdue
)

{{ pmo_dq_final('GV-04', evidence=evidence, locators=['source_item_key', 'source_file']) }}
