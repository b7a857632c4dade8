with

source as (

    select src.*
    from {{ source('raw_planner', 'plans') }} as src
    inner join {{ source('raw_planner', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        id as plan_id,
        group_id,
        created_by_user_id,
        -- strings
        title as plan_title,
        -- the "[FIN-1234] " title prefix is the mapping convention; no prefix -> unmapped
        case
            when title like '[%]%' and position(']' in title) > 2
                then trim(substr(title, 2, position(']' in title) - 2))
        end as project_code,
        container_type,
        etag,
        -- timestamps
        cast(created_at as {{ pmo_type_timestamp() }}) as created_at,
        cast(_extracted_at as {{ pmo_type_timestamp() }}) as extracted_at,
        _tenant_id as tenant_id,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
