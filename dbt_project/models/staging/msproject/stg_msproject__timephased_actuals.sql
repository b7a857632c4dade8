with

source as (

    select src.*
    from {{ source('raw_msproject', 'timephased_actuals') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id
        || '|' || cast(assignment_uid as varchar)
        || '|' || cast(cast(work_date as date) as varchar) as timephased_key,
        plan_id || '|' || cast(assignment_uid as varchar) as assignment_key,
        plan_id,
        assignment_uid,
        task_uid,
        case when resource_uid != -65535 then resource_uid end as resource_uid,
        -- numerics
        cast(actual_hours as decimal(12, 2)) as actual_hours,
        -- dates
        cast(work_date as date) as work_date,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
