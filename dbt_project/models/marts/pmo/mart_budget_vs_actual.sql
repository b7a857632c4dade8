{#- Budget vs actual vs commitments per project x fiscal period x cost type, in the reporting
    currency. Budget = the project's current approved version (original when it has none).
    Actuals = invoice lines (invoice date period) + labour cost of timesheet hours (work date
    period, hours x person cost rate, rejected entries excluded, cost type 'labour'). Commitments
    = open PO amount in the PO date's period; PO lines carry no cost type, so commitments sit
    under the var `commitment_cost_type` (default 'external').
    funds_available = budget - (commitments + actuals). -#}
with

fct_budget_lines as (
    select * from {{ ref('fct_budget_lines') }}
),

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

fct_commitments as (
    select * from {{ ref('fct_commitments') }}
),

budget_versions as (
    select
        project_code,
        case
            when sum(case when budget_version = 'current' then 1 else 0 end) > 0 then 'current'
            else 'original'
        end as chosen_version
    from fct_budget_lines
    group by project_code
),

budget as (
    select
        budget_lines.project_code,
        budget_lines.fiscal_period,
        budget_lines.cost_type,
        sum(budget_lines.amount_reporting) as budget_amount
    from fct_budget_lines as budget_lines
    inner join budget_versions
        on
            budget_lines.project_code = budget_versions.project_code
            and budget_lines.budget_version = budget_versions.chosen_version
    group by budget_lines.project_code, budget_lines.fiscal_period, budget_lines.cost_type
),

invoice_actuals as (
    select
        project_code,
        fiscal_period,
        cost_type,
        sum(amount_reporting) as invoice_amount
    from fct_invoice_lines
    group by project_code, fiscal_period, cost_type
),

labour_actuals as (
    select
        project_code,
        fiscal_period,
        'labour' as cost_type,
        sum(hours) as labour_hours,
        sum(labour_cost) as labour_amount
    from fct_timesheet_entries
    -- One system of record per person x project x day: an hour in two systems counts once.
    where is_counted_labour
    group by project_code, fiscal_period
),

commitments as (
    select
        project_code,
        fiscal_period,
        '{{ var("commitment_cost_type", "external") }}' as cost_type,
        sum(open_amount_reporting) as commitment_amount
    from fct_commitments
    group by project_code, fiscal_period
),

grain as (
    select
        project_code,
        fiscal_period,
        cost_type
    from budget
    union
    select
        project_code,
        fiscal_period,
        cost_type
    from invoice_actuals
    union
    select
        project_code,
        fiscal_period,
        cost_type
    from labour_actuals
    union
    select
        project_code,
        fiscal_period,
        cost_type
    from commitments
),

joined as (
    select
        grain.project_code,
        grain.fiscal_period,
        grain.cost_type,
        {{ pmo_money('coalesce(budget.budget_amount, 0)') }} as budget_amount,
        {{ pmo_money('coalesce(invoice_actuals.invoice_amount, 0)') }} as invoice_actual_amount,
        {{ pmo_money('coalesce(labour_actuals.labour_amount, 0)') }} as labour_actual_amount,
        {{ pmo_hours('coalesce(labour_actuals.labour_hours, 0)') }} as labour_hours,
        {{ pmo_money('coalesce(commitments.commitment_amount, 0)') }} as commitment_amount
    from grain
    left join budget
        on
            grain.project_code = budget.project_code
            and grain.fiscal_period = budget.fiscal_period
            and grain.cost_type = budget.cost_type
    left join invoice_actuals
        on
            grain.project_code = invoice_actuals.project_code
            and grain.fiscal_period = invoice_actuals.fiscal_period
            and grain.cost_type = invoice_actuals.cost_type
    left join labour_actuals
        on
            grain.project_code = labour_actuals.project_code
            and grain.fiscal_period = labour_actuals.fiscal_period
            and grain.cost_type = labour_actuals.cost_type
    left join commitments
        on
            grain.project_code = commitments.project_code
            and grain.fiscal_period = commitments.fiscal_period
            and grain.cost_type = commitments.cost_type
),

final as (
    select
        {{ pmo_surrogate_key(['project_code', 'fiscal_period', 'cost_type']) }}
            as budget_vs_actual_key,
        project_code,
        fiscal_period,
        cost_type,
        budget_amount,
        invoice_actual_amount,
        labour_actual_amount,
        labour_hours,
        {{ pmo_money('invoice_actual_amount + labour_actual_amount') }} as actual_amount,
        commitment_amount,
        {{ pmo_money('budget_amount - (commitment_amount + invoice_actual_amount + labour_actual_amount)') }}
            as funds_available,
        {{ pmo_reporting_currency() }} as reporting_currency
    from joined
)

select * from final
