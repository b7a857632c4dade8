{#- GV-02 no baseline: an in-flight project (not closed, stage delivery or later) without a
    baseline 0. -#}
{%- set evidence = [('stage', 'stage'), ('status', 'status')] -%}
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
    where is_open and stage in ('delivery', 'closure') and not has_baseline
)

{{ pmo_dq_final('GV-02', evidence=evidence, locators=['source_item_key']) }}
