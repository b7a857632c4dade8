with

source as (

    select src.*
    from {{ source('raw_msproject', 'tasks') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where
        loads.status = 0
        -- Blank rows of the Gantt sheet (IsNull) are not tasks (the connector no longer emits
        -- them; rows loaded by earlier versions are dropped here).
        and not coalesce(src.is_null, false)

),

renamed as (

    select
        -- ids
        plan_id || '|' || cast(task_uid as varchar) as task_key,
        plan_id,
        task_uid,
        task_id as task_row_number,
        parent_task_uid,
        -- strings
        wbs,
        outline_number,
        task_name,
        notes,
        -- numerics
        outline_level,
        priority,
        percent_complete,
        percent_work_complete,
        cast(duration_hours as decimal(12, 2)) as duration_hours,
        cast(work_hours as decimal(12, 2)) as work_hours,
        cast(cost as decimal(18, 2)) as cost,  -- noqa: RF04
        cast(fixed_cost as decimal(18, 2)) as fixed_cost,
        cast(baseline_duration_hours as decimal(12, 2)) as baseline_duration_hours,
        cast(baseline_work_hours as decimal(12, 2)) as baseline_work_hours,
        cast(baseline_cost as decimal(18, 2)) as baseline_cost,
        cast(actual_duration_hours as decimal(12, 2)) as actual_duration_hours,
        cast(actual_work_hours as decimal(12, 2)) as actual_work_hours,
        cast(actual_cost as decimal(18, 2)) as actual_cost,
        cast(remaining_work_hours as decimal(12, 2)) as remaining_work_hours,
        cast(remaining_cost as decimal(18, 2)) as remaining_cost,
        total_slack_minutes,
        free_slack_minutes,
        -- 0 ASAP, 1 ALAP, 2 must start on, 3 must finish on, 4 SNET, 5 SNLT, 6 FNET, 7 FNLT
        constraint_type,
        -- booleans
        is_summary,
        is_milestone,
        is_critical,
        is_project_summary,
        is_active,
        baseline_finish_at is not null as has_baseline,
        -- dates
        deadline_date,
        -- timestamps
        start_at,
        finish_at,
        baseline_start_at,
        baseline_finish_at,
        actual_start_at,
        actual_finish_at,
        constraint_date as constraint_at,
        created_at,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
