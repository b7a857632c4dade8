{#- GV-03 stale status: an active project whose last status report is more than `stale_days`
    before the as-of date (or that never reported). -#}
{%- set evidence = [
    ('last_status_date', "coalesce(" ~ pmo_to_string('last_status_date') ~ ", '<never>')"),
    ('days_since', pmo_datediff('last_status_date', pmo_as_of_date(), 'day')),
] -%}
with

dim_project as (
    select * from {{ ref('dim_project') }}
),

exceptions as (
    select
        'project' as entity_type,
        project_code as entity_key,
        'finance' as source_system,
        project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        project_code as source_item_key
    from dim_project
    where
        is_active
        and (
            last_status_date is null
            or {{ pmo_datediff('last_status_date', pmo_as_of_date(), 'day') }}
            > {{ pmo_rule_param('GV-03', 'stale_days') }}
        )
)

{{ pmo_dq_final('GV-03', evidence=evidence, locators=['source_item_key']) }}
