{#- GV-09 RAG divergence: the PM reports Green while the computed RAG is Red (schedule days late
    or CPI past the Red thresholds of rag_rule_config). -#}
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
        {{ pmo_evidence([
            ('reported', 'reported_rag'),
            ('schedule_rag', 'schedule_rag'),
            ('cost_rag', 'cost_rag'),
            ('days_late', 'schedule_days_late'),
            ('cpi', 'cpi'),
        ]) }} as evidence
    from mart_portfolio_health
    where is_green_but_red and status = 'active'
)

{{ pmo_dq_final('GV-09') }}
