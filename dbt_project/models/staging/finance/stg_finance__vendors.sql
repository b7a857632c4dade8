with

source as (

    {{ finance_current_rows('vendors') }}

),

renamed as (

    select
        vendor_id,
        vendor_name,
        tax_id,
        status,
        currency,
        cast(payment_terms_days as integer) as payment_terms_days,
        cast(discount_pct as decimal(9, 4)) as discount_pct,
        cast(discount_days as integer) as discount_days,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
