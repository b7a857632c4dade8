with

source as (

    select raw_rows.*
    from {{ source('raw_finance', 'quarantine') }} as raw_rows
    inner join {{ source('raw_finance', 'file_ledger') }} as ledger
        on
            raw_rows._file_id = ledger.file_id
            and raw_rows._file_sha256 = ledger.sha256
            and ledger.status in ('loaded', 'rejected')
    inner join {{ source('raw_finance', '_dlt_loads') }} as loads
        on
            raw_rows._dlt_load_id = loads.load_id
            and loads.status = 0

),

renamed as (

    select
        _quarantine_key as quarantine_key,
        source_file,
        source_line,
        entity,
        nullif(column_name, '') as column_name,
        reason,
        raw_line,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
