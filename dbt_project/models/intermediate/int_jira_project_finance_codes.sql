{#- The finance code of each Jira project from the issues' finance-code field (field role
    finance_code): the code most of its live issues carry (ties: the smallest code). Projects
    whose issues carry none are absent. -#}
with

stg_jira__issues as (
    select * from {{ ref('stg_jira__issues') }}
),

stg_jira__issue_field_roles as (
    select * from {{ ref('stg_jira__issue_field_roles') }}
),

code_counts as (
    select
        stg_jira__issues.jira_project_id,
        stg_jira__issue_field_roles.finance_code,
        count(*) as issue_count
    from stg_jira__issues
    inner join stg_jira__issue_field_roles
        on stg_jira__issues.issue_id = stg_jira__issue_field_roles.issue_id
    where not stg_jira__issues.is_deleted and stg_jira__issue_field_roles.finance_code is not null
    group by stg_jira__issues.jira_project_id, stg_jira__issue_field_roles.finance_code
),

ranked as (
    select
        jira_project_id,
        finance_code,
        issue_count,
        sum(issue_count) over (partition by jira_project_id) as coded_issue_count,
        row_number() over (
            partition by jira_project_id order by issue_count desc, finance_code asc
        ) as code_rank
    from code_counts
),

final as (
    select
        jira_project_id,
        finance_code,
        issue_count as finance_code_issue_count,
        coded_issue_count
    from ranked
    where code_rank = 1
)

select * from final
