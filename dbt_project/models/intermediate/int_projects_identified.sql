{#- Every source object that stands for a project (finance registry code, Jira project, Planner
    plan, MS Project plan) with its canonical finance project code. Order of evidence: a manual
    seed override, then the code the tool carries (Jira: the finance-code custom field its issues
    carry, field role finance_code, else the project category; Planner `[FIN-xxxx]` title
    prefix; MS Project custom field). A candidate code that is not in the finance registry
    is not a mapping: such rows keep finance_project_code null and feed GV-10.
    An unmapped tool object is a project of its own ("tool-born", D-NEW tool-born projects) so
    its tasks, time and RAID reach the marts even without a finance registry: project_code is
    then `JIRA:<project key>`, `PLANNER:<plan id>` or `MSP:<file name>` - the key GV-10 quotes,
    or the native id when two objects of one tool share that key. The prefix keeps these codes
    apart from any finance code, so an invoice or budget line can never join one. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('stg_finance__projects') }}
-- depends_on: {{ ref('stg_jira__issue_field_roles') }}
-- depends_on: {{ ref('stg_jira__issues') }}
-- depends_on: {{ ref('stg_jira__projects') }}
-- depends_on: {{ ref('stg_msproject__projects') }}
-- depends_on: {{ ref('stg_planner__plans') }}
-- depends_on: {{ ref('xref_project_identity_manual') }}
with

stg_finance__projects as (
    select * from {{ ref('stg_finance__projects') }}
),

{% if pmo_source_enabled('jira') %}
    stg_jira__projects as (
        select * from {{ ref('stg_jira__projects') }}
    ),

    stg_jira__issues as (
        select * from {{ ref('stg_jira__issues') }}
    ),

    stg_jira__issue_field_roles as (
        select * from {{ ref('stg_jira__issue_field_roles') }}
    ),

    -- The finance code a Jira project's issues carry (field role finance_code): the code most
    -- of its live issues carry, ties to the smallest code.
    jira_code_counts as (
        select
            stg_jira__issues.jira_project_id,
            stg_jira__issue_field_roles.finance_code,
            count(*) as issue_count
        from stg_jira__issues
        inner join stg_jira__issue_field_roles
            on stg_jira__issues.issue_id = stg_jira__issue_field_roles.issue_id
        where
            not stg_jira__issues.is_deleted
            and stg_jira__issue_field_roles.finance_code is not null
        group by stg_jira__issues.jira_project_id, stg_jira__issue_field_roles.finance_code
    ),

    jira_field_codes as (
        select
            jira_project_id,
            finance_code,
            row_number() over (
                partition by jira_project_id order by issue_count desc, finance_code asc
            ) as code_rank
        from jira_code_counts
    ),
{% endif %}

{% if pmo_source_enabled('planner') %}
    stg_planner__plans as (
        select * from {{ ref('stg_planner__plans') }}
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    stg_msproject__projects as (
        select * from {{ ref('stg_msproject__projects') }}
    ),
{% endif %}

xref_project_identity_manual as (
    select * from {{ ref('xref_project_identity_manual') }}
),

candidates as (
    select
        'finance' as source_system,
        'finance_project_code' as source_object_type,
        {{ pmo_to_string('project_code') }} as source_native_id,
        {{ pmo_to_string('project_code') }} as display_key,
        {{ pmo_to_string('project_name') }} as source_object_name,
        {{ pmo_to_string('project_code') }} as candidate_project_code,
        'registry' as detected_match_method
    from stg_finance__projects
    {% if pmo_source_enabled('jira') %}
        union all
        select
            'jira' as source_system,
            'jira_project' as source_object_type,
            {{ pmo_to_string('projects.jira_project_id') }} as source_native_id,
            {{ pmo_to_string('projects.project_key') }} as display_key,
            {{ pmo_to_string('projects.project_name') }} as source_object_name,
            {{ pmo_to_string('coalesce(field_codes.finance_code, projects.project_code)') }}
                as candidate_project_code,
            case
                when field_codes.finance_code is not null then 'finance_code_field'
                else 'project_category'
            end as detected_match_method
        from stg_jira__projects as projects
        left join jira_field_codes as field_codes
            on projects.jira_project_id = field_codes.jira_project_id and field_codes.code_rank = 1
    {% endif %}
    {% if pmo_source_enabled('planner') %}
        union all
        select
            'planner' as source_system,
            'planner_plan' as source_object_type,
            {{ pmo_to_string('plan_id') }} as source_native_id,
            {{ pmo_to_string('plan_id') }} as display_key,
            {{ pmo_to_string('plan_title') }} as source_object_name,
            {{ pmo_to_string('project_code') }} as candidate_project_code,
            'title_prefix' as detected_match_method
        from stg_planner__plans
    {% endif %}
    {% if pmo_source_enabled('msproject') %}
        union all
        select
            'msproject' as source_system,
            'msproject_project' as source_object_type,
            {{ pmo_to_string('plan_id') }} as source_native_id,
            {{ pmo_basename('source_file') }} as display_key,
            {{ pmo_to_string('project_title') }} as source_object_name,
            {{ pmo_to_string('project_code') }} as candidate_project_code,
            'custom_field' as detected_match_method
        from stg_msproject__projects
    {% endif %}
),

manual_overrides as (
    -- The seed may name an object by its native id or by its display key (e.g. a Jira key).
    select
        candidates.source_system,
        candidates.source_object_type,
        candidates.source_native_id,
        max(xref_project_identity_manual.project_code) as manual_project_code
    from candidates
    inner join xref_project_identity_manual
        on
            candidates.source_system = xref_project_identity_manual.source_system
            and candidates.source_object_type = xref_project_identity_manual.source_object_type
            and xref_project_identity_manual.source_native_id in (
                candidates.source_native_id, candidates.display_key
            )
    group by candidates.source_system, candidates.source_object_type, candidates.source_native_id
),

proposed as (
    select
        candidates.*,
        manual_overrides.manual_project_code,
        coalesce(
            manual_overrides.manual_project_code, nullif(trim(candidates.candidate_project_code), '')
        ) as proposed_project_code
    from candidates
    left join manual_overrides
        on
            candidates.source_system = manual_overrides.source_system
            and candidates.source_object_type = manual_overrides.source_object_type
            and candidates.source_native_id = manual_overrides.source_native_id
),

resolved as (
    select
        proposed.*,
        stg_finance__projects.project_code as finance_project_code,
        count(*) over (
            partition by proposed.source_system, proposed.display_key
        ) as display_key_uses
    from proposed
    left join stg_finance__projects
        on proposed.proposed_project_code = stg_finance__projects.project_code
),

final as (
    select
        {{ pmo_surrogate_key(['resolved.source_system', 'resolved.source_object_type',
            'resolved.source_native_id']) }} as source_object_key,
        resolved.source_system,
        resolved.source_object_type,
        resolved.source_native_id,
        resolved.display_key,
        resolved.source_object_name,
        resolved.candidate_project_code,
        resolved.manual_project_code,
        coalesce(
            resolved.finance_project_code,
            case resolved.source_system
                when 'jira' then 'JIRA:'
                when 'planner' then 'PLANNER:'
                when 'msproject' then 'MSP:'
            end
            || case
                when resolved.display_key is not null and resolved.display_key_uses = 1
                    then resolved.display_key
                else resolved.source_native_id
            end
        ) as project_code,
        resolved.finance_project_code,
        case
            when resolved.finance_project_code is not null then 'finance_registry'
            else resolved.source_system
        end as project_origin,
        case
            when resolved.finance_project_code is null then null
            when resolved.manual_project_code is not null then 'manual_seed'
            else resolved.detected_match_method
        end as match_method,
        resolved.finance_project_code is not null as is_mapped
    from resolved
)

select * from final
