{#- DCMA 14-point schedule assessment of every MS Project plan at its status date (the as-of
    date when the file has none): one row per plan x check with the population, the offending
    tasks (count, fraction and UIDs), the measured value compared with the threshold of the seed
    dcma_check_config, and pass/fail. Population ("incomplete tasks"): active, non-summary,
    non-milestone tasks without an actual finish and below 100 % complete. Check 12 (critical
    path test) needs a re-schedule the warehouse cannot run; it is approximated by critical-path
    continuity: every incomplete critical task must link to another critical task. CPLI uses
    calendar days: (days from status date to forecast finish + (baseline finish - forecast
    finish)) / days from status date to forecast finish. -#}
{%- set high_days = var('dcma_high_days', 44) -%}
with

stg_msproject__projects as (
    select * from {{ ref('stg_msproject__projects') }}
),

stg_msproject__tasks as (
    select * from {{ ref('stg_msproject__tasks') }}
),

stg_msproject__predecessor_links as (
    select * from {{ ref('stg_msproject__predecessor_links') }}
),

stg_msproject__assignments as (
    select * from {{ ref('stg_msproject__assignments') }}
),

dcma_check_config as (
    select * from {{ ref('dcma_check_config') }}
),

plans as (
    select
        plan_id,
        file_name,
        project_code,
        project_title,
        coalesce(status_date, {{ pmo_as_of_date() }}) as status_date,
        status_date is not null as has_file_status_date,
        coalesce(nullif(minutes_per_day, 0), 480) as minutes_per_day
    from stg_msproject__projects
),

tasks as (
    select
        src_tasks.plan_id,
        src_tasks.task_uid,
        src_tasks.is_critical,
        src_tasks.is_milestone,
        src_tasks.constraint_type,
        src_tasks.total_slack_minutes,
        src_tasks.duration_hours,
        src_tasks.baseline_duration_hours,
        plans.status_date,
        plans.minutes_per_day,
        cast(src_tasks.start_at as date) as start_date,
        cast(src_tasks.finish_at as date) as finish_date,
        cast(src_tasks.actual_start_at as date) as actual_start_date,
        cast(src_tasks.actual_finish_at as date) as actual_finish_date,
        cast(src_tasks.baseline_finish_at as date) as baseline_finish_date,
        not src_tasks.is_milestone
        and src_tasks.actual_finish_at is null
        and coalesce(src_tasks.percent_complete, 0) < 100 as is_open_work
    from stg_msproject__tasks as src_tasks
    inner join plans on src_tasks.plan_id = plans.plan_id
    where
        not src_tasks.is_summary
        and not src_tasks.is_project_summary
        and coalesce(src_tasks.is_active, true)
),

-- Links between two tasks of the same plan (cross-project links and links to summaries count
-- as logic but are not on the assessed task set).
links as (
    select
        links.plan_id,
        links.task_uid,
        links.predecessor_task_uid,
        links.link_type,
        links.lag_minutes
    from stg_msproject__predecessor_links as links
    where not coalesce(links.is_cross_project, false)
),

links_into_incomplete as (
    select links.*
    from links
    inner join tasks
        on links.plan_id = tasks.plan_id and links.task_uid = tasks.task_uid
    where tasks.is_open_work
),

with_predecessor as (
    select distinct
        plan_id,
        task_uid
    from links
),

with_successor as (
    select distinct
        plan_id,
        predecessor_task_uid as task_uid
    from links
),

linked as (
    select
        tasks.plan_id,
        tasks.task_uid,
        with_predecessor.task_uid is not null as has_predecessor,
        with_successor.task_uid is not null as has_successor
    from tasks
    left join with_predecessor
        on tasks.plan_id = with_predecessor.plan_id and tasks.task_uid = with_predecessor.task_uid
    left join with_successor
        on tasks.plan_id = with_successor.plan_id and tasks.task_uid = with_successor.task_uid
    where tasks.is_open_work
),

resourced as (
    select distinct
        plan_id,
        task_uid
    from stg_msproject__assignments
    where resource_uid is not null
),

critical_links as (
    select
        links.plan_id,
        links.task_uid as critical_task_uid
    from links
    inner join tasks as succ
        on links.plan_id = succ.plan_id and links.task_uid = succ.task_uid
    inner join tasks as pred
        on links.plan_id = pred.plan_id and links.predecessor_task_uid = pred.task_uid
    where succ.is_critical and pred.is_critical
    union
    select
        links.plan_id,
        links.predecessor_task_uid as critical_task_uid
    from links
    inner join tasks as succ
        on links.plan_id = succ.plan_id and links.task_uid = succ.task_uid
    inner join tasks as pred
        on links.plan_id = pred.plan_id and links.predecessor_task_uid = pred.task_uid
    where succ.is_critical and pred.is_critical
),

-- One row per plan x check x population member, flagged when it offends.
assessed as (
    select
        linked.plan_id,
        'DCMA-01' as check_id,
        linked.task_uid,
        not linked.has_predecessor or not linked.has_successor as is_offending
    from linked
    union all
    select
        plan_id,
        'DCMA-02' as check_id,
        task_uid,
        lag_minutes < 0 as is_offending
    from links_into_incomplete
    union all
    select
        plan_id,
        'DCMA-03' as check_id,
        task_uid,
        lag_minutes > 0 as is_offending
    from links_into_incomplete
    union all
    select
        plan_id,
        'DCMA-04' as check_id,
        task_uid,
        coalesce(link_type, '') <> 'FS' as is_offending
    from links_into_incomplete
    union all
    select
        plan_id,
        'DCMA-05' as check_id,
        task_uid,
        coalesce(constraint_type, 0) in (2, 3, 5, 7) as is_offending
    from tasks
    where is_open_work
    union all
    select
        plan_id,
        'DCMA-06' as check_id,
        task_uid,
        coalesce(total_slack_minutes > {{ high_days }} * minutes_per_day, false) as is_offending
    from tasks
    where is_open_work
    union all
    select
        plan_id,
        'DCMA-07' as check_id,
        task_uid,
        coalesce(total_slack_minutes < 0, false) as is_offending
    from tasks
    where is_open_work
    union all
    select
        plan_id,
        'DCMA-08' as check_id,
        task_uid,
        coalesce(
            coalesce(baseline_duration_hours, duration_hours) * 60
            > {{ high_days }} * minutes_per_day,
            false
        ) as is_offending
    from tasks
    where is_open_work
    union all
    select
        plan_id,
        'DCMA-09' as check_id,
        task_uid,
        coalesce(actual_start_date > status_date, false)
        or coalesce(actual_finish_date > status_date, false)
        or (actual_start_date is null and coalesce(start_date < status_date, false))
        or (actual_finish_date is null and coalesce(finish_date < status_date, false))
            as is_offending
    from tasks
    union all
    select
        tasks.plan_id,
        'DCMA-10' as check_id,
        tasks.task_uid,
        resourced.task_uid is null as is_offending
    from tasks
    left join resourced
        on tasks.plan_id = resourced.plan_id and tasks.task_uid = resourced.task_uid
    where tasks.is_open_work and coalesce(tasks.duration_hours, 0) > 0
    union all
    select
        plan_id,
        'DCMA-11' as check_id,
        task_uid,
        actual_finish_date is null or actual_finish_date > baseline_finish_date as is_offending
    from tasks
    where baseline_finish_date <= status_date
    union all
    select
        tasks.plan_id,
        'DCMA-12' as check_id,
        tasks.task_uid,
        critical_links.critical_task_uid is null as is_offending
    from tasks
    left join critical_links
        on
            tasks.plan_id = critical_links.plan_id
            and tasks.task_uid = critical_links.critical_task_uid
    where tasks.is_open_work and tasks.is_critical
    union all
    -- BEI: the tasks baselined to finish by the status date; offending = not finished yet.
    select
        plan_id,
        'DCMA-14' as check_id,
        task_uid,
        actual_finish_date is null or actual_finish_date > status_date as is_offending
    from tasks
    where baseline_finish_date <= status_date
),

counted as (
    select
        plan_id,
        check_id,
        count(*) as population_count,
        sum(case when is_offending then 1 else 0 end) as failing_count,
        string_agg(
            case when is_offending then {{ pmo_to_string('task_uid') }} end, ','
            order by task_uid
        ) as offending_task_uids
    from assessed
    group by plan_id, check_id
),

-- BEI numerator: every task finished by the status date, baselined then or not.
completed as (
    select
        plan_id,
        count(*) as completed_count
    from tasks
    where actual_finish_date <= status_date
    group by plan_id
),

incomplete_counts as (
    select
        plan_id,
        sum(case when is_open_work then 1 else 0 end) as incomplete_count
    from tasks
    group by plan_id
),

project_dates as (
    select
        plans.plan_id,
        plans.status_date,
        cast(project_summary.finish_at as date) as forecast_finish_date,
        cast(project_summary.baseline_finish_at as date) as baseline_finish_date
    from plans
    inner join stg_msproject__tasks as project_summary
        on plans.plan_id = project_summary.plan_id and project_summary.is_project_summary
),

cpli as (
    select
        plan_id,
        {{ pmo_datediff('status_date', 'forecast_finish_date', 'day') }} as critical_path_days,
        {{ pmo_datediff('forecast_finish_date', 'baseline_finish_date', 'day') }}
            as total_float_days
    from project_dates
),

spine as (
    select
        plans.plan_id,
        plans.file_name,
        plans.project_code,
        plans.project_title,
        plans.status_date,
        plans.has_file_status_date,
        cfg.check_id,
        cfg.check_number,
        cfg.check_name,
        cfg.comparison,
        cfg.threshold_value
    from plans
    cross join dcma_check_config as cfg
),

measured as (
    select
        spine.*,
        case when spine.check_id = 'DCMA-13' then null else coalesce(counted.population_count, 0)
        end as population_count,
        case when spine.check_id = 'DCMA-13' then null else coalesce(counted.failing_count, 0)
        end as failing_count,
        {{ pmo_ratio('counted.failing_count', 'counted.population_count') }} as failing_pct,
        counted.offending_task_uids,
        case
            when spine.check_id = 'DCMA-04'
                then 1 - {{ pmo_ratio('counted.failing_count', 'counted.population_count') }}
            when spine.check_id = 'DCMA-13'
                then case
                    when cpli.critical_path_days > 0
                        then {{ pmo_ratio(
                            'cpli.critical_path_days + cpli.total_float_days',
                            'cpli.critical_path_days',
                        ) }}
                end
            when spine.check_id = 'DCMA-14'
                then {{ pmo_ratio('coalesce(completed.completed_count, 0)', 'counted.population_count') }}
            when spine.check_id = 'DCMA-12'
                then case
                    when coalesce(incomplete_counts.incomplete_count, 0) > 0
                        then
                            case
                                when coalesce(counted.population_count, 0) = 0 then 1
                                else {{ pmo_ratio('counted.failing_count', 'counted.population_count') }}
                            end
                end
            else {{ pmo_ratio('counted.failing_count', 'counted.population_count') }}
        end as measured_value
    from spine
    left join counted
        on spine.plan_id = counted.plan_id and spine.check_id = counted.check_id
    left join completed on spine.plan_id = completed.plan_id
    left join incomplete_counts on spine.plan_id = incomplete_counts.plan_id
    left join cpli on spine.plan_id = cpli.plan_id
),

final as (
    select
        {{ pmo_surrogate_key(['plan_id', 'check_id']) }} as schedule_check_key,
        plan_id,
        file_name,
        project_code,
        project_title,
        status_date,
        has_file_status_date,
        check_id,
        check_number,
        check_name,
        population_count,
        failing_count,
        failing_pct,
        cast(measured_value as decimal(18, 4)) as measured_value,
        comparison,
        threshold_value,
        case
            when measured_value is null then null
            when comparison = 'max' then measured_value <= threshold_value
            else measured_value >= threshold_value
        end as is_pass,
        offending_task_uids
    from measured
)

select * from final
