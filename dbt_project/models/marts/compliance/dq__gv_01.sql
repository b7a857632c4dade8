{#- GV-01 no sponsor / PM: an active project whose manager or sponsor is missing, unknown to HR
    or inactive. -#}
{%- set evidence = [
    ('manager', "coalesce(manager_email, '<missing>')"),
    ('manager_active', 'is_manager_active'),
    ('sponsor', "coalesce(sponsor_email, '<missing>')"),
    ('sponsor_active', 'is_sponsor_active'),
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
            manager_person_id is null
            or sponsor_person_id is null
            or not is_manager_active
            or not is_sponsor_active
        )
)

{{ pmo_dq_final('GV-01', evidence=evidence, locators=['source_item_key']) }}
