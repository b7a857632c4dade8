with

source as (

    {{ finance_current_rows('people') }}

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
