with

source as (

    select src.*
    from {{ source('raw_msproject', 'files') }} as src
    inner join {{ source('raw_msproject', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        plan_id,
        _dlt_load_id as dlt_load_id,
        -- strings
        source_file,
        relative_path,
        file_name,
        file_hash,
        status,
        error_message,
        -- numerics
        file_size_bytes,
        error_line,
        error_column,
        -- booleans
        status = 'failed' as is_failed,
        -- timestamps
        scanned_at,
        modified_at
    from source

)

select * from renamed
