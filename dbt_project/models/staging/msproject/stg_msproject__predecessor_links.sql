with

source as (

    select src.*
    from {{ source('raw_msproject', 'predecessor_links') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id || '|' || cast(task_uid as varchar) as task_key,
        plan_id || '|' || cast(predecessor_uid as varchar) as predecessor_task_key,
        plan_id,
        task_uid,
        predecessor_uid as predecessor_task_uid,
        -- strings
        link_type,
        cross_project_name,
        -- numerics
        link_type_code,
        lag_minutes,
        lag_format,
        -- booleans
        is_cross_project,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
