{#- GV-04 overdue milestone: not complete and its (baseline) finish before the as-of date. Keys
    as fct_milestones shows them: <plan file>|<task UID> (MS Project), version id (Jira). -#}
with

fct_milestones as (
    select * from {{ ref('fct_milestones') }}
),

exceptions as (
    select
        milestone_type as entity_type,
        milestone_display_key as entity_key,
        source_system,
        project_code,
        {{ pmo_evidence([
            ('milestone', 'milestone_name'),
            ('baseline_finish', 'baseline_finish_date'),
            ('forecast_finish', 'forecast_finish_date'),
            ('days_late', 'days_late'),
            ('days_old', 'days_old'),
        ]) }} as evidence
    from fct_milestones
    where is_overdue
)

{{ pmo_dq_final('GV-04') }}
