with

source as (

    select src.*
    from {{ source('raw_planner', 'task_assignments') }} as src
    inner join {{ source('raw_planner', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        task_id,
        user_id,
        plan_id,
        assigned_by_user_id,
        -- timestamps
        cast(assigned_at as {{ pmo_type_timestamp() }}) as assigned_at,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
