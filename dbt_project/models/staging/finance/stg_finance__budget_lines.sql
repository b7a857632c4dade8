with

source as (

    {{ finance_current_rows('budget_lines') }}

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
