{#- Milestones: MS Project milestone tasks (baseline 0 finish vs forecast finish) and Jira fix
    versions (release date). Keys are the ones a PMO quotes: `<plan file>|<task UID>` for MS
    Project, the version id for Jira. Overdue = not complete and baseline finish before the as-of
    date; days late counts from the baseline finish, days old from the forecast finish. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('int_projects_identified') }}
-- depends_on: {{ ref('int_tasks_unioned') }}
-- depends_on: {{ ref('stg_jira__versions') }}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

{% if pmo_source_enabled('jira') %}
    stg_jira__versions as (
        select * from {{ ref('stg_jira__versions') }}
    ),

    int_projects_identified as (
        select * from {{ ref('int_projects_identified') }}
    ),
{% endif %}

milestones as (
    select
        'msproject' as source_system,
        source_task_id as source_record_id,
        task_display_key as milestone_display_key,
        'msproject_milestone' as milestone_type,
        project_code,
        task_name as milestone_name,
        baseline_finish_date,
        due_date as forecast_finish_date,
        completed_date as actual_finish_date,
        percent_complete >= 100 as is_complete
    from int_tasks_unioned
    where source_system = 'msproject' and is_milestone and not is_deleted
    {% if pmo_source_enabled('jira') %}
        union all
        select
            'jira' as source_system,
            {{ pmo_to_string('versions.version_id') }} as source_record_id,
            {{ pmo_to_string('versions.version_id') }} as milestone_display_key,
            'jira_version' as milestone_type,
            projects.project_code,
            versions.version_name as milestone_name,
            cast(versions.release_date as date) as baseline_finish_date,
            cast(versions.release_date as date) as forecast_finish_date,
            case when versions.is_released then cast(versions.release_date as date) end
                as actual_finish_date,
            coalesce(versions.is_released, false) as is_complete
        from stg_jira__versions as versions
        left join int_projects_identified as projects
            on
                projects.source_system = 'jira'
                and {{ pmo_to_string('versions.jira_project_id') }} = projects.source_native_id
    {% endif %}
),

final as (
    select
        {{ pmo_surrogate_key(['source_system', 'source_record_id']) }} as milestone_key,
        source_system,
        source_record_id,
        milestone_display_key,
        milestone_type,
        coalesce(project_code, 'UNMAPPED') as project_code,
        milestone_name,
        baseline_finish_date,
        forecast_finish_date,
        actual_finish_date,
        is_complete,
        {{ pmo_datediff('baseline_finish_date', 'forecast_finish_date', 'day') }} as slip_days,
        -- A milestone without a baseline finish is not late against one (not unknown): MS
        -- Project alone has such milestones and the column is not null.
        coalesce(
            not is_complete and baseline_finish_date < {{ pmo_as_of_date() }}, false
        ) as is_overdue,
        case
            when not is_complete and baseline_finish_date < {{ pmo_as_of_date() }}
                then {{ pmo_datediff('baseline_finish_date', pmo_as_of_date(), 'day') }}
        end as days_late,
        case
            when not is_complete and forecast_finish_date < {{ pmo_as_of_date() }}
                then {{ pmo_datediff('forecast_finish_date', pmo_as_of_date(), 'day') }}
        end as days_old,
        case
            when is_complete and actual_finish_date is not null
                then actual_finish_date <= baseline_finish_date
        end as is_met_on_time
    from milestones
)

select * from final
