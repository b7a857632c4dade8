{#- Forward capacity plan: one row per person x ISO week (Monday start) for the var
    capacity_plan_weeks weeks (default 12) from the as-of week, days before the as-of date left
    out. Capacity = working days (Mon-Fri) that are not a public holiday of the person's country
    x daily hours (person_work_calendar hours_per_week / 5, else HR std_hours_per_day x FTE)
    minus approved leave_rows. Planned = int_planned_work_items spread evenly over the working days
    of each item's window (a window without a working day puts its work on the next working
    day). Work of assignees no HR person matches stays visible on the '-1' Unknown person. -#}
{%- set weeks = var('capacity_plan_weeks', 12) -%}
{%- set default_country = var('capacity_default_country', 'DE') -%}
with

int_planned_work_items as (
    select * from {{ ref('int_planned_work_items') }}
),

dim_person as (
    select * from {{ ref('dim_person') }}
),

dim_date as (
    select * from {{ ref('dim_date') }}
),

public_holidays as (
    select * from {{ ref('public_holidays') }}
),

person_work_calendar as (
    select * from {{ ref('person_work_calendar') }}
),

person_leave as (
    select * from {{ ref('person_leave') }}
),

horizon as (
    select
        {{ pmo_as_of_date() }} as first_day,
        {{ pmo_dateadd(
            'day', '7 * ' ~ weeks ~ ' - 1', pmo_date_trunc('week', pmo_as_of_date())
        ) }} as last_day
),

-- Each day with the working day on or after it (weekends point at the next Monday).
days as (
    select
        date_day,
        iso_week_start,
        is_working_day,
        min(case when is_working_day then date_day end) over (
            order by date_day rows between current row and 6 following
        ) as next_working_day
    from dim_date
),

horizon_days as (
    select days.*
    from days
    cross join horizon
    where days.date_day between horizon.first_day and horizon.last_day
),

people as (
    select
        dim_person.person_key,
        dim_person.person_id,
        dim_person.display_name,
        dim_person.department,
        dim_person.is_unknown_member,
        coalesce(calendars.country_code, '{{ default_country }}') as country_code,
        case
            when dim_person.is_unknown_member then 0
            when calendars.hours_per_week is not null then calendars.hours_per_week / 5.0
            else coalesce(dim_person.std_hours_per_day, 8) * coalesce(dim_person.fte, 1)
        end as hours_per_day
    from dim_person
    left join person_work_calendar as calendars
        on dim_person.person_id = {{ pmo_to_string('calendars.person_id') }}
    where dim_person.is_active or dim_person.is_unknown_member
),

person_days as (
    select
        people.person_key,
        people.person_id,
        horizon_days.date_day,
        horizon_days.iso_week_start,
        case
            when horizon_days.is_working_day and holidays.holiday_date is null
                then people.hours_per_day
            else 0
        end as available_hours,
        case
            when horizon_days.is_working_day and holidays.holiday_date is not null
                then people.hours_per_day
            else 0
        end as holiday_hours
    from people
    cross join horizon_days
    left join public_holidays as holidays
        on
            people.country_code = holidays.country_code
            and horizon_days.date_day = holidays.holiday_date
),

leave_days as (
    select
        person_days.person_key,
        person_days.date_day,
        max(
            case
                when
                    leave_rows.hours_per_day is null
                    or leave_rows.hours_per_day > person_days.available_hours
                    then person_days.available_hours
                else leave_rows.hours_per_day
            end
        ) as leave_hours
    from person_days
    inner join person_leave as leave_rows
        on
            person_days.person_id = {{ pmo_to_string('leave_rows.person_id') }}
            and person_days.date_day between leave_rows.leave_start_date and leave_rows.leave_end_date
    group by person_days.person_key, person_days.date_day
),

capacity as (
    select
        person_days.person_key,
        person_days.iso_week_start,
        sum(person_days.holiday_hours) as holiday_hours,
        sum(coalesce(leave_days.leave_hours, 0)) as leave_hours,
        sum(person_days.available_hours - coalesce(leave_days.leave_hours, 0)) as capacity_hours
    from person_days
    left join leave_days
        on
            person_days.person_key = leave_days.person_key
            and person_days.date_day = leave_days.date_day
    group by person_days.person_key, person_days.iso_week_start
),

items as (
    select
        items.*,
        coalesce(people.person_key, '-1') as person_key,
        start_day.next_working_day as spread_start_date,
        -- A window without a working day (a weekend, or a start after the end) spreads over the
        -- next working day alone.
        case
            when start_day.next_working_day > items.window_end_date
                then start_day.next_working_day
            else items.window_end_date
        end as spread_end_date
    from int_planned_work_items as items
    inner join days as start_day on items.window_start_date = start_day.date_day
    left join dim_person as people on items.person_id = people.person_id
),

item_days as (
    select
        items.source_system,
        items.work_item_id,
        items.person_key,
        items.remaining_hours,
        items.hours_per_day,
        days.date_day,
        days.iso_week_start,
        count(*) over (partition by items.source_system, items.work_item_id, items.person_key)
            as working_day_count
    from items
    inner join days
        on
            days.date_day between items.spread_start_date and items.spread_end_date
            and days.is_working_day
),

planned as (
    select
        item_days.person_key,
        item_days.iso_week_start,
        sum(
            coalesce(item_days.hours_per_day, item_days.remaining_hours / item_days.working_day_count)
        ) as planned_hours,
        sum(
            case
                when item_days.source_system = 'msproject'
                    then item_days.remaining_hours / item_days.working_day_count
                else 0
            end
        ) as planned_msproject_hours,
        sum(case when item_days.source_system = 'planner' then item_days.hours_per_day else 0 end)
            as planned_planner_hours,
        sum(
            case
                when item_days.source_system = 'jira'
                    then item_days.remaining_hours / item_days.working_day_count
                else 0
            end
        ) as planned_jira_hours,
        count(distinct item_days.source_system || '|' || item_days.work_item_id) as work_item_count
    from item_days
    cross join horizon
    where item_days.date_day between horizon.first_day and horizon.last_day
    group by item_days.person_key, item_days.iso_week_start
),

spine as (
    select
        capacity.*,
        people.person_id,
        people.display_name,
        people.department,
        people.country_code,
        people.is_unknown_member
    from capacity
    inner join people on capacity.person_key = people.person_key
),

final as (
    select
        {{ pmo_surrogate_key(['spine.person_key', 'spine.iso_week_start']) }} as capacity_plan_key,
        spine.person_key,
        spine.person_id,
        spine.display_name,
        spine.department,
        spine.country_code,
        spine.iso_week_start,
        {{ pmo_hours('spine.capacity_hours') }} as capacity_hours,
        {{ pmo_hours('spine.holiday_hours') }} as holiday_hours,
        {{ pmo_hours('spine.leave_hours') }} as leave_hours,
        {{ pmo_hours('coalesce(planned.planned_hours, 0)') }} as planned_hours,
        {{ pmo_hours('coalesce(planned.planned_msproject_hours, 0)') }} as planned_msproject_hours,
        {{ pmo_hours('coalesce(planned.planned_planner_hours, 0)') }} as planned_planner_hours,
        {{ pmo_hours('coalesce(planned.planned_jira_hours, 0)') }} as planned_jira_hours,
        coalesce(planned.work_item_count, 0) as work_item_count,
        {{ pmo_ratio('coalesce(planned.planned_hours, 0)', 'spine.capacity_hours') }}
            as allocation_pct,
        {{ pmo_hours(
            'case when coalesce(planned.planned_hours, 0) > spine.capacity_hours'
            ~ ' then planned.planned_hours - spine.capacity_hours else 0 end'
        ) }} as over_allocated_hours,
        not spine.is_unknown_member
        and round(coalesce(planned.planned_hours, 0), 2) > round(spine.capacity_hours, 2)
            as is_over_allocated,
        spine.is_unknown_member
    from spine
    left join planned
        on
            spine.person_key = planned.person_key
            and spine.iso_week_start = planned.iso_week_start
)

select * from final
