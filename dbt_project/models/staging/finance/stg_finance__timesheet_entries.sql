with

source as (

    {{ finance_current_rows('timesheet_entries') }}

),

renamed as (

    select
        entry_id as entry_key,
        lower(person_email) as person_email,
        project_code,
        comment,
        status,
        lower(approver_email) as approver_email,
        cast(hours as decimal(12, 2)) as hours,
        work_date,
        cast(submitted_at as timestamp) as submitted_at,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
