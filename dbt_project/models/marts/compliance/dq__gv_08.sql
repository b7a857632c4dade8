{#- GV-08 RAID hygiene: an open RAID item without an owner. Key: the Jira issue key. -#}
with

fct_raid_items as (
    select * from {{ ref('fct_raid_items') }}
),

exceptions as (
    select
        'raid_item' as entity_type,
        raid_item_display_key as entity_key,
        source_system,
        project_code,
        {{ pmo_evidence([('type', 'raid_type'), ('status', 'status')]) }} as evidence
    from fct_raid_items
    where is_open and not has_owner
)

{{ pmo_dq_final('GV-08') }}
