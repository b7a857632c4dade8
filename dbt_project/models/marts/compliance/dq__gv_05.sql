{#- GV-05 dates passed, state not: a Planner or MS Project task (not a summary or milestone) whose start
    passed while it is not started, or whose due date passed while it is not done. Jira issues
    are left out: their created date is not a planned start. -#}
{%- set evidence = [
    ('status', 'status_category'),
    ('start', 'start_date'),
    ('due', 'due_date'),
    ('complete_pct', pmo_ratio('percent_complete', '100', 4)),
] -%}
with

int_tasks_unioned as (
    select * from {{ ref('int_tasks_unioned') }}
),

exceptions as (
    select
        'task' as entity_type,
        task_display_key as entity_key,
        source_system,
        coalesce(project_code, 'UNMAPPED') as project_code,
        {{ pmo_evidence(evidence) }} as evidence,
        {{ pmo_evidence_columns(evidence) }},
        case
            when source_system = 'msproject' then split_part(task_display_key, '|', 2)
            else task_display_key
        end as source_item_key,
        case
            when source_system = 'msproject' then split_part(task_display_key, '|', 1)
        end as source_file
    from int_tasks_unioned
    where
        source_system in ('planner', 'msproject')
        and not is_deleted
        and not is_summary
        -- An overdue milestone is GV-04's exception; reporting it twice would double-count it.
        and not is_milestone
        and not is_closed
        and (
            (status_category = 'not_started' and start_date < {{ pmo_as_of_date() }})
            or due_date < {{ pmo_as_of_date() }}
        )
)

{{ pmo_dq_final('GV-05', evidence=evidence, locators=['source_item_key', 'source_file']) }}
