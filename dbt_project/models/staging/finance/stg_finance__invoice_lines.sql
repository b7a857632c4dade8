with

source as (

    {{ finance_current_rows('invoice_lines') }}

),

renamed as (

    select
        vendor_id || '|' || invoice_number || '|' || cast(invoice_line as varchar) as invoice_line_key,
        vendor_id,
        invoice_number,
        invoice_line,
        po_number,
        po_line,
        project_code,
        cost_type,
        currency,
        description,
        cast(amount as decimal(18, 2)) as amount,
        invoice_date,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
