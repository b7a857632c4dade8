{#- GV-06 schedule hygiene (DCMA 14-point): one exception per MS Project plan x failed check of
    mart_schedule_quality. Key: <plan file>|<check id>. -#}
with

mart_schedule_quality as (
    select * from {{ ref('mart_schedule_quality') }}
),

exceptions as (
    select
        'msproject_plan_check' as entity_type,
        file_name || '|' || check_id as entity_key,
        'msproject' as source_system,
        project_code,
        {{ pmo_evidence([
            ('check', 'check_name'),
            ('status_date', 'status_date'),
            ('failing', 'failing_count'),
            ('of', 'population_count'),
            ('measured', 'measured_value'),
            ('threshold', 'threshold_value'),
            ('task_uids', 'offending_task_uids'),
        ]) }} as evidence
    from mart_schedule_quality
    where not is_pass
)

{{ pmo_dq_final('GV-06') }}
