{#- Deleted issues: Jira search cannot show a hard delete, so the reconcile census lists every id
    per project. An issue is deleted when the project's latest census run missed it although the
    issue was extracted before that run; deleted_at is the first run that missed it. -#}
with

source as (
    select * from {{ source('raw_jira', 'issues') }}
),

census_runs as (
    select
        project_id,
        census_at
    from {{ source('raw_jira', 'issue_census_runs') }}
),

latest_census as (
    select
        project_id,
        max(census_at) as census_at
    from census_runs
    group by project_id
),

census as (
    select
        issue_id,
        seen_at
    from {{ source('raw_jira', 'issue_census') }}
),

presence as (
    select
        source.id as issue_id,
        source.project_id,
        case
            when census.seen_at is not null and census.seen_at > source._extracted_at
                then census.seen_at
            else source._extracted_at
        end as last_known_at,
        latest_census.census_at is not null
        and (census.seen_at is null or census.seen_at < latest_census.census_at)
        and source._extracted_at < latest_census.census_at as is_deleted
    from source
    left join census on source.id = census.issue_id
    left join latest_census on source.project_id = latest_census.project_id
),

deletions as (
    select
        presence.issue_id,
        min(census_runs.census_at) as deleted_at
    from presence
    inner join census_runs
        on
            presence.project_id = census_runs.project_id
            and presence.last_known_at < census_runs.census_at
    where presence.is_deleted
    group by presence.issue_id
),

renamed as (
    select
        source.id as issue_id,
        source.project_id as jira_project_id,
        source.parent_id as parent_issue_id,
        source.current_sprint_id,
        source.key as issue_key,
        source.project_key,
        source.issue_type_name as issue_type,
        source.status_name,
        source.status_category_key as status_category,
        source.priority_name,
        source.resolution_name,
        source.summary,
        source.assignee_account_id,
        source.reporter_account_id,
        source.sprint_ids,
        source.team_id,
        source.team_name,
        source.labels,
        source.component_ids,
        source.fix_version_ids,
        source.story_points,
        cast(source.original_estimate_seconds / 3600.0 as decimal(12, 2)) as original_estimate_hours,
        cast(coalesce(source.time_spent_seconds, 0) / 3600.0 as decimal(12, 2)) as time_spent_hours,
        source.is_subtask,
        presence.is_deleted,
        source.due_date,
        source.created_at,
        source.updated_at,
        source.resolved_at,
        deletions.deleted_at
    from source
    inner join presence on source.id = presence.issue_id
    left join deletions on source.id = deletions.issue_id
)

select * from renamed
