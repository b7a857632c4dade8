{#- One row per day between the vars `date_spine_start` and `date_spine_end` (defaults
    2015-01-01 .. 2035-12-31; at most 10,000 days), built from a digits cross join so it runs the same on DuckDB and
    PostgreSQL without generate_series dialects. Weekends are non-working; no holiday calendar
    yet (is_holiday false). -#}
{%- set spine_start = "cast('" ~ var('date_spine_start', '2015-01-01') ~ "' as date)" -%}
with

digits as (
    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

day_offsets as (
    select
        ones.digit
        + tens.digit * 10
        + hundreds.digit * 100
        + thousands.digit * 1000 as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
),

days as (
    select
        {{ pmo_dateadd('day', 'day_offset', spine_start) }} as date_day
    from day_offsets
),

final as (
    select
        date_day,
        cast(extract(year from date_day) as integer) * 10000
        + cast(extract(month from date_day) as integer) * 100
        + cast(extract(day from date_day) as integer) as date_key,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        {{ pmo_dateadd('day', '1 - cast(extract(isodow from date_day) as integer)', 'date_day') }}
            as iso_week_start,
        {{ pmo_date_trunc('month', 'date_day') }} as month_start,
        {{ pmo_fiscal_period('date_day') }} as fiscal_period,
        cast(extract(isodow from date_day) as integer) <= 5 as is_working_day,
        false as is_holiday
    from days
    where date_day <= cast('{{ var("date_spine_end", "2035-12-31") }}' as date)
)

select * from final
