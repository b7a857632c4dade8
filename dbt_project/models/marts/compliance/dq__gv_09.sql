{#- GV-09 RAG divergence: the PM reports Green while the computed RAG is Red (schedule days late
    or CPI past the Red thresholds of rag_rule_config). -#}
{%- set evidence = [
    ('reported', 'reported_rag'),
    ('schedule_rag', 'schedule_rag'),
    ('cost_rag', 'cost_rag'),
    ('days_late', 'schedule_days_late'),
    ('cpi', 'cpi'),
] -%}
with

mart_portfolio_health as (
    select * from {{ ref('mart_portfolio_health') }}
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
    from mart_portfolio_health
    where is_green_but_red and status = 'active'
)

{{ pmo_dq_final('GV-09', evidence=evidence, locators=['source_item_key']) }}
