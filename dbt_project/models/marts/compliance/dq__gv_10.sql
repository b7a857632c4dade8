{#- GV-10 unmapped source object: a Jira project, Planner plan or MS Project plan with no
    canonical project (no code, or a code the registry does not know). Keys: the Jira project
    key, the Planner plan id, the MS Project file name. -#}
{%- set evidence = [
    ('name', 'source_object_name'),
    ('candidate_code', "coalesce(candidate_project_code, '<none>')"),
] -%}
with

int_projects_identified as (
    select * from {{ ref('int_projects_identified') }}
),

exceptions as (
    select
        source_object_type as entity_type,
        display_key as entity_key,
        source_system,
        'UNMAPPED' as project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        display_key as source_item_key
    from int_projects_identified
    where source_system <> 'finance' and not is_mapped
)

{{ pmo_dq_final('GV-10', evidence=evidence, locators=['source_item_key']) }}
