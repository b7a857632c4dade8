with

source as (

    {{ finance_current_rows('fx_rates') }}

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
