{#- Budget by project x fiscal period x cost type x version (plan grain, kept native), converted
    to the reporting currency at the rate valid on the first day of the period. -#}
with

stg_finance__budget_lines as (
    select * from {{ ref('stg_finance__budget_lines') }}
),

dim_project as (
    select * from {{ ref('dim_project') }}
),

int_fx_rates_ranged as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

lines as (
    select
        budget_line_key,
        {{ pmo_to_string('project_code') }} as project_code_raw,
        {{ pmo_to_string('fiscal_period') }} as fiscal_period,
        {{ pmo_period_start(pmo_to_string('fiscal_period')) }} as period_start_date,
        cost_type,
        budget_version,
        {{ pmo_money('amount') }} as amount,
        upper(trim(currency)) as currency,
        source_file,
        source_line
    from stg_finance__budget_lines
),

final as (
    select
        lines.budget_line_key,
        coalesce(projects.project_code, 'UNMAPPED') as project_code,
        lines.project_code_raw,
        lines.fiscal_period,
        lines.period_start_date,
        lines.cost_type,
        lines.budget_version,
        lines.amount,
        lines.currency,
        fx.rate_to_reporting as fx_rate,
        {{ pmo_money('lines.amount * fx.rate_to_reporting') }} as amount_reporting,
        'finance' as source_system,
        lines.budget_line_key as source_record_id,
        lines.source_file,
        lines.source_line
    from lines
    left join dim_project as projects
        on
            lines.project_code_raw = projects.project_code
            and not projects.is_unknown_member
    left join int_fx_rates_ranged as fx
        on
            lines.currency = fx.currency
            and lines.period_start_date >= fx.valid_from
            and lines.period_start_date < fx.valid_to
)

select * from final
