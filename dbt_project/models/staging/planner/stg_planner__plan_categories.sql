with

source as (

    select src.*
    from {{ source('raw_planner', 'plan_details') }} as src
    inner join {{ source('raw_planner', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id,
        -- strings
        category,
        label as category_label,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
