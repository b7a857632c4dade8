-- funds_available must equal budget - (commitments + actuals) on every row of the mart.
select
    project_code,
    fiscal_period,
    cost_type,
    budget_amount,
    commitment_amount,
    actual_amount,
    funds_available
from {{ ref('mart_budget_vs_actual') }}
where
    abs(funds_available - (budget_amount - (commitment_amount + actual_amount))) > 0.01
    or abs(actual_amount - (invoice_actual_amount + labour_actual_amount)) > 0.01
