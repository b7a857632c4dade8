{#- GV-02 no baseline: an in-flight project (not closed, stage delivery or later) without a
    baseline 0. -#}
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
        {{ pmo_evidence([('stage', 'stage'), ('status', 'status')]) }} as evidence
    from dim_project
    where is_open and stage in ('delivery', 'closure') and not has_baseline
)

{{ pmo_dq_final('GV-02') }}
