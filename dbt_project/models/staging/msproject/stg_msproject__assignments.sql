with

source as (

    select src.*
    from {{ source('raw_msproject', 'assignments') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id || '|' || cast(assignment_uid as varchar) as assignment_key,
        plan_id || '|' || cast(task_uid as varchar) as task_key,
        case
            when not is_unassigned
                then plan_id || '|' || cast(resource_uid as varchar)
        end as resource_key,
        plan_id,
        assignment_uid,
        task_uid,
        -- MS Project's -65535 placeholder becomes null: the task has no resource.
        case when not is_unassigned then resource_uid end as resource_uid,
        -- numerics
        units,
        percent_work_complete,
        cast(work_hours as decimal(12, 2)) as work_hours,
        cast(actual_work_hours as decimal(12, 2)) as actual_work_hours,
        cast(remaining_work_hours as decimal(12, 2)) as remaining_work_hours,
        cast(baseline_work_hours as decimal(12, 2)) as baseline_work_hours,
        cast(cost as decimal(18, 2)) as cost,  -- noqa: RF04
        cast(actual_cost as decimal(18, 2)) as actual_cost,
        cast(remaining_cost as decimal(18, 2)) as remaining_cost,
        cast(baseline_cost as decimal(18, 2)) as baseline_cost,
        -- booleans
        is_unassigned,
        -- timestamps
        start_at,
        finish_at,
        actual_start_at,
        actual_finish_at,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
