{#- GV-10 unmapped source object: a Jira project, Planner plan or MS Project plan with no
    canonical project (no code, or a code the registry does not know). Keys: the Jira project
    key, the Planner plan id, the MS Project file name. The object is also a tool-born project of
    its own (dim_project) and the exception points at it, so the exception says it is missing from the registry, not from the
    marts. Without the finance source there is no registry to be missing from: no exceptions. -#}
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
        project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        display_key as source_item_key
    from int_projects_identified
    where
        source_system <> 'finance'
        and not is_mapped
        and {{ 'true' if pmo_source_enabled('finance') else 'false' }}
)

{{ pmo_dq_final('GV-10', evidence=evidence, locators=['source_item_key']) }}
