{#- The work items earned value is measured on: one row per leaf work item of a mapped project,
    with its physical % complete and every candidate budget weight (pmo-domain 1.2).
    Left out: deleted and cancelled items (descoped work earns nothing and weighs nothing),
    milestones, summaries, epics, RAID items (Risk/Issue), any item that is the parent of another
    live item (its children carry the work, so a parent never double-counts), and MS Project blank
    rows (IsNull: no name and no dates; guarded here as well as in the connector).
    Candidate weights, best first (int_evm_project_progress picks one per project):
      baseline_cost       MS Project baseline cost of the task, plan currency converted at the
                          as-of date's rate;
      budgeted_labour     original estimate hours x the assignee's HR cost rate;
      story_points        Jira story points;
      estimate_hours      original estimate hours. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('int_fx_rates_ranged') }}
-- depends_on: {{ ref('int_people_identified') }}
-- depends_on: {{ ref('int_tasks_unioned') }}
-- depends_on: {{ ref('stg_finance__people') }}
-- depends_on: {{ ref('stg_msproject__projects') }}
-- depends_on: {{ ref('stg_msproject__tasks') }}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

stg_finance__people as (
    select * from {{ ref('stg_finance__people') }}
),

int_fx_rates_ranged as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

{% if pmo_source_enabled('msproject') %}
    stg_msproject__tasks as (
        select * from {{ ref('stg_msproject__tasks') }}
    ),

    stg_msproject__projects as (
        select * from {{ ref('stg_msproject__projects') }}
    ),
{% endif %}

msproject_baselines as (
    {% if pmo_source_enabled('msproject') %}
        select
            {{ pmo_to_string('plan_tasks.plan_id') }} || '|' || {{ pmo_to_string('plan_tasks.task_uid') }}
                as source_task_id,
            cast(plan_tasks.baseline_cost as decimal(38, 10))
            * coalesce(fx.rate_to_reporting, 1) as baseline_cost,
            cast(plan_tasks.baseline_start_at as date) as baseline_start_date,
            cast(plan_tasks.baseline_finish_at as date) as baseline_finish_date,
            plan_tasks.task_name is null
            and plan_tasks.start_at is null
            and plan_tasks.finish_at is null as is_blank_row
        from stg_msproject__tasks as plan_tasks
        left join stg_msproject__projects as plan_headers on plan_tasks.plan_id = plan_headers.plan_id
        left join int_fx_rates_ranged as fx
            on
                upper(trim(plan_headers.currency)) = fx.currency
                and {{ pmo_as_of_date() }} >= fx.valid_from
                and {{ pmo_as_of_date() }} < fx.valid_to
    {% else %}
        select
            cast(null as {{ pmo_type_string() }}) as source_task_id,
            cast(null as decimal(38, 10)) as baseline_cost,
            cast(null as date) as baseline_start_date,
            cast(null as date) as baseline_finish_date,
            false as is_blank_row
        where 1 = 0
    {% endif %}
),

live_parents as (
    select distinct
        source_system,
        parent_source_task_id
    from int_tasks_unioned
    where parent_source_task_id is not null and not is_deleted
),

cost_rates as (
    select
        people.source_system,
        people.source_person_id,
        max(hr.cost_rate) as cost_rate
    from int_people_identified as people
    inner join stg_finance__people as hr
        on people.person_id = {{ pmo_to_string('hr.person_id') }}
    group by people.source_system, people.source_person_id
),

final as (
    select
        work_items.task_key,
        work_items.project_code,
        work_items.source_system,
        work_items.source_task_id,
        work_items.task_display_key,
        work_items.work_item_type,
        cast(work_items.percent_complete as decimal(38, 10)) / 100 as complete_pct,
        msproject_baselines.baseline_start_date,
        msproject_baselines.baseline_finish_date,
        case
            when msproject_baselines.baseline_cost >= 0 then msproject_baselines.baseline_cost
        end as weight_baseline_cost,
        case
            when work_items.estimate_hours >= 0 and cost_rates.cost_rate >= 0
                then cast(work_items.estimate_hours as decimal(38, 10)) * cost_rates.cost_rate
        end as weight_budgeted_labour,
        case when work_items.story_points >= 0 then work_items.story_points end as weight_story_points,
        case when work_items.estimate_hours >= 0 then work_items.estimate_hours end as weight_estimate_hours
    from int_tasks_unioned as work_items
    left join msproject_baselines
        on
            work_items.source_system = 'msproject'
            and work_items.source_task_id = msproject_baselines.source_task_id
    left join cost_rates
        on
            work_items.source_system = cost_rates.source_system
            and work_items.assignee_source_id = cost_rates.source_person_id
    left join live_parents
        on
            work_items.source_system = live_parents.source_system
            and work_items.source_task_id = live_parents.parent_source_task_id
    where
        work_items.project_code is not null
        and not work_items.is_deleted
        and not work_items.is_summary
        and not work_items.is_milestone
        and coalesce(work_items.status_category, '') <> 'cancelled'
        and lower(coalesce(work_items.work_item_type, '')) not in ('epic', 'risk', 'issue')
        and not coalesce(msproject_baselines.is_blank_row, false)
        and live_parents.parent_source_task_id is null
)

select * from final
