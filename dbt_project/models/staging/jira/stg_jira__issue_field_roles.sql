{#- One row per issue with the current value of every PMO field role configured in
    [sources.jira.field_roles] (resolved to a field id by the connector each run). Scores read
    a number field as is and an option such as '3 - Possible' by its leading number. -#}
with

field_roles as (
    select
        role,
        field_id
    from {{ source('raw_jira', 'field_roles') }}
    where status in ('resolved', 'ambiguous') and field_id is not null
),

current_values as (
    select * from {{ ref('stg_jira__custom_field_values') }}
    where is_current
),

role_values as (
    select
        current_values.issue_id,
        field_roles.role,
        current_values.value_text,
        current_values.value_user_account_id,
        coalesce(current_values.value_number, {{ pmo_leading_number('current_values.value_text') }})
            as value_number,
        coalesce(
            current_values.value_date, cast(current_values.value_timestamp as date)
        ) as value_date
    from current_values
    inner join field_roles on current_values.field_id = field_roles.field_id
),

pivoted as (
    select
        issue_id,
        max(case when role = 'finance_code' then trim(value_text) end) as finance_code,
        max(case when role = 'cost_center' then value_text end) as cost_center,
        max(case when role = 'risk_probability' then value_text end) as risk_probability_text,
        max(case when role = 'risk_probability' then value_number end) as risk_probability_score,
        max(case when role = 'risk_impact' then value_text end) as risk_impact_text,
        max(case when role = 'risk_impact' then value_number end) as risk_impact_score,
        max(case when role = 'target_start' then value_date end) as target_start_date,
        max(case when role = 'target_end' then value_date end) as target_end_date,
        max(case when role = 'decision_owner' then value_user_account_id end)
            as decision_owner_account_id,
        max(case when role = 'mitigation' then value_text end) as mitigation,
        max(case when role = 'raid_category' then value_text end) as raid_category
    from role_values
    group by issue_id
)

select * from pivoted
