{#- Jira statuses (the status dimension): one row per status id with its current name and status
    category. fct_task_status_history labels its intervals from here by id. -#}
with

source as (
    select * from {{ source('raw_jira', 'statuses') }}
),

renamed as (
    select
        {{ pmo_to_string('id') }} as status_id,
        name as status_name,
        status_category_key,
        status_category_name
    from source
)

select * from renamed
