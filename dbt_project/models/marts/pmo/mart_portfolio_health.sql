{#- Portfolio health per project as of the as-of date: computed RAG beside the PM's reported RAG,
    thresholds from the seed rag_rule_config (pmo-domain 1.1).
    Schedule RAG = worst of days late (the larger of the worst overdue milestone's days late and
    the days an open project is past its approved finish date) and SPI bands. Cost RAG = CPI bands.
    Unknown inputs never read as Green: a dimension with any input unknown is 'Grey' unless a known
    input already makes it Amber or Red, and `rag_unknown_reason` says what is missing. Computed RAG =
    Red if any dimension is Red, else Amber if any is Amber, else Grey if any is Grey, else Green.
    GV-09 = reported Green, computed Red. -#}
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
        count(*) as milestone_count,
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
        -- Days late is known when the project has a finish date or milestones to be late against.
        case
            when projects.finish_date is null and milestone_delay.milestone_count is null then null
            else greatest(
                coalesce(milestone_delay.worst_milestone_days_late, 0),
                case
                    when projects.is_open and projects.finish_date < {{ pmo_as_of_date() }}
                        then {{ pmo_datediff('projects.finish_date', pmo_as_of_date(), 'day') }}
                    else 0
                end
            )
        end as schedule_days_late,
        evm.bac,
        evm.pv,
        evm.ev,
        evm.ac,
        evm.cpi,
        evm.spi,
        evm.spi_t
    from dim_project as projects
    left join milestone_delay on projects.project_code = milestone_delay.project_code
    left join mart_evm_project as evm on projects.project_code = evm.project_code
    where not projects.is_unknown_member
),

banded as (
    select
        *,
        case
            when schedule_days_late is null then null
            when schedule_days_late >= {{ pmo_rag_param('schedule_red_days_late') }} then 'Red'
            when schedule_days_late >= {{ pmo_rag_param('schedule_amber_days_late') }} then 'Amber'
            else 'Green'
        end as days_late_rag,
        case
            when spi is null then null
            when spi >= {{ pmo_rag_param('schedule_spi_green_min') }} then 'Green'
            when spi >= {{ pmo_rag_param('schedule_spi_amber_min') }} then 'Amber'
            else 'Red'
        end as spi_rag,
        case
            when cpi is null then null
            when cpi >= {{ pmo_rag_param('cost_cpi_green_min') }} then 'Green'
            when cpi >= {{ pmo_rag_param('cost_cpi_amber_min') }} then 'Amber'
            else 'Red'
        end as cpi_rag
    from measures
),

rated as (
    select
        *,
        case
            when 'Red' in (coalesce(days_late_rag, ''), coalesce(spi_rag, '')) then 'Red'
            when 'Amber' in (coalesce(days_late_rag, ''), coalesce(spi_rag, '')) then 'Amber'
            when days_late_rag is null or spi_rag is null then 'Grey'
            else 'Green'
        end as schedule_rag,
        coalesce(cpi_rag, 'Grey') as cost_rag,
        nullif(concat_ws(
            '; ',
            case when schedule_days_late is null then 'no finish date or milestones' end,
            case
                when bac is null then 'no baseline or budget (BAC unknown)'
                when ev is null then 'no work items to measure progress (EV unknown)'
            end,
            case
                when bac is not null and coalesce(pv, 0) = 0
                    then 'nothing planned by the as-of date (PV = 0)'
            end,
            case when ev is not null and coalesce(ac, 0) = 0 then 'no actual cost recorded (AC = 0)' end,
            case when ev is not null and ev = 0 and ac > 0 then 'no earned value yet (EV = 0)' end
        ), '') as rag_unknown_reason
    from banded
),

final as (
    select
        project_code,
        project_name,
        program_code,
        portfolio_code,
        status,
        stage,
        reported_rag,
        last_status_date,
        overdue_milestone_count,
        schedule_days_late,
        cpi,
        spi,
        spi_t,
        days_late_rag,
        spi_rag,
        schedule_rag,
        cost_rag,
        case
            when 'Red' in (schedule_rag, cost_rag) then 'Red'
            when 'Amber' in (schedule_rag, cost_rag) then 'Amber'
            when 'Grey' in (schedule_rag, cost_rag) then 'Grey'
            else 'Green'
        end as computed_rag,
        rag_unknown_reason,
        reported_rag is not null
        and reported_rag <> case
            when 'Red' in (schedule_rag, cost_rag) then 'Red'
            when 'Amber' in (schedule_rag, cost_rag) then 'Amber'
            when 'Grey' in (schedule_rag, cost_rag) then 'Grey'
            else 'Green'
        end as is_rag_divergent,
        coalesce(reported_rag, '') = 'Green'
        and 'Red' in (schedule_rag, cost_rag) as is_green_but_red,
        {{ pmo_as_of_date() }} as as_of_date
    from rated
)

select * from final
