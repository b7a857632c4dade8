{#- RAID items: Jira issues of type Risk or Issue (the usual convention, pmo-domain 1.7). -#}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

raid as (
    select *
    from int_tasks_unioned
    where source_system = 'jira' and lower(work_item_type) in ('risk', 'issue') and not is_deleted
),

final as (
    select
        raid.task_key as raid_item_key,
        raid.source_system,
        raid.source_task_id as source_record_id,
        raid.task_display_key as raid_item_display_key,
        lower(raid.work_item_type) as raid_type,
        coalesce(raid.project_code, 'UNMAPPED') as project_code,
        raid.task_name as description,
        raid.assignee_source_id as owner_source_id,
        owners.person_id as owner_person_id,
        raid.assignee_source_id is not null as has_owner,
        raid.status_raw as status,
        raid.status_category,
        not raid.is_closed as is_open,
        cast(raid.created_at as date) as raised_date,
        raid.due_date,
        raid.completed_date as closed_date,
        not raid.is_closed and raid.due_date < {{ pmo_as_of_date() }} as is_overdue
    from raid
    left join int_people_identified as owners
        on
            owners.source_system = 'jira'
            and raid.assignee_source_id = owners.source_person_id
)

select * from final
