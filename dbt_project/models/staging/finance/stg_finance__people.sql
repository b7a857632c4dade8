with

source as (

    select raw_rows.*
    from {{ source('raw_finance', 'people') }} as raw_rows
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
        person_id,
        lower(email) as email,
        display_name,
        department,
        employment_type,
        cast(cost_rate as decimal(18, 2)) as cost_rate,
        cast(std_hours_per_day as decimal(12, 2)) as std_hours_per_day,
        cast(fte as decimal(12, 2)) as fte,
        is_active,
        contract_end_date,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
