{{ config(meta={'dagster': {'ref': {'name': 'mart_budget_vs_actual'}}}) }}

-- The mart's actuals add up to the invoice facts plus the labour cost of timesheet hours.
with

mart as (
    select
        sum(invoice_actual_amount) as invoices,
        sum(labour_actual_amount) as labour
    from {{ ref('mart_budget_vs_actual') }}
),

invoices as (
    select sum(amount_reporting) as invoices
    from {{ ref('fct_invoice_lines') }}
),

labour as (
    select sum(labour_cost) as labour
    from {{ ref('fct_timesheet_entries') }}
    where is_counted_labour
)

select
    mart.invoices as mart_invoices,
    invoices.invoices as fact_invoices,
    mart.labour as mart_labour,
    labour.labour as fact_labour
from mart
cross join invoices
cross join labour
where
    abs(coalesce(mart.invoices, 0) - coalesce(invoices.invoices, 0)) > 0.05
    or abs(coalesce(mart.labour, 0) - coalesce(labour.labour, 0)) > 0.05
