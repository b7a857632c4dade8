with

source as (
    select * from {{ source('raw_jira', 'sprints') }}
),

renamed as (
    select
        cast(id as bigint) as sprint_id,
        cast(board_id as bigint) as board_id,
        name as sprint_name,
        state,
        goal as sprint_goal,
        start_at,
        end_at,
        complete_at,
        created_at
    from source
)

select * from renamed
