{#- Jira issues, Planner tasks and MS Project tasks in one task shape, with the canonical project
    and a normalized status category (not_started / in_progress / done / cancelled). -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('int_projects_identified') }}
-- depends_on: {{ ref('status_category_map') }}
-- depends_on: {{ ref('stg_jira__issues') }}
-- depends_on: {{ ref('stg_msproject__assignments') }}
-- depends_on: {{ ref('stg_msproject__tasks') }}
-- depends_on: {{ ref('stg_planner__task_assignments') }}
-- depends_on: {{ ref('stg_planner__tasks') }}
with

int_projects_identified as (
    select * from {{ ref('int_projects_identified') }}
),

status_category_map as (
    select * from {{ ref('status_category_map') }}
),

{% if pmo_source_enabled('jira') %}
    stg_jira__issues as (
        select * from {{ ref('stg_jira__issues') }}
    ),
{% endif %}

{% if pmo_source_enabled('planner') %}
    stg_planner__tasks as (
        select * from {{ ref('stg_planner__tasks') }}
    ),

    stg_planner__task_assignments as (
        select * from {{ ref('stg_planner__task_assignments') }}
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    stg_msproject__tasks as (
        select * from {{ ref('stg_msproject__tasks') }}
    ),

    stg_msproject__assignments as (
        select * from {{ ref('stg_msproject__assignments') }}
    ),
{% endif %}

{% if pmo_source_enabled('jira') %}
    jira_tasks as (
        select
            'jira' as source_system,
            {{ pmo_to_string('issues.issue_id') }} as source_task_id,
            {{ pmo_to_string('issues.issue_key') }} as task_display_key,
            {{ pmo_to_string('issues.jira_project_id') }} as source_container_id,
            {{ pmo_to_string('issues.parent_issue_id') }} as parent_source_task_id,
            cast(null as {{ pmo_type_string() }}) as wbs_code,
            {{ pmo_to_string('issues.summary') }} as task_name,
            {{ pmo_to_string('issues.issue_type') }} as work_item_type,
            {{ pmo_to_string('issues.status_name') }} as status_raw,
            coalesce(
                status_map.category,
                case issues.status_category
                    when 'new' then 'not_started'
                    when 'indeterminate' then 'in_progress'
                    when 'done' then 'done'
                end
            ) as status_category,
            cast(null as decimal(5, 2)) as source_percent_complete,
            false as is_milestone,
            false as is_summary,
            false as is_critical,
            cast(issues.created_at as date) as start_date,
            cast(issues.due_date as date) as due_date,
            cast(null as date) as baseline_start_date,
            cast(null as date) as baseline_finish_date,
            cast(issues.resolved_at as date) as completed_date,
            issues.created_at,
            {{ pmo_to_string('issues.assignee_account_id') }} as assignee_source_id,
            cast(issues.story_points as decimal(12, 2)) as story_points,
            {{ pmo_hours('issues.original_estimate_hours') }} as estimate_hours,
            {{ pmo_hours('issues.time_spent_hours') }} as actual_hours,
            coalesce(issues.is_deleted, false) as is_deleted
        from stg_jira__issues as issues
        left join status_category_map as status_map
            on
                status_map.source_system = 'jira'
                and lower(issues.status_name) = status_map.source_status
    ),
{% endif %}

{% if pmo_source_enabled('planner') %}
    planner_assignees as (
        select
            task_id,
            min({{ pmo_to_string('user_id') }}) as assignee_source_id
        from stg_planner__task_assignments
        group by task_id
    ),

    planner_tasks as (
        select
            'planner' as source_system,
            {{ pmo_to_string('src_tasks.task_id') }} as source_task_id,
            {{ pmo_to_string('src_tasks.task_id') }} as task_display_key,
            {{ pmo_to_string('src_tasks.plan_id') }} as source_container_id,
            cast(null as {{ pmo_type_string() }}) as parent_source_task_id,
            cast(null as {{ pmo_type_string() }}) as wbs_code,
            {{ pmo_to_string('src_tasks.task_title') }} as task_name,
            'planner_task' as work_item_type,
            {{ pmo_to_string('src_tasks.status_category') }} as status_raw,
            coalesce(status_map.category, src_tasks.status_category) as status_category,
            cast(src_tasks.percent_complete as decimal(5, 2)) as source_percent_complete,
            false as is_milestone,
            false as is_summary,
            false as is_critical,
            cast(src_tasks.start_at as date) as start_date,
            cast(src_tasks.due_at as date) as due_date,
            cast(null as date) as baseline_start_date,
            cast(null as date) as baseline_finish_date,
            cast(src_tasks.completed_at as date) as completed_date,
            src_tasks.created_at,
            planner_assignees.assignee_source_id,
            cast(null as decimal(12, 2)) as story_points,
            cast(null as decimal(12, 2)) as estimate_hours,
            cast(null as decimal(12, 2)) as actual_hours,
            coalesce(src_tasks.is_deleted, false) as is_deleted
        from stg_planner__tasks as src_tasks
        left join planner_assignees on src_tasks.task_id = planner_assignees.task_id
        left join status_category_map as status_map
            on
                status_map.source_system = 'planner'
                and lower(src_tasks.status_category) = status_map.source_status
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    msproject_assignees as (
        select
            plan_id,
            task_uid,
            min({{ pmo_to_string('plan_id') }} || '|' || {{ pmo_to_string('resource_uid') }})
                as assignee_source_id
        from stg_msproject__assignments
        group by plan_id, task_uid
    ),

    msproject_tasks as (
        select
            'msproject' as source_system,
            {{ pmo_to_string('src_tasks.plan_id') }} || '|' || {{ pmo_to_string('src_tasks.task_uid') }}
                as source_task_id,
            plan_identities.display_key || '|' || {{ pmo_to_string('src_tasks.task_uid') }}
                as task_display_key,
            {{ pmo_to_string('src_tasks.plan_id') }} as source_container_id,
            -- The summary task above it in the plan's outline (level-1 tasks: the project
            -- summary task, UID 0), in the same plan_id|uid form as source_task_id.
            case
                when src_tasks.parent_task_uid is not null
                    then
                        {{ pmo_to_string('src_tasks.plan_id') }} || '|'
                        || {{ pmo_to_string('src_tasks.parent_task_uid') }}
            end as parent_source_task_id,
            {{ pmo_to_string('src_tasks.wbs') }} as wbs_code,
            {{ pmo_to_string('src_tasks.task_name') }} as task_name,
            case
                when src_tasks.is_milestone then 'milestone'
                when src_tasks.is_summary then 'summary'
                else 'task'
            end as work_item_type,
            {{ pmo_to_string('src_tasks.percent_complete') }} as status_raw,
            case
                when src_tasks.percent_complete >= 100 then 'done'
                when src_tasks.percent_complete > 0 then 'in_progress'
                else 'not_started'
            end as status_category,
            cast(src_tasks.percent_complete as decimal(5, 2)) as source_percent_complete,
            coalesce(src_tasks.is_milestone, false) as is_milestone,
            coalesce(src_tasks.is_summary, false) as is_summary,
            coalesce(src_tasks.is_critical, false) as is_critical,
            cast(src_tasks.start_at as date) as start_date,
            cast(src_tasks.finish_at as date) as due_date,
            cast(src_tasks.baseline_start_at as date) as baseline_start_date,
            cast(src_tasks.baseline_finish_at as date) as baseline_finish_date,
            cast(src_tasks.actual_finish_at as date) as completed_date,
            cast(null as {{ pmo_type_timestamp() }}) as created_at,
            msproject_assignees.assignee_source_id,
            cast(null as decimal(12, 2)) as story_points,
            {{ pmo_hours('src_tasks.work_hours') }} as estimate_hours,
            {{ pmo_hours('src_tasks.actual_work_hours') }} as actual_hours,
            false as is_deleted
        from stg_msproject__tasks as src_tasks
        left join int_projects_identified as plan_identities
            on
                plan_identities.source_system = 'msproject'
                and {{ pmo_to_string('src_tasks.plan_id') }} = plan_identities.source_native_id
        left join msproject_assignees
            on
                src_tasks.plan_id = msproject_assignees.plan_id
                and src_tasks.task_uid = msproject_assignees.task_uid
    ),
{% endif %}

unioned as (
    {% set branches = [] %}
    {% if pmo_source_enabled('jira') %}{% do branches.append('jira_tasks') %}{% endif %}
    {% if pmo_source_enabled('planner') %}{% do branches.append('planner_tasks') %}{% endif %}
    {% if pmo_source_enabled('msproject') %}{% do branches.append('msproject_tasks') %}{% endif %}
    {% for branch in branches %}
        select * from {{ branch }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if branches | length == 0 %}
        -- No task source is enabled: an empty relation of the same shape.
        select
            cast(null as {{ pmo_type_string() }}) as source_system,
            cast(null as {{ pmo_type_string() }}) as source_task_id,
            cast(null as {{ pmo_type_string() }}) as task_display_key,
            cast(null as {{ pmo_type_string() }}) as source_container_id,
            cast(null as {{ pmo_type_string() }}) as parent_source_task_id,
            cast(null as {{ pmo_type_string() }}) as wbs_code,
            cast(null as {{ pmo_type_string() }}) as task_name,
            cast(null as {{ pmo_type_string() }}) as work_item_type,
            cast(null as {{ pmo_type_string() }}) as status_raw,
            cast(null as {{ pmo_type_string() }}) as status_category,
            cast(null as decimal(5, 2)) as source_percent_complete,
            false as is_milestone,
            false as is_summary,
            false as is_critical,
            cast(null as date) as start_date,
            cast(null as date) as due_date,
            cast(null as date) as baseline_start_date,
            cast(null as date) as baseline_finish_date,
            cast(null as date) as completed_date,
            cast(null as {{ pmo_type_timestamp() }}) as created_at,
            cast(null as {{ pmo_type_string() }}) as assignee_source_id,
            cast(null as decimal(12, 2)) as story_points,
            cast(null as decimal(12, 2)) as estimate_hours,
            cast(null as decimal(12, 2)) as actual_hours,
            false as is_deleted
        where 1 = 0
    {% endif %}
),

final as (
    select
        {{ pmo_surrogate_key(['unioned.source_system', 'unioned.source_task_id']) }} as task_key,
        unioned.source_system,
        unioned.source_task_id,
        unioned.task_display_key,
        unioned.source_container_id,
        projects.project_code,
        unioned.parent_source_task_id,
        unioned.wbs_code,
        unioned.task_name,
        unioned.work_item_type,
        unioned.status_raw,
        unioned.status_category,
        coalesce(
            unioned.source_percent_complete,
            case when unioned.status_category in ('done', 'cancelled') then 100 else 0 end
        ) as percent_complete,
        unioned.status_category in ('done', 'cancelled') as is_closed,
        unioned.is_milestone,
        unioned.is_summary,
        unioned.is_critical,
        unioned.start_date,
        unioned.due_date,
        unioned.baseline_start_date,
        unioned.baseline_finish_date,
        unioned.completed_date,
        unioned.created_at,
        unioned.assignee_source_id,
        unioned.story_points,
        unioned.estimate_hours,
        unioned.actual_hours,
        unioned.is_deleted
    from unioned
    left join int_projects_identified as projects
        on
            unioned.source_system = projects.source_system
            and unioned.source_container_id = projects.source_native_id
)

select * from final
