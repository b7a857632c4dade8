{#- The time-phased baseline of each project: planned value per working day, in the reporting
    currency, from the best baseline available (`pv_method`):
      msproject_baseline   each leaf task's MS Project baseline cost (baseline 0) spread evenly over
                           the working days between its baseline start and finish (a task whose
                           baseline window holds no working day lands on the last working day on
                           or before its baseline finish);
      budget_working_days  else the chosen budget version's lines (current, else original), each
                           spread evenly over the working days of its fiscal period.
    Working days come from dim_date (Mon-Fri; the MS Project calendars are not loaded, so the
    standard calendar stands in for the plan's). BAC = Σ planned value; PV = Σ up to the as-of
    date. Unrounded. -#}
with

int_evm_work_items as (
    select * from {{ ref('int_evm_work_items') }}
),

fct_budget_lines as (
    select * from {{ ref('fct_budget_lines') }}
),

dim_fiscal_period as (
    select * from {{ ref('dim_fiscal_period') }}
),

dim_date as (
    select * from {{ ref('dim_date') }}
),

working_days as (
    select
        date_day,
        fiscal_period
    from dim_date
    where is_working_day
),

baselined_tasks as (
    select
        project_code,
        task_key,
        weight_baseline_cost as baseline_cost,
        baseline_start_date,
        baseline_finish_date
    from int_evm_work_items
    where
        source_system = 'msproject'
        and weight_baseline_cost > 0
        and baseline_start_date is not null
        and baseline_finish_date is not null
),

baselined_projects as (
    select distinct project_code from baselined_tasks
),

task_days as (
    select
        baselined_tasks.project_code,
        baselined_tasks.task_key,
        baselined_tasks.baseline_cost,
        working_days.date_day
    from baselined_tasks
    inner join working_days
        on
            baselined_tasks.baseline_start_date <= working_days.date_day
            and baselined_tasks.baseline_finish_date >= working_days.date_day
),

task_day_counts as (
    select
        task_key,
        count(*) as working_day_count
    from task_days
    group by task_key
),

windowless_tasks as (
    select baselined_tasks.*
    from baselined_tasks
    left join task_day_counts on baselined_tasks.task_key = task_day_counts.task_key
    where task_day_counts.task_key is null
),

windowless_days as (
    select
        windowless_tasks.project_code,
        windowless_tasks.task_key,
        windowless_tasks.baseline_cost,
        max(working_days.date_day) as date_day
    from windowless_tasks
    inner join working_days on windowless_tasks.baseline_finish_date >= working_days.date_day
    group by windowless_tasks.project_code, windowless_tasks.task_key, windowless_tasks.baseline_cost
),

msproject_daily as (
    select
        task_days.project_code,
        task_days.date_day,
        cast(task_days.baseline_cost as decimal(38, 10)) / task_day_counts.working_day_count
            as planned_value
    from task_days
    inner join task_day_counts on task_days.task_key = task_day_counts.task_key
    union all
    select
        project_code,
        date_day,
        cast(baseline_cost as decimal(38, 10)) as planned_value
    from windowless_days
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

budget_daily as (
    select
        budget_lines.project_code,
        working_days.date_day,
        cast(budget_lines.amount_reporting as decimal(38, 10)) / periods.working_days
            as planned_value
    from fct_budget_lines as budget_lines
    inner join budget_versions
        on
            budget_lines.project_code = budget_versions.project_code
            and budget_lines.budget_version = budget_versions.chosen_version
    inner join dim_fiscal_period as periods on budget_lines.fiscal_period = periods.fiscal_period
    inner join working_days on periods.fiscal_period = working_days.fiscal_period
    left join baselined_projects on budget_lines.project_code = baselined_projects.project_code
    where
        baselined_projects.project_code is null
        and budget_lines.project_code <> 'UNMAPPED'
        and periods.working_days > 0
),

unioned as (
    select
        project_code,
        'msproject_baseline' as pv_method,
        date_day,
        planned_value
    from msproject_daily
    union all
    select
        project_code,
        'budget_working_days' as pv_method,
        date_day,
        planned_value
    from budget_daily
),

final as (
    select
        project_code,
        pv_method,
        date_day,
        -- 10 decimal places: exact enough for any plan, and one type on both adapters.
        cast(sum(planned_value) as decimal(38, 10)) as planned_value
    from unioned
    group by project_code, pv_method, date_day
)

select * from final
