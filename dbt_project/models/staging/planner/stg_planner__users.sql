with

source as (

    select src.*
    from {{ source('raw_planner', 'users') }} as src
    inner join {{ source('raw_planner', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        id as user_id,
        -- strings
        display_name,
        -- the identity crosswalk matches people on a lower-case email across tools
        lower(coalesce(mail, user_principal_name)) as email,
        user_principal_name,
        department,
        -- booleans
        coalesce(account_enabled, true) as is_active,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
