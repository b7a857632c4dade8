with

source as (

    {{ finance_current_rows('purchase_order_lines') }}

),

renamed as (

    select
        po_number || '|' || cast(po_line as varchar) as po_line_key,
        po_number,
        po_line,
        vendor_id,
        project_code,
        status,
        currency,
        description,
        cast(ordered_amount as decimal(18, 2)) as ordered_amount,
        po_date,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
