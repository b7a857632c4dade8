{#- Earned value per project as of the as-of date (pmo-domain 1.2), reporting currency.
    BAC = the project's chosen budget version (see mart_budget_vs_actual), all periods.
    PV  = time-phased budget: each budget line counts with the share of its period elapsed by the
          as-of date (whole past periods fully, the current period pro rata by days).
    EV  = BAC x physical % complete = mean percent complete of the project's work items (Jira
          issues done = 100 %, Planner percentComplete, MS Project % complete), leaving out
          summaries, milestones, epics, RAID items and deleted items.
    AC  = invoice lines dated on or before the as-of date + labour cost of timesheet hours
          worked on or before it (rejected entries excluded).
    Ratios with a zero or missing denominator are NULL, never 0. ETC and VAC follow the typical
    EAC (BAC / CPI). -#}
with

dim_project as (
    select * from {{ ref('dim_project') }}
),

fct_budget_lines as (
    select * from {{ ref('fct_budget_lines') }}
),

dim_fiscal_period as (
    select * from {{ ref('dim_fiscal_period') }}
),

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
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

budget_phased as (
    select
        budget_lines.project_code,
        budget_lines.amount_reporting,
        least(
            greatest(
                cast({{ pmo_datediff('periods.start_date', pmo_as_of_date(), 'day') }} + 1 as decimal(18, 6))
                / cast(
                    {{ pmo_datediff('periods.start_date', 'periods.end_date', 'day') }} + 1 as decimal(18, 6)
                ),
                0
            ),
            1
        ) as elapsed_share
    from fct_budget_lines as budget_lines
    inner join budget_versions
        on
            budget_lines.project_code = budget_versions.project_code
            and budget_lines.budget_version = budget_versions.chosen_version
    inner join dim_fiscal_period as periods on budget_lines.fiscal_period = periods.fiscal_period
),

budget as (
    select
        project_code,
        sum(amount_reporting) as bac,
        sum(amount_reporting * elapsed_share) as pv
    from budget_phased
    group by project_code
),

progress as (
    select
        project_code,
        count(*) as work_item_count,
        avg(cast(percent_complete as decimal(18, 6))) / 100 as percent_complete
    from int_tasks_unioned
    where
        project_code is not null
        and not is_deleted
        and not is_summary
        and not is_milestone
        and lower(work_item_type) not in ('epic', 'risk', 'issue')
    group by project_code
),

invoice_costs as (
    select
        project_code,
        sum(amount_reporting) as invoice_cost
    from fct_invoice_lines
    where invoice_date <= {{ pmo_as_of_date() }}
    group by project_code
),

labour_costs as (
    select
        project_code,
        sum(labour_cost) as labour_cost
    from fct_timesheet_entries
    where
        counts_as_timesheet
        and work_date <= {{ pmo_as_of_date() }}
        and coalesce(approval_status, '') <> 'rejected'
    group by project_code
),

base as (
    select
        projects.project_code,
        projects.project_name,
        projects.status,
        projects.currency as project_currency,
        {{ pmo_as_of_date() }} as as_of_date,
        budget.bac,
        budget.pv,
        progress.work_item_count,
        progress.percent_complete,
        budget.bac * progress.percent_complete as ev,
        coalesce(invoice_costs.invoice_cost, 0) + coalesce(labour_costs.labour_cost, 0) as ac,
        coalesce(invoice_costs.invoice_cost, 0) as ac_invoices,
        coalesce(labour_costs.labour_cost, 0) as ac_labour
    from dim_project as projects
    left join budget on projects.project_code = budget.project_code
    left join progress on projects.project_code = progress.project_code
    left join invoice_costs on projects.project_code = invoice_costs.project_code
    left join labour_costs on projects.project_code = labour_costs.project_code
    where not projects.is_unknown_member
),

indices as (
    select
        *,
        ev - ac as cv,
        ev - pv as sv,
        {{ pmo_ratio('ev', 'ac', 6) }} as cpi,
        {{ pmo_ratio('ev', 'pv', 6) }} as spi
    from base
),

final as (
    select
        project_code,
        project_name,
        status,
        project_currency,
        as_of_date,
        {{ pmo_reporting_currency() }} as reporting_currency,
        work_item_count,
        cast(percent_complete as decimal(9, 6)) as complete_pct,
        {{ pmo_money('bac') }} as bac,
        {{ pmo_money('pv') }} as pv,
        {{ pmo_money('ev') }} as ev,
        {{ pmo_money('ac') }} as ac,
        {{ pmo_money('ac_invoices') }} as ac_invoices,
        {{ pmo_money('ac_labour') }} as ac_labour,
        {{ pmo_money('cv') }} as cv,
        {{ pmo_money('sv') }} as sv,
        {{ pmo_ratio('cv', 'ev', 6) }} as cv_pct,
        {{ pmo_ratio('sv', 'pv', 6) }} as sv_pct,
        cpi,
        spi,
        {{ pmo_ratio('ac', 'bac', 6) }} as spent_pct,
        {{ pmo_money(pmo_ratio('bac', 'cpi', 6)) }} as eac_typical,
        {{ pmo_money('ac + (bac - ev)') }} as eac_atypical,
        {{ pmo_money('ac + ' ~ pmo_ratio('bac - ev', 'cpi * spi', 6)) }} as eac_composite,
        {{ pmo_money(pmo_ratio('bac', 'cpi', 6) ~ ' - ac') }} as etc,
        {{ pmo_money('bac - ' ~ pmo_ratio('bac', 'cpi', 6)) }} as vac,
        {{ pmo_ratio('bac - ev', 'bac - ac', 6) }} as tcpi
    from indices
)

select * from final
