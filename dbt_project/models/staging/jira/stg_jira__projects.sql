with

source as (
    select * from {{ source('raw_jira', 'projects') }}
),

renamed as (
    select
        cast(id as bigint) as jira_project_id,
        category_id as project_category_id,
        key as project_key,
        name as project_name,
        category_name as project_code,
        project_type_key,
        lead_account_id,
        is_private
    from source
)

select * from renamed
