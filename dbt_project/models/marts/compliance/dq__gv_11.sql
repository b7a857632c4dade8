{#- GV-11 no budget: an active project without current (approved) budget lines. -#}
{%- set evidence = [('status', 'projects.status'), ('stage', 'projects.stage')] -%}
with

dim_project as (
    select * from {{ ref('dim_project') }}
),

fct_budget_lines as (
    select * from {{ ref('fct_budget_lines') }}
),

budgeted as (
    select distinct project_code
    from fct_budget_lines
    where budget_version = 'current'
),

exceptions as (
    select
        'project' as entity_type,
        projects.project_code as entity_key,
        'finance' as source_system,
        projects.project_code,
        {{ pmo_evidence(evidence) }}
            as evidence,
        {{ pmo_evidence_columns(evidence) }},
        projects.project_code as source_item_key
    from dim_project as projects
    left join budgeted on projects.project_code = budgeted.project_code
    where projects.is_active and budgeted.project_code is null
)

{{ pmo_dq_final('GV-11', evidence=evidence, locators=['source_item_key']) }}
