{#- One row per source task (Jira issue, Planner task, MS Project task). -#}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

dim_person as (
    select * from {{ ref('dim_person') }}
),

final as (
    select
        src_tasks.task_key,
        src_tasks.source_system,
        src_tasks.source_task_id as source_record_id,
        src_tasks.task_display_key,
        src_tasks.source_container_id,
        coalesce(src_tasks.project_code, 'UNMAPPED') as project_code,
        src_tasks.parent_source_task_id,
        src_tasks.wbs_code,
        src_tasks.task_name,
        src_tasks.work_item_type,
        src_tasks.status_raw,
        src_tasks.status_category,
        {{ pmo_ratio('src_tasks.percent_complete', '100', 4) }} as complete_pct,
        src_tasks.is_closed,
        src_tasks.is_milestone,
        src_tasks.is_summary,
        src_tasks.is_critical,
        src_tasks.start_date,
        src_tasks.due_date,
        src_tasks.baseline_start_date,
        src_tasks.baseline_finish_date,
        src_tasks.completed_date,
        src_tasks.created_at,
        src_tasks.assignee_source_id,
        -- The assignee as a person: '-1' (Unknown person) when HR does not know them.
        case
            when src_tasks.assignee_source_id is not null then coalesce(people.person_key, '-1')
        end as assignee_person_key,
        src_tasks.story_points,
        src_tasks.estimate_hours,
        src_tasks.actual_hours,
        src_tasks.is_deleted
    from int_tasks_unioned as src_tasks
    left join int_people_identified as identities
        on
            src_tasks.source_system = identities.source_system
            and src_tasks.assignee_source_id = identities.source_person_id
    left join dim_person as people on identities.person_id = people.person_id
)

select * from final
