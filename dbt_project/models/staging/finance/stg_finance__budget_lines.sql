with

source as (

    select raw_rows.*
    from {{ source('raw_finance', 'budget_lines') }} as raw_rows
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
        project_code || '|' || fiscal_period || '|' || cost_type || '|' || budget_version as budget_line_key,
        project_code,
        fiscal_period,
        cost_type,
        budget_version,
        currency,
        cast(amount as decimal(18, 2)) as amount,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
