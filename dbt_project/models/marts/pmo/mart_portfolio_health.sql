{#- Portfolio health per project as of the as-of date: computed RAG (worst of schedule and
    cost; thresholds from the seed rag_rule_config) beside the PM's reported RAG, and their
    divergence. Schedule days late = the larger of the worst overdue milestone's days late and
    the days an open project is past its approved finish date. Cost RAG from CPI (NULL when CPI
    is undefined: no cost evidence is not Green evidence). GV-09 = reported Green, computed Red. -#}
with

dim_project as (
    select * from {{ ref('dim_project') }}
),

fct_milestones as (
    select * from {{ ref('fct_milestones') }}
),

mart_evm_project as (
    select * from {{ ref('mart_evm_project') }}
),

milestone_delay as (
    select
        project_code,
        max(days_late) as worst_milestone_days_late,
        sum(case when is_overdue then 1 else 0 end) as overdue_milestone_count
    from fct_milestones
    group by project_code
),

measures as (
    select
        projects.project_code,
        projects.project_name,
        projects.program_code,
        projects.portfolio_code,
        projects.status,
        projects.stage,
        projects.reported_rag,
        projects.last_status_date,
        coalesce(milestone_delay.overdue_milestone_count, 0) as overdue_milestone_count,
        greatest(
            coalesce(milestone_delay.worst_milestone_days_late, 0),
            case
                when projects.is_open and projects.finish_date < {{ pmo_as_of_date() }}
                    then {{ pmo_datediff('projects.finish_date', pmo_as_of_date(), 'day') }}
                else 0
            end
        ) as schedule_days_late,
        evm.cpi,
        evm.spi
    from dim_project as projects
    left join milestone_delay on projects.project_code = milestone_delay.project_code
    left join mart_evm_project as evm on projects.project_code = evm.project_code
    where not projects.is_unknown_member
),

rated as (
    select
        *,
        case
            when schedule_days_late >= {{ pmo_rag_param('schedule_red_days_late') }} then 'Red'
            when schedule_days_late >= {{ pmo_rag_param('schedule_amber_days_late') }} then 'Amber'
            else 'Green'
        end as schedule_rag,
        case
            when cpi is null then null
            when cpi >= {{ pmo_rag_param('cost_cpi_green_min') }} then 'Green'
            when cpi >= {{ pmo_rag_param('cost_cpi_amber_min') }} then 'Amber'
            else 'Red'
        end as cost_rag
    from measures
),

final as (
    select
        *,
        case
            when 'Red' in (schedule_rag, coalesce(cost_rag, 'Green')) then 'Red'
            when 'Amber' in (schedule_rag, coalesce(cost_rag, 'Green')) then 'Amber'
            else 'Green'
        end as computed_rag,
        reported_rag is not null
        and reported_rag <> case
            when 'Red' in (schedule_rag, coalesce(cost_rag, 'Green')) then 'Red'
            when 'Amber' in (schedule_rag, coalesce(cost_rag, 'Green')) then 'Amber'
            else 'Green'
        end as is_rag_divergent,
        reported_rag = 'Green'
        and 'Red' in (schedule_rag, coalesce(cost_rag, 'Green')) as is_green_but_red,
        {{ pmo_as_of_date() }} as as_of_date
    from rated
)

select * from final
