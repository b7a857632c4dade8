with

source as (

    select src.*
    from {{ source('raw_msproject', 'projects') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id,
        project_code,
        -- strings
        coalesce(project_title, project_name) as project_title,
        project_name,
        manager_name,
        author,
        company,
        currency_code as currency,
        currency_symbol,
        source_file,
        file_name,
        file_hash,
        -- numerics
        file_size_bytes,
        save_version,
        minutes_per_day,
        task_count,
        resource_count,
        assignment_count,
        -- booleans
        project_code is not null as has_project_code,
        -- dates
        status_date,
        -- timestamps
        start_at,
        finish_at,
        creation_date as created_at,
        last_saved_at,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
