{#- Canonical people from HR (finance people file) with their ids in each tool, and a `-1`
    member for time booked by someone HR does not know. -#}
with

stg_finance__people as (
    select * from {{ ref('stg_finance__people') }}
),

int_people_identified as (
    select * from {{ ref('int_people_identified') }}
),

tool_ids as (
    select
        person_id,
        min(case when source_system = 'jira' then source_person_id end) as jira_account_id,
        min(case when source_system = 'planner' then source_person_id end) as entra_user_id,
        sum(case when source_system = 'msproject' then 1 else 0 end) as msproject_resource_count
    from int_people_identified
    where person_id is not null and source_system <> 'finance'
    group by person_id
),

people as (
    select
        {{ pmo_surrogate_key(['people.person_id']) }} as person_key,
        {{ pmo_to_string('people.person_id') }} as person_id,
        lower(trim(people.email)) as email,
        people.display_name,
        people.department,
        people.employment_type,
        people.employment_type = 'contractor' as is_contractor,
        cast(people.contract_end_date as date) as contract_end_date,
        {{ pmo_money('people.cost_rate') }} as cost_rate,
        {{ pmo_hours('coalesce(people.std_hours_per_day, 8)') }} as std_hours_per_day,
        cast(coalesce(people.fte, 1) as decimal(5, 2)) as fte,
        coalesce(people.is_active, true) as is_active,
        tool_ids.jira_account_id,
        tool_ids.entra_user_id,
        coalesce(tool_ids.msproject_resource_count, 0) as msproject_resource_count,
        false as is_unknown_member
    from stg_finance__people as people
    left join tool_ids on {{ pmo_to_string('people.person_id') }} = tool_ids.person_id
),

unknown_member as (
    select
        '-1' as person_key,
        '-1' as person_id,
        cast(null as {{ pmo_type_string() }}) as email,
        'Unknown person' as display_name,
        cast(null as {{ pmo_type_string() }}) as department,
        cast(null as {{ pmo_type_string() }}) as employment_type,
        false as is_contractor,
        cast(null as date) as contract_end_date,
        cast(null as decimal(18, 2)) as cost_rate,
        cast(null as decimal(12, 2)) as std_hours_per_day,
        cast(null as decimal(5, 2)) as fte,
        false as is_active,
        cast(null as {{ pmo_type_string() }}) as jira_account_id,
        cast(null as {{ pmo_type_string() }}) as entra_user_id,
        0 as msproject_resource_count,
        true as is_unknown_member
),

final as (
    select * from people
    union all
    select * from unknown_member
)

select * from final
