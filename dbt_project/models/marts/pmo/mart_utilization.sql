{#- Utilization per person x ISO week (Monday start), from the first week with booked time up to
    the as-of week. Logged hours = timesheet-system hours (Jira worklogs and finance timesheets;
    rejected entries excluded). Capacity = working days in the week x standard hours per day x
    FTE (no holiday or leave calendar yet). Utilization (fraction, 1 = fully booked) is NULL when capacity is 0. -#}
with

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

dim_person as (
    select * from {{ ref('dim_person') }}
),

dim_date as (
    select * from {{ ref('dim_date') }}
),

entries as (
    select *
    from fct_timesheet_entries
    where
        is_counted_labour
        and person_id is not null
        and work_date <= {{ pmo_as_of_date() }}
),

weeks as (
    select
        iso_week_start,
        sum(case when is_working_day then 1 else 0 end) as working_days
    from dim_date
    where
        iso_week_start >= (select min(entries.iso_week_start) from entries)
        and date_day <= {{ pmo_as_of_date() }}
    group by iso_week_start
),

logged as (
    select
        person_id,
        iso_week_start,
        sum(hours) as logged_hours,
        sum(labour_cost) as labour_cost,
        count(distinct project_code) as project_count
    from entries
    group by person_id, iso_week_start
),

people as (
    select *
    from dim_person
    where
        not is_unknown_member
        and (is_active or person_id in (select entries.person_id from entries))
),

spine as (
    select
        people.person_key,
        people.person_id,
        people.email,
        people.department,
        people.employment_type,
        weeks.iso_week_start,
        weeks.working_days * people.std_hours_per_day * people.fte as capacity_hours
    from people
    cross join weeks
),

final as (
    select
        {{ pmo_surrogate_key(['spine.person_id', 'spine.iso_week_start']) }} as utilization_key,
        spine.person_key,
        spine.person_id,
        spine.email,
        spine.department,
        spine.employment_type,
        spine.iso_week_start,
        {{ pmo_hours('coalesce(logged.logged_hours, 0)') }} as logged_hours,
        {{ pmo_hours('spine.capacity_hours') }} as capacity_hours,
        {{ pmo_ratio('coalesce(logged.logged_hours, 0)', 'spine.capacity_hours', 4) }}
            as utilization_pct,
        {{ pmo_money('coalesce(logged.labour_cost, 0)') }} as labour_cost,
        coalesce(logged.project_count, 0) as project_count
    from spine
    left join logged
        on
            spine.person_id = logged.person_id
            and spine.iso_week_start = logged.iso_week_start
)

select * from final
