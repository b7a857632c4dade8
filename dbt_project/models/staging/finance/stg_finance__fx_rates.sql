with

source as (

    select raw_rows.*
    from {{ source('raw_finance', 'fx_rates') }} as raw_rows
    inner join {{ source('raw_finance', 'file_ledger') }} as ledger
        on
            raw_rows._file_id = ledger.file_id
            and raw_rows._file_sha256 = ledger.sha256
            and ledger.status = 'loaded'
    inner join {{ source('raw_finance', '_dlt_loads') }} as loads
        on
            raw_rows._dlt_load_id = loads.load_id
            and loads.status = 0

),

renamed as (

    select
        currency,
        cast(rate_to_reporting as decimal(18, 6)) as rate_to_reporting,
        rate_date,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
