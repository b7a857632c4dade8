with

source as (
    select * from {{ source('raw_jira', 'versions') }}
),

renamed as (
    select
        cast(id as bigint) as version_id,
        cast(project_id as bigint) as jira_project_id,
        name as version_name,
        description as version_description,
        is_released,
        is_archived,
        is_overdue,
        start_date,
        release_date
    from source
)

select * from renamed
