{#- Exceptions per rule x severity (every configured rule appears, with 0 when clean). -#}
with

fct_dq_exceptions as (
    select * from {{ ref('fct_dq_exceptions') }}
),

compliance_rule_config as (
    select * from {{ ref('compliance_rule_config') }}
),

rules as (
    select
        rule_id,
        max(severity) as severity,
        max(rule_name) as rule_name
    from compliance_rule_config
    group by rule_id
),

counts as (
    select
        rule_id,
        severity,
        count(*) as exception_count,
        count(distinct project_code) as project_count
    from fct_dq_exceptions
    group by rule_id, severity
),

final as (
    select
        rules.rule_id,
        rules.rule_name,
        rules.severity,
        substring(rules.rule_id, 1, 2) as rule_family,
        coalesce(counts.exception_count, 0) as exception_count,
        coalesce(counts.project_count, 0) as project_count,
        cast({{ pmo_as_of_date() }} as {{ pmo_type_timestamp() }}) as detected_at
    from rules
    left join counts on rules.rule_id = counts.rule_id and rules.severity = counts.severity
)

select * from final
