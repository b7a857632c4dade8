{#- Comments; a comment is deleted when its issue was extracted again without it (every
    extraction of an issue re-reads all its comments with the issue's _extracted_at). -#}
with

source as (
    select * from {{ source('raw_jira', 'issue_comments') }}
),

issues as (
    select
        id as issue_id,
        _extracted_at as issue_extracted_at
    from {{ source('raw_jira', 'issues') }}
),

final as (
    select
        source.id as comment_id,
        source.issue_id,
        source.author_account_id,
        source.update_author_account_id,
        source.body_text,
        source.created_at,
        source.updated_at,
        source._extracted_at < issues.issue_extracted_at as is_deleted
    from source
    inner join issues on source.issue_id = issues.issue_id
)

select * from final
