with

source as (

    {{ finance_current_rows('projects') }}

),

renamed as (

    select
        project_code,
        project_name,
        program_code,
        program_name,
        portfolio_code,
        portfolio_name,
        lower(manager_email) as manager_email,
        lower(sponsor_email) as sponsor_email,
        status,
        stage,
        reported_rag,
        currency,
        cast(budget_total as decimal(18, 2)) as budget_total,
        is_chargeable,
        has_baseline,
        start_date,
        finish_date,
        closed_date,
        last_status_date,
        coalesce(funding_type, 'internal') as funding_type,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
