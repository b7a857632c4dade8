{#- Fiscal periods: calendar months (fiscal_calendar_id 'calendar'). A period is closed once it
    ended before the as-of date. -#}
with

dim_date as (
    select * from {{ ref('dim_date') }}
),

periods as (
    select
        fiscal_period,
        min(date_day) as start_date,
        max(date_day) as end_date,
        min(calendar_year) as fiscal_year,
        min(calendar_quarter) as fiscal_quarter,
        min(calendar_month) as period_no,
        sum(case when is_working_day then 1 else 0 end) as working_days
    from dim_date
    group by fiscal_period
),

final as (
    select
        fiscal_period as fiscal_period_key,
        fiscal_period,
        'calendar' as fiscal_calendar_id,
        fiscal_year,
        fiscal_quarter,
        period_no,
        start_date,
        end_date,
        working_days,
        end_date < {{ pmo_as_of_date() }} as is_closed,
        start_date <= {{ pmo_as_of_date() }} and end_date >= {{ pmo_as_of_date() }} as is_current
    from periods
)

select * from final
