{#- Canonical projects from the finance registry (golden key = finance project code) with their
    program and portfolio, the people behind manager/sponsor emails, the tools that carry the
    project; the tool-born projects (a Jira project, Planner plan or MS Project plan that maps to
    no registry code, keyed by int_projects_identified), which carry no budget, people or
    lifecycle because only the registry knows those; and the `-1` / UNMAPPED member that facts
    with an unknown code point at. -#}
with

stg_finance__projects as (
    select * from {{ ref('stg_finance__projects') }}
),

stg_finance__people as (
    select * from {{ ref('stg_finance__people') }}
),

int_projects_identified as (
    select * from {{ ref('int_projects_identified') }}
),

people as (
    select
        lower(trim(email)) as email_key,
        min({{ pmo_to_string('person_id') }}) as person_id,
        {{ pmo_bool_or('is_active') }} as is_active
    from stg_finance__people
    group by lower(trim(email))
),

tools as (
    select
        project_code,
        {{ pmo_bool_or("source_system = 'jira'") }} as has_jira,
        {{ pmo_bool_or("source_system = 'planner'") }} as has_planner,
        {{ pmo_bool_or("source_system = 'msproject'") }} as has_msproject
    from int_projects_identified
    where project_code is not null
    group by project_code
),

projects as (
    select
        {{ pmo_surrogate_key(['projects.project_code']) }} as project_key,
        projects.project_code,
        projects.project_name,
        projects.program_code,
        projects.program_name,
        projects.portfolio_code,
        projects.portfolio_name,
        lower(trim(projects.manager_email)) as manager_email,
        lower(trim(projects.sponsor_email)) as sponsor_email,
        managers.person_id as manager_person_id,
        sponsors.person_id as sponsor_person_id,
        coalesce(managers.is_active, false) as is_manager_active,
        coalesce(sponsors.is_active, false) as is_sponsor_active,
        projects.status,
        projects.stage,
        projects.status = 'active' as is_active,
        projects.status <> 'closed' as is_open,
        cast(projects.start_date as date) as start_date,
        cast(projects.finish_date as date) as finish_date,
        cast(projects.closed_date as date) as closed_date,
        coalesce(projects.is_chargeable, projects.status <> 'closed') as is_chargeable,
        coalesce(projects.has_baseline, false) as has_baseline,
        upper(trim(projects.currency)) as currency,
        {{ pmo_money('projects.budget_total') }} as budget_total,
        projects.reported_rag,
        cast(projects.last_status_date as date) as last_status_date,
        coalesce(tools.has_jira, false) as has_jira,
        coalesce(tools.has_planner, false) as has_planner,
        coalesce(tools.has_msproject, false) as has_msproject,
        'finance_registry' as project_origin,
        false as is_unknown_member
    from stg_finance__projects as projects
    left join people as managers on lower(trim(projects.manager_email)) = managers.email_key
    left join people as sponsors on lower(trim(projects.sponsor_email)) = sponsors.email_key
    left join tools on projects.project_code = tools.project_code
),

tool_born as (
    select
        {{ pmo_surrogate_key(['tool_objects.project_code']) }} as project_key,
        tool_objects.project_code,
        coalesce(tool_objects.source_object_name, tool_objects.display_key) as project_name,
        cast(null as {{ pmo_type_string() }}) as program_code,
        cast(null as {{ pmo_type_string() }}) as program_name,
        cast(null as {{ pmo_type_string() }}) as portfolio_code,
        cast(null as {{ pmo_type_string() }}) as portfolio_name,
        cast(null as {{ pmo_type_string() }}) as manager_email,
        cast(null as {{ pmo_type_string() }}) as sponsor_email,
        cast(null as {{ pmo_type_string() }}) as manager_person_id,
        cast(null as {{ pmo_type_string() }}) as sponsor_person_id,
        false as is_manager_active,
        false as is_sponsor_active,
        -- A tool has no lifecycle status: 'unknown' keeps these out of the registry rules that
        -- need one (GV-01, GV-03, GV-11 test active projects), while is_open still lets the
        -- schedule be judged against the tool's own milestones.
        'unknown' as status,
        cast(null as {{ pmo_type_string() }}) as stage,  -- noqa: RF04
        false as is_active,
        true as is_open,
        cast(null as date) as start_date,
        cast(null as date) as finish_date,
        cast(null as date) as closed_date,
        -- Nothing says the project may not be charged; TS-05 needs a registry flag to fire.
        true as is_chargeable,
        false as has_baseline,
        cast(null as {{ pmo_type_string() }}) as currency,
        -- No approved budget exists outside the registry: unknown, never 0.
        cast(null as decimal(18, 2)) as budget_total,
        cast(null as {{ pmo_type_string() }}) as reported_rag,
        cast(null as date) as last_status_date,
        coalesce(tools.has_jira, false) as has_jira,
        coalesce(tools.has_planner, false) as has_planner,
        coalesce(tools.has_msproject, false) as has_msproject,
        tool_objects.project_origin,
        false as is_unknown_member
    from int_projects_identified as tool_objects
    left join tools on tool_objects.project_code = tools.project_code
    where tool_objects.project_origin <> 'finance_registry'
),

unknown_member as (
    select
        '-1' as project_key,
        'UNMAPPED' as project_code,
        'Unknown or unmapped project' as project_name,
        cast(null as {{ pmo_type_string() }}) as program_code,
        cast(null as {{ pmo_type_string() }}) as program_name,
        cast(null as {{ pmo_type_string() }}) as portfolio_code,
        cast(null as {{ pmo_type_string() }}) as portfolio_name,
        cast(null as {{ pmo_type_string() }}) as manager_email,
        cast(null as {{ pmo_type_string() }}) as sponsor_email,
        cast(null as {{ pmo_type_string() }}) as manager_person_id,
        cast(null as {{ pmo_type_string() }}) as sponsor_person_id,
        false as is_manager_active,
        false as is_sponsor_active,
        'unknown' as status,
        cast(null as {{ pmo_type_string() }}) as stage,  -- noqa: RF04
        false as is_active,
        false as is_open,
        cast(null as date) as start_date,
        cast(null as date) as finish_date,
        cast(null as date) as closed_date,
        false as is_chargeable,
        false as has_baseline,
        cast(null as {{ pmo_type_string() }}) as currency,
        cast(null as decimal(18, 2)) as budget_total,
        cast(null as {{ pmo_type_string() }}) as reported_rag,
        cast(null as date) as last_status_date,
        false as has_jira,
        false as has_planner,
        false as has_msproject,
        'unknown' as project_origin,
        true as is_unknown_member
),

final as (
    select * from projects
    union all
    select * from tool_born
    union all
    select * from unknown_member
)

select * from final
