with

source as (

    {{ finance_current_rows('payments') }}

),

renamed as (

    select
        payment_id,
        vendor_id,
        invoice_number,
        vendor_id || '|' || invoice_number as invoice_business_key,
        paid_date,
        cast(amount as decimal(18, 2)) as amount,
        upper(trim(currency)) as currency,
        method,
        lower(approved_by) as approved_by_email,
        approved_date,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
