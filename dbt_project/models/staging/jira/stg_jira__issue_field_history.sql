with

source as (
    select * from {{ source('raw_jira', 'issue_field_history') }}
),

renamed as (
    select
        issue_id,
        field_id,
        history_id,
        field_name,
        value,
        value_string,
        author_account_id,
        is_creation,
        changed_at
    from source
)

select * from renamed
