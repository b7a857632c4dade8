with

source as (
    select * from {{ source('raw_jira', 'worklogs') }}
),

tombstones as (
    select
        worklog_id,
        max(deleted_at) as deleted_at
    from {{ source('raw_jira', 'worklogs_deleted') }}
    group by worklog_id
),

renamed as (
    select
        source.id as worklog_id,
        source.issue_id,
        source.author_account_id,
        source.update_author_account_id,
        source.comment,
        cast(source.time_spent_seconds / 3600.0 as decimal(12, 2)) as hours,
        source.time_spent_seconds,
        tombstones.worklog_id is not null as is_deleted,
        source.started_date as work_date,
        source.started_at,
        source.created_at,
        source.updated_at,
        tombstones.deleted_at
    from source
    left join tombstones on source.id = tombstones.worklog_id
)

select * from renamed
