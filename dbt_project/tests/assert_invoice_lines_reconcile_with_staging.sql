{{ config(meta={'dagster': {'ref': {'name': 'fct_invoice_lines'}}}) }}

-- Every staged invoice line lands in fct_invoice_lines exactly once, with the same amount total.
with

staged as (
    select
        count(*) as line_count,
        sum(amount) as amount_total
    from {{ ref('stg_finance__invoice_lines') }}
),

facts as (
    select
        count(*) as line_count,
        sum(amount) as amount_total
    from {{ ref('fct_invoice_lines') }}
)

select
    staged.line_count as staged_lines,
    facts.line_count as fact_lines,
    staged.amount_total as staged_amount,
    facts.amount_total as fact_amount
from staged
cross join facts
where staged.line_count <> facts.line_count or staged.amount_total <> facts.amount_total
