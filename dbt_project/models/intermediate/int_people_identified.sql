{#- Every person-like source object (HR person, Jira account, Entra user, MS Project resource)
    with the HR person it is. Match on lower-cased email first; Jira Cloud often hides emails,
    so fall back to a display name that is unique in HR. -#}
{# dbt finds refs by rendering: a ref inside a disabled-source branch is not rendered,
   so the edges are declared here for dbt's run order to match the full graph. #}
-- depends_on: {{ ref('stg_finance__people') }}
-- depends_on: {{ ref('stg_jira__users') }}
-- depends_on: {{ ref('stg_msproject__resources') }}
-- depends_on: {{ ref('stg_planner__users') }}
with

stg_finance__people as (
    select * from {{ ref('stg_finance__people') }}
),

{% if pmo_source_enabled('jira') %}
    stg_jira__users as (
        select * from {{ ref('stg_jira__users') }}
    ),
{% endif %}

{% if pmo_source_enabled('planner') %}
    stg_planner__users as (
        select * from {{ ref('stg_planner__users') }}
    ),
{% endif %}

{% if pmo_source_enabled('msproject') %}
    stg_msproject__resources as (
        select * from {{ ref('stg_msproject__resources') }}
    ),
{% endif %}

hr_by_email as (
    select
        lower(trim(email)) as email_key,
        min({{ pmo_to_string('person_id') }}) as person_id
    from stg_finance__people
    where email is not null
    group by lower(trim(email))
),

hr_by_name as (
    select
        lower(trim(display_name)) as name_key,
        min({{ pmo_to_string('person_id') }}) as person_id
    from stg_finance__people
    where display_name is not null
    group by lower(trim(display_name))
    having count(*) = 1
),

candidates as (
    select
        'finance' as source_system,
        'hr_person' as source_object_type,
        {{ pmo_to_string('person_id') }} as source_person_id,
        lower(trim(email)) as email_key,
        lower(trim(display_name)) as name_key,
        display_name
    from stg_finance__people
    {% if pmo_source_enabled('jira') %}
        union all
        select
            'jira' as source_system,
            'jira_account' as source_object_type,
            {{ pmo_to_string('account_id') }} as source_person_id,
            lower(trim(email)) as email_key,
            lower(trim(display_name)) as name_key,
            display_name
        from stg_jira__users
    {% endif %}
    {% if pmo_source_enabled('planner') %}
        union all
        select
            'planner' as source_system,
            'entra_user' as source_object_type,
            {{ pmo_to_string('user_id') }} as source_person_id,
            lower(trim(email)) as email_key,
            lower(trim(display_name)) as name_key,
            display_name
        from stg_planner__users
    {% endif %}
    {% if pmo_source_enabled('msproject') %}
        union all
        select
            'msproject' as source_system,
            'msproject_resource' as source_object_type,
            {{ pmo_to_string('plan_id') }} || '|' || {{ pmo_to_string('resource_uid') }} as source_person_id,
            lower(trim(email)) as email_key,
            lower(trim(resource_name)) as name_key,
            resource_name as display_name
        from stg_msproject__resources
    {% endif %}
),

matched as (
    select
        candidates.source_system,
        candidates.source_object_type,
        candidates.source_person_id,
        candidates.display_name,
        candidates.email_key as source_email,
        coalesce(hr_by_email.person_id, hr_by_name.person_id) as person_id,
        case
            when hr_by_email.person_id is not null then 'email'
            when hr_by_name.person_id is not null then 'display_name'
        end as match_method
    from candidates
    left join hr_by_email on candidates.email_key = hr_by_email.email_key
    left join hr_by_name on candidates.name_key = hr_by_name.name_key
),

final as (
    select
        {{ pmo_surrogate_key(['source_system', 'source_person_id']) }} as source_person_key,
        source_system,
        source_object_type,
        source_person_id,
        display_name,
        source_email,
        person_id,
        match_method,
        person_id is not null as is_matched
    from matched
)

select * from final
