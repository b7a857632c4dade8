{#- One row per source task (Jira issue, Planner task, MS Project task). -#}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

final as (
    select
        task_key,
        source_system,
        source_task_id as source_record_id,
        task_display_key,
        source_container_id,
        coalesce(project_code, 'UNMAPPED') as project_code,
        parent_source_task_id,
        wbs_code,
        task_name,
        work_item_type,
        status_raw,
        status_category,
        {{ pmo_ratio('percent_complete', '100', 4) }} as complete_pct,
        is_closed,
        is_milestone,
        is_summary,
        is_critical,
        start_date,
        due_date,
        baseline_start_date,
        baseline_finish_date,
        completed_date,
        created_at,
        assignee_source_id,
        story_points,
        estimate_hours,
        actual_hours,
        is_deleted
    from int_tasks_unioned
)

select * from final
