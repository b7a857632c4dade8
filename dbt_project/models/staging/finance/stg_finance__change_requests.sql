with

source as (

    {{ finance_current_rows('change_requests') }}

),

renamed as (

    select
        change_request_id,
        project_code,
        title,
        requested_date,
        lower(requested_by) as requested_by_email,
        status,
        decision_date,
        lower(decided_by) as decided_by_email,
        cast(cost_impact as decimal(18, 2)) as cost_impact,
        upper(trim(currency)) as currency,
        cast(schedule_impact_days as integer) as schedule_impact_days,
        raid_reference,
        _source_file as source_file,
        _source_line as source_line,
        _file_id || ':' || cast(_source_line as varchar) as source_row_key,
        _file_id as file_id,
        _file_sha256 as file_sha256,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
