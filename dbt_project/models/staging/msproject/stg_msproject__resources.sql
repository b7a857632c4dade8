with

source as (

    select src.*
    from {{ source('raw_msproject', 'resources') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id || '|' || cast(resource_uid as varchar) as resource_key,
        plan_id,
        resource_uid,
        resource_id as resource_row_number,
        -- strings
        resource_name,
        lower(email) as email,
        resource_type,
        resource_group,
        initials,
        -- numerics
        max_units,
        cast(standard_rate as decimal(18, 2)) as standard_rate,
        cast(overtime_rate as decimal(18, 2)) as overtime_rate,
        cast(cost_per_use as decimal(18, 2)) as cost_per_use,
        cast(work_hours as decimal(12, 2)) as work_hours,
        cast(actual_work_hours as decimal(12, 2)) as actual_work_hours,
        cast(cost as decimal(18, 2)) as cost,  -- noqa: RF04
        cast(actual_cost as decimal(18, 2)) as actual_cost,
        -- booleans
        is_cost_resource,
        is_generic,
        is_inactive,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
