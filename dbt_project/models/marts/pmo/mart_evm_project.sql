{#- Earned value per project as of the as-of date (pmo-domain 1.2, PMBOK / ANSI-EIA-748), in the
    reporting currency.
    BAC, PV  from the project's time-phased baseline (int_evm_planned_value_daily, `pv_method`):
             the MS Project baseline spread over working days, else the budget lines spread over
             each fiscal period's working days. PV = planned value of working days up to and
             including the as-of date.
    EV       BAC x budget-weighted % complete of the leaf work items (int_evm_project_progress,
             `ev_method`).
    AC       invoice lines dated on or before the as-of date + labour cost of the reconciled hours
             (fct_timesheet_entries.is_counted_labour: one system of record per person/project/day, so an hour
             booked in two systems counts once).
    CV, SV, CPI, SPI, EAC (typical BAC/CPI, atypical AC + (BAC - EV), composite
    AC + (BAC - EV)/(CPI x SPI)), ETC and VAC (both following the typical EAC) and TCPI are computed
    from unrounded values and rounded once here: money to cents, ratios to 6 places.
    Earned schedule (Lipke 2003, ISO 21508) in working days of the baseline: ES = C + (EV - PV_C) /
    (PV_C+1 - PV_C) with C the last working day whose cumulative PV <= EV; AT = working days from
    the baseline start to the as-of date; SV(t) = ES - AT; SPI(t) = ES / AT; IEAC(t) = PD / SPI(t);
    the forecast finish is working day ceil(IEAC(t)) counted from the baseline start.
    Ratios with a zero or missing denominator are NULL, never 0. -#}
with

dim_project as (
    select * from {{ ref('dim_project') }}
),

dim_date as (
    select * from {{ ref('dim_date') }}
),

int_evm_planned_value_daily as (
    select * from {{ ref('int_evm_planned_value_daily') }}
),

int_evm_project_progress as (
    select * from {{ ref('int_evm_project_progress') }}
),

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
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
    where is_counted_labour and work_date <= {{ pmo_as_of_date() }}
    group by project_code
),

working_days as (
    select
        date_day,
        row_number() over (order by date_day) as working_day_ordinal
    from dim_date
    where is_working_day
),

as_of_ordinal as (
    select max(working_day_ordinal) as working_day_ordinal
    from working_days
    where date_day <= {{ pmo_as_of_date() }}
),

plan_curve as (
    select
        planned.project_code,
        planned.pv_method,
        planned.date_day,
        working_days.working_day_ordinal,
        sum(planned.planned_value) over (
            partition by planned.project_code
            order by planned.date_day
            rows between unbounded preceding and current row
        ) as cumulative_pv
    from int_evm_planned_value_daily as planned
    inner join working_days on planned.date_day = working_days.date_day
),

plan_bounds as (
    select
        project_code,
        max(pv_method) as pv_method,
        min(date_day) as plan_start_date,
        max(date_day) as plan_finish_date,
        min(working_day_ordinal) as start_ordinal,
        max(working_day_ordinal) as finish_ordinal,
        max(cumulative_pv) as bac
    from plan_curve
    group by project_code
),

planned_to_date as (
    select
        plan_curve.project_code,
        coalesce(
            max(case when plan_curve.date_day <= {{ pmo_as_of_date() }} then plan_curve.cumulative_pv end), 0
        ) as pv
    from plan_curve
    group by plan_curve.project_code
),

base as (
    select
        projects.project_code,
        projects.project_name,
        projects.status,
        projects.currency as project_currency,
        plan_bounds.pv_method,
        progress.ev_method,
        progress.work_item_count,
        progress.earned_pct,
        plan_bounds.plan_start_date,
        plan_bounds.plan_finish_date,
        plan_bounds.start_ordinal,
        plan_bounds.finish_ordinal - plan_bounds.start_ordinal + 1 as planned_duration_days,
        plan_bounds.bac,
        planned_to_date.pv,
        plan_bounds.bac * progress.earned_pct as ev,
        coalesce(invoice_costs.invoice_cost, 0) + coalesce(labour_costs.labour_cost, 0) as ac,
        coalesce(invoice_costs.invoice_cost, 0) as ac_invoices,
        coalesce(labour_costs.labour_cost, 0) as ac_labour,
        case
            when plan_bounds.start_ordinal is null then null
            else greatest(as_of_ordinal.working_day_ordinal - plan_bounds.start_ordinal + 1, 0)
        end as actual_time_days
    from dim_project as projects
    cross join as_of_ordinal
    left join plan_bounds on projects.project_code = plan_bounds.project_code
    left join planned_to_date on projects.project_code = planned_to_date.project_code
    left join int_evm_project_progress as progress on projects.project_code = progress.project_code
    left join invoice_costs on projects.project_code = invoice_costs.project_code
    left join labour_costs on projects.project_code = labour_costs.project_code
    where not projects.is_unknown_member
),

-- Earned schedule: the first working day of the plan whose cumulative PV exceeds EV, and the
-- cumulative PV of the day before it (0 before the plan starts).
curve_steps as (
    select
        plan_curve.project_code,
        plan_curve.working_day_ordinal,
        plan_curve.cumulative_pv,
        coalesce(
            lag(plan_curve.cumulative_pv) over (
                partition by plan_curve.project_code order by plan_curve.working_day_ordinal
            ),
            0
        ) as previous_cumulative_pv
    from plan_curve
),

first_unearned_day as (
    select
        curve_steps.project_code,
        min(curve_steps.working_day_ordinal) as working_day_ordinal
    from curve_steps
    inner join base on curve_steps.project_code = base.project_code
    where curve_steps.cumulative_pv > base.ev
    group by curve_steps.project_code
),

earned_schedule as (
    select
        base.project_code,
        case
            when base.ev is null then null
            when first_unearned_day.working_day_ordinal is null then base.planned_duration_days
            else
                first_unearned_day.working_day_ordinal - base.start_ordinal
                + {{ pmo_div('base.ev - curve_steps.previous_cumulative_pv',
                    'curve_steps.cumulative_pv - curve_steps.previous_cumulative_pv') }}
        end as earned_schedule_days
    from base
    left join first_unearned_day on base.project_code = first_unearned_day.project_code
    left join curve_steps
        on
            first_unearned_day.project_code = curve_steps.project_code
            and first_unearned_day.working_day_ordinal = curve_steps.working_day_ordinal
),

indices as (
    select
        base.*,
        earned_schedule.earned_schedule_days,
        base.ev - base.ac as cv,
        base.ev - base.pv as sv,
        {{ pmo_div('base.ev', 'base.ac') }} as cpi,
        {{ pmo_div('base.ev', 'base.pv') }} as spi,
        {{ pmo_div('earned_schedule.earned_schedule_days', 'base.actual_time_days') }} as spi_t
    from base
    left join earned_schedule on base.project_code = earned_schedule.project_code
),

forecasts as (
    select
        *,
        {{ pmo_div('bac', 'cpi') }} as eac_typical,
        ac + (bac - ev) as eac_atypical,
        ac + {{ pmo_div('bac - ev', 'cpi * spi') }} as eac_composite,
        {{ pmo_div('planned_duration_days', 'spi_t') }} as ieac_t_days
    from indices
),

final as (
    select
        forecasts.project_code,
        forecasts.project_name,
        forecasts.status,
        forecasts.project_currency,
        {{ pmo_as_of_date() }} as as_of_date,
        {{ pmo_reporting_currency() }} as reporting_currency,
        forecasts.pv_method,
        forecasts.ev_method,
        forecasts.work_item_count,
        cast(forecasts.earned_pct as decimal(9, 6)) as complete_pct,
        {{ pmo_money('forecasts.bac') }} as bac,
        {{ pmo_money('forecasts.pv') }} as pv,
        {{ pmo_money('forecasts.ev') }} as ev,
        {{ pmo_money('forecasts.ac') }} as ac,
        {{ pmo_money('forecasts.ac_invoices') }} as ac_invoices,
        {{ pmo_money('forecasts.ac_labour') }} as ac_labour,
        {{ pmo_money('forecasts.cv') }} as cv,
        {{ pmo_money('forecasts.sv') }} as sv,
        {{ pmo_ratio('forecasts.cv', 'forecasts.ev', 6) }} as cv_pct,
        {{ pmo_ratio('forecasts.sv', 'forecasts.pv', 6) }} as sv_pct,
        cast(forecasts.cpi as decimal(18, 6)) as cpi,
        cast(forecasts.spi as decimal(18, 6)) as spi,
        {{ pmo_ratio('forecasts.ac', 'forecasts.bac', 6) }} as spent_pct,
        {{ pmo_money('forecasts.eac_typical') }} as eac_typical,
        {{ pmo_money('forecasts.eac_atypical') }} as eac_atypical,
        {{ pmo_money('forecasts.eac_composite') }} as eac_composite,
        {{ pmo_money('forecasts.eac_typical - forecasts.ac') }} as etc,
        {{ pmo_money('forecasts.bac - forecasts.eac_typical') }} as vac,
        {{ pmo_ratio('forecasts.bac - forecasts.ev', 'forecasts.bac - forecasts.ac', 6) }} as tcpi,
        forecasts.plan_start_date,
        forecasts.plan_finish_date,
        forecasts.planned_duration_days,
        forecasts.actual_time_days,
        cast(forecasts.earned_schedule_days as decimal(12, 4)) as earned_schedule_days,
        cast(forecasts.earned_schedule_days - forecasts.actual_time_days as decimal(12, 4))
            as sv_t_days,
        cast(forecasts.spi_t as decimal(18, 6)) as spi_t,
        cast(forecasts.ieac_t_days as decimal(12, 4)) as ieac_t_days,
        forecast_days.date_day as forecast_finish_date
    from forecasts
    left join working_days as forecast_days
        on
            forecast_days.working_day_ordinal
            -- IEAC(t) is rounded to 6 places first so 10 / (10 / 12) = 12.000000001 stays day 12.
            = forecasts.start_ordinal
            + cast(ceil(cast(forecasts.ieac_t_days as decimal(18, 6))) as integer) - 1
)

select * from final
