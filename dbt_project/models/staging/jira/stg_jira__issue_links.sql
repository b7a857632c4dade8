{#- Issue links, one row per link and side; only links the issue's latest extraction still had
    (a removed link disappears when its issue is read again). Deleting an issue drops its links
    without touching the issue at the other end, so no search shows that side change: a link to
    an issue the census marked deleted is gone too, as a full sync would show it. -#}
with

source as (
    select * from {{ source('raw_jira', 'issue_links') }}
),

issues as (
    select
        id as issue_id,
        _extracted_at as issue_extracted_at
    from {{ source('raw_jira', 'issues') }}
),

deleted_issues as (
    select issue_id
    from {{ ref('stg_jira__issues') }}
    where is_deleted
),

final as (
    select
        source.id as link_id,
        source.issue_id,
        source.direction,
        source.link_type_id,
        source.link_type_name,
        source.relation,
        source.linked_issue_id,
        source.linked_issue_key,
        lower(source.link_type_name) = 'blocks' and source.direction = 'inward' as is_blocked_by
    from source
    inner join issues on source.issue_id = issues.issue_id
    left join deleted_issues as deleted_here on source.issue_id = deleted_here.issue_id
    left join deleted_issues as deleted_there on source.linked_issue_id = deleted_there.issue_id
    where
        source._extracted_at >= issues.issue_extracted_at
        and deleted_here.issue_id is null
        and deleted_there.issue_id is null
)

select * from final
