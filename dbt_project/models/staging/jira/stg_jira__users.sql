with

source as (
    select * from {{ source('raw_jira', 'users') }}
),

renamed as (
    select
        account_id,
        user_name,
        display_name,
        lower(email) as email,
        account_type,
        time_zone,
        is_active
    from source
)

select * from renamed
