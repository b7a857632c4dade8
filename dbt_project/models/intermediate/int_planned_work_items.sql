{#- Open planned work of every person, one row per work item (MS Project assignment, Planner
    task assignee, Jira issue assignee) with the window it is spread over and the person it
    resolves to (int_people_identified). MS Project: remaining work of the assignment between
    its start and finish (the file's timephased planned work is not loaded; the remaining work
    is spread evenly over working days). Planner has no effort: an open task planned for an
    assignee counts var planner_task_hours_per_day each working day from its start to its due
    date. Jira: original estimate minus time spent, up to the due date, else the end of the
    issue's current sprint, else var capacity_undated_days after the as-of date. Windows start
    no earlier than the as-of date; work already overdue lands on the as-of date. -#}
{%- set undated_days = var('capacity_undated_days', 14) -%}
{%- set planner_rate = var('planner_task_hours_per_day', 2) -%}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('dim_task') }}
-- depends_on: {{ ref('int_people_identified') }}
-- depends_on: {{ ref('stg_jira__issues') }}
-- depends_on: {{ ref('stg_jira__sprints') }}
-- depends_on: {{ ref('stg_msproject__assignments') }}
with

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

dim_task as (
    select * from {{ ref('dim_task') }}
),

{% if pmo_source_enabled('msproject') %}
    stg_msproject__assignments as (
        select * from {{ ref('stg_msproject__assignments') }}
    ),
{% endif %}

{% if pmo_source_enabled('jira') %}
    stg_jira__issues as (
        select * from {{ ref('stg_jira__issues') }}
    ),

    stg_jira__sprints as (
        select * from {{ ref('stg_jira__sprints') }}
    ),
{% endif %}

items as (
    select
        'none' as source_system,
        cast(null as {{ pmo_type_string() }}) as work_item_id,
        cast(null as {{ pmo_type_string() }}) as source_person_id,
        cast(null as {{ pmo_type_string() }}) as project_code,
        cast(null as date) as window_start_date,
        cast(null as date) as window_end_date,
        cast(null as decimal(12, 2)) as remaining_hours,
        cast(null as decimal(12, 2)) as hours_per_day
    where 1 = 0
    {% if pmo_source_enabled('msproject') %}
        union all
        select
            'msproject' as source_system,
            {{ pmo_to_string('assignments.assignment_key') }} as work_item_id,
            {{ pmo_to_string('assignments.plan_id') }} || '|'
            || {{ pmo_to_string('assignments.resource_uid') }} as source_person_id,
            msp_tasks.project_code,
            cast(assignments.start_at as date) as window_start_date,
            cast(assignments.finish_at as date) as window_end_date,
            cast(
                coalesce(
                    assignments.remaining_work_hours,
                    assignments.work_hours - coalesce(assignments.actual_work_hours, 0)
                ) as decimal(12, 2)
            ) as remaining_hours,
            cast(null as decimal(12, 2)) as hours_per_day
        from stg_msproject__assignments as assignments
        inner join dim_task as msp_tasks
            on
                assignments.task_key = msp_tasks.source_record_id
                and msp_tasks.source_system = 'msproject'
        where
            assignments.resource_uid is not null
            and assignments.finish_at is not null
            and not msp_tasks.is_summary
            and not msp_tasks.is_closed
    {% endif %}
    {% if pmo_source_enabled('planner') %}
        union all
        select
            'planner' as source_system,
            source_record_id as work_item_id,
            assignee_source_id as source_person_id,
            project_code,
            coalesce(start_date, due_date) as window_start_date,
            due_date as window_end_date,
            cast(null as decimal(12, 2)) as remaining_hours,
            cast({{ planner_rate }} as decimal(12, 2)) as hours_per_day
        from dim_task
        where
            source_system = 'planner'
            and not is_closed
            and not is_deleted
            and assignee_source_id is not null
            and due_date is not null
    {% endif %}
    {% if pmo_source_enabled('jira') %}
        union all
        select
            'jira' as source_system,
            jira_tasks.source_record_id as work_item_id,
            jira_tasks.assignee_source_id as source_person_id,
            jira_tasks.project_code,
            {{ pmo_as_of_date() }} as window_start_date,
            coalesce(
                jira_tasks.due_date,
                cast(sprints.end_at as date),
                {{ pmo_dateadd('day', undated_days, pmo_as_of_date()) }}
            ) as window_end_date,
            cast(
                jira_tasks.estimate_hours - coalesce(jira_tasks.actual_hours, 0) as decimal(12, 2)
            ) as remaining_hours,
            cast(null as decimal(12, 2)) as hours_per_day
        from dim_task as jira_tasks
        inner join stg_jira__issues as issues
            on jira_tasks.source_record_id = {{ pmo_to_string('issues.issue_id') }}
        left join stg_jira__sprints as sprints
            on issues.current_sprint_id = sprints.sprint_id
        where
            jira_tasks.source_system = 'jira'
            and not jira_tasks.is_closed
            and not jira_tasks.is_deleted
            and jira_tasks.assignee_source_id is not null
            and jira_tasks.estimate_hours is not null
    {% endif %}
),

final as (
    select
        items.source_system,
        items.work_item_id,
        items.source_person_id,
        people.person_id,
        coalesce(items.project_code, 'UNMAPPED') as project_code,
        case
            when items.window_start_date > {{ pmo_as_of_date() }} then items.window_start_date
            else {{ pmo_as_of_date() }}
        end as window_start_date,
        case
            when items.window_end_date > {{ pmo_as_of_date() }} then items.window_end_date
            else {{ pmo_as_of_date() }}
        end as window_end_date,
        items.remaining_hours,
        items.hours_per_day
    from items
    left join int_people_identified as people
        on
            items.source_system = people.source_system
            and items.source_person_id = people.source_person_id
    where coalesce(items.remaining_hours, items.hours_per_day) > 0
)

select * from final
