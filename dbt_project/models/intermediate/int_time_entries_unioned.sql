{#- Time records from every source in one shape: Jira worklogs, finance CSV timesheets and MS
    Project timephased actuals. `counts_as_timesheet` is false for MS Project actuals: they restate
    plan progress and would double-count hours already booked in a timesheet system, so labour
    cost and utilization use only rows where it is true. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('int_people_identified') }}
-- depends_on: {{ ref('int_projects_identified') }}
-- depends_on: {{ ref('stg_finance__people') }}
-- depends_on: {{ ref('stg_finance__timesheet_entries') }}
-- depends_on: {{ ref('stg_jira__issues') }}
-- depends_on: {{ ref('stg_jira__worklogs') }}
-- depends_on: {{ ref('stg_msproject__assignments') }}
-- depends_on: {{ ref('stg_msproject__timephased_actuals') }}
with

int_projects_identified as (
    select * from {{ ref('int_projects_identified') }}
),

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

stg_finance__people as (
    select * from {{ ref('stg_finance__people') }}
),

stg_finance__timesheet_entries as (
    select * from {{ ref('stg_finance__timesheet_entries') }}
),

{% if pmo_source_enabled('jira') %}
    stg_jira__worklogs as (
        select * from {{ ref('stg_jira__worklogs') }}
    ),

    stg_jira__issues as (
        select * from {{ ref('stg_jira__issues') }}
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    stg_msproject__timephased_actuals as (
        select * from {{ ref('stg_msproject__timephased_actuals') }}
    ),

    stg_msproject__assignments as (
        select * from {{ ref('stg_msproject__assignments') }}
    ),
{% endif %}

finance_entries as (
    select
        'finance' as source_system,
        {{ pmo_to_string('entries.entry_key') }} as source_record_id,
        lower(trim(entries.person_email)) as person_source_id,
        {{ pmo_to_string('entries.project_code') }} as project_code_raw,
        projects.project_code,
        cast(null as {{ pmo_type_string() }}) as source_task_id,
        cast(entries.work_date as date) as work_date,
        {{ pmo_hours('entries.hours') }} as hours,
        {{ pmo_to_string('entries.comment') }} as entry_comment,
        {{ pmo_to_string('entries.status') }} as approval_status,
        entries.submitted_at,
        lower(trim(entries.approver_email)) as approver_email,
        cast(null as {{ pmo_type_timestamp() }}) as started_at,
        cast(null as {{ pmo_type_timestamp() }}) as created_at,
        true as counts_as_timesheet,
        {{ pmo_to_string('entries.source_file') }} as source_file,
        cast(entries.source_line as integer) as source_line
    from stg_finance__timesheet_entries as entries
    left join int_projects_identified as projects
        on
            projects.source_system = 'finance'
            and {{ pmo_to_string('entries.project_code') }} = projects.source_native_id
),

{% if pmo_source_enabled('jira') %}
    jira_entries as (
        select
            'jira' as source_system,
            {{ pmo_to_string('worklogs.worklog_id') }} as source_record_id,
            {{ pmo_to_string('worklogs.author_account_id') }} as person_source_id,
            projects.candidate_project_code as project_code_raw,
            projects.project_code,
            {{ pmo_to_string('worklogs.issue_id') }} as source_task_id,
            cast(worklogs.work_date as date) as work_date,
            {{ pmo_hours('worklogs.hours') }} as hours,
            {{ pmo_to_string('worklogs.comment') }} as entry_comment,
            cast(null as {{ pmo_type_string() }}) as approval_status,
            cast(null as {{ pmo_type_timestamp() }}) as submitted_at,
            cast(null as {{ pmo_type_string() }}) as approver_email,
            worklogs.started_at,
            worklogs.created_at,
            true as counts_as_timesheet,
            cast(null as {{ pmo_type_string() }}) as source_file,
            cast(null as integer) as source_line
        from stg_jira__worklogs as worklogs
        left join stg_jira__issues as issues on worklogs.issue_id = issues.issue_id
        left join int_projects_identified as projects
            on
                projects.source_system = 'jira'
                and cast(issues.jira_project_id as {{ pmo_type_string() }}) = projects.source_native_id
        where not coalesce(worklogs.is_deleted, false)
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    msproject_entries as (
        select
            'msproject' as source_system,
            {{ pmo_to_string('actuals.plan_id') }} || '|' || {{ pmo_to_string('actuals.assignment_uid') }}
            || '|' || {{ pmo_to_string('actuals.work_date') }} as source_record_id,
            {{ pmo_to_string('actuals.plan_id') }} || '|'
            || cast(assignments.resource_uid as {{ pmo_type_string() }}) as person_source_id,
            projects.candidate_project_code as project_code_raw,
            projects.project_code,
            {{ pmo_to_string('actuals.plan_id') }} || '|'
            || cast(assignments.task_uid as {{ pmo_type_string() }}) as source_task_id,
            cast(actuals.work_date as date) as work_date,
            {{ pmo_hours('actuals.actual_hours') }} as hours,
            cast(null as {{ pmo_type_string() }}) as entry_comment,
            cast(null as {{ pmo_type_string() }}) as approval_status,
            cast(null as {{ pmo_type_timestamp() }}) as submitted_at,
            cast(null as {{ pmo_type_string() }}) as approver_email,
            cast(null as {{ pmo_type_timestamp() }}) as started_at,
            cast(null as {{ pmo_type_timestamp() }}) as created_at,
            false as counts_as_timesheet,
            cast(null as {{ pmo_type_string() }}) as source_file,
            cast(null as integer) as source_line
        from stg_msproject__timephased_actuals as actuals
        left join stg_msproject__assignments as assignments
            on
                actuals.plan_id = assignments.plan_id
                and actuals.assignment_uid = assignments.assignment_uid
        left join int_projects_identified as projects
            on
                projects.source_system = 'msproject'
                and {{ pmo_to_string('actuals.plan_id') }} = projects.source_native_id
    ),
{% endif %}

unioned as (
    select * from finance_entries
    {% if pmo_source_enabled('jira') %}
        union all
        select * from jira_entries
    {% endif %}
    {% if pmo_source_enabled('msproject') %}
        union all
        select * from msproject_entries
    {% endif %}
),

hr_people as (
    select
        {{ pmo_to_string('person_id') }} as person_id,
        lower(trim(email)) as person_email
    from stg_finance__people
),

final as (
    select
        {{ pmo_surrogate_key(['unioned.source_system', 'unioned.source_record_id']) }}
            as time_entry_key,
        unioned.source_system,
        unioned.source_record_id,
        unioned.person_source_id,
        coalesce(hr_people.person_id, people.person_id) as person_id,
        coalesce(hr_people.person_email, person_emails.person_email) as person_email,
        unioned.project_code_raw,
        unioned.project_code,
        unioned.source_task_id,
        unioned.work_date,
        unioned.hours,
        unioned.entry_comment,
        unioned.approval_status,
        unioned.submitted_at,
        unioned.approver_email,
        unioned.started_at,
        unioned.created_at,
        unioned.counts_as_timesheet,
        unioned.source_file,
        unioned.source_line
    from unioned
    -- Finance timesheets name people by email; the other sources go through the crosswalk.
    left join hr_people
        on
            unioned.source_system = 'finance'
            and unioned.person_source_id = hr_people.person_email
    left join int_people_identified as people
        on
            unioned.source_system <> 'finance'
            and unioned.source_system = people.source_system
            and unioned.person_source_id = people.source_person_id
    left join hr_people as person_emails on people.person_id = person_emails.person_id
)

select * from final
