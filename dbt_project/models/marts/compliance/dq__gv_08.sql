{#- GV-08 RAID hygiene: an open RAID item without an owner. Key: the Jira issue key. -#}
{%- set evidence = [('type', 'raid_type'), ('status', 'status')] -%}
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
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        raid_item_display_key as source_item_key
    from fct_raid_items
    where is_open and not has_owner
)

{{ pmo_dq_final('GV-08', evidence=evidence, locators=['source_item_key']) }}
