{#- Identity of compliance exceptions across runs: one row per exception ever detected, with the
    as-of date it was first detected and last seen, the as-of date it was resolved (gone from
    fct_dq_exceptions), its age in days and how often it came back after a resolution.

    Incremental (delete+insert on exception_key) and never fully refreshed: each run merges the
    current exceptions into the previous history, so a re-run with the same data changes nothing
    and `dbt build --full-refresh` keeps the history. Ages count as-of days (the pinned "today"
    of reports), first_seen_run_at is the wall-clock time of the first run that saw it. -#}
{{ config(
    materialized='incremental',
    unique_key='exception_key',
    incremental_strategy='delete+insert',
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}
{%- set as_of = "cast(" ~ pmo_as_of_date() ~ " as date)" -%}
with

fct_dq_exceptions as (
    select * from {{ ref('fct_dq_exceptions') }}
),

current_exceptions as (
    select
        exception_key,
        rule_id,
        severity,
        entity_type,
        entity_key,
        source_system,
        project_code,
        source_locator,
        source_url,
        evidence
    from fct_dq_exceptions
),

previous as (
    {% if is_incremental() %}
        select
            exception_key,
            rule_id,
            severity,
            entity_type,
            entity_key,
            source_system,
            project_code,
            source_locator,
            source_url,
            evidence,
            first_detected_on,
            last_seen_on,
            resolved_on,
            reopened_count,
            first_seen_run_at
        from {{ this }}
    {% else %}
        select
            cast(null as {{ pmo_type_string() }}) as exception_key,
            cast(null as {{ pmo_type_string() }}) as rule_id,
            cast(null as {{ pmo_type_string() }}) as severity,
            cast(null as {{ pmo_type_string() }}) as entity_type,
            cast(null as {{ pmo_type_string() }}) as entity_key,
            cast(null as {{ pmo_type_string() }}) as source_system,
            cast(null as {{ pmo_type_string() }}) as project_code,
            cast(null as {{ pmo_type_string() }}) as source_locator,
            cast(null as {{ pmo_type_string() }}) as source_url,
            cast(null as {{ pmo_type_string() }}) as evidence,
            cast(null as date) as first_detected_on,
            cast(null as date) as last_seen_on,
            cast(null as date) as resolved_on,
            0 as reopened_count,
            cast(null as {{ pmo_type_timestamp() }}) as first_seen_run_at
        where 1 = 0
    {% endif %}
),

merged as (
    select
        coalesce(current_exceptions.exception_key, previous.exception_key) as exception_key,
        coalesce(current_exceptions.rule_id, previous.rule_id) as rule_id,
        coalesce(current_exceptions.severity, previous.severity) as severity,
        coalesce(current_exceptions.entity_type, previous.entity_type) as entity_type,
        coalesce(current_exceptions.entity_key, previous.entity_key) as entity_key,
        coalesce(current_exceptions.source_system, previous.source_system) as source_system,
        coalesce(current_exceptions.project_code, previous.project_code) as project_code,
        coalesce(current_exceptions.source_locator, previous.source_locator) as source_locator,
        coalesce(current_exceptions.source_url, previous.source_url) as source_url,
        coalesce(current_exceptions.evidence, previous.evidence) as evidence,
        current_exceptions.exception_key is not null as is_open,
        coalesce(previous.first_detected_on, {{ as_of }}) as first_detected_on,
        case
            when current_exceptions.exception_key is not null then {{ as_of }}
            else previous.last_seen_on
        end as last_seen_on,
        case
            when current_exceptions.exception_key is not null then cast(null as date)
            else coalesce(previous.resolved_on, {{ as_of }})
        end as resolved_on,
        case
            when current_exceptions.exception_key is not null and previous.resolved_on is not null
                then previous.reopened_count + 1
            else coalesce(previous.reopened_count, 0)
        end as reopened_count,
        coalesce(
            previous.first_seen_run_at, cast(current_timestamp as {{ pmo_type_timestamp() }})
        ) as first_seen_run_at
    from current_exceptions
    full outer join previous on current_exceptions.exception_key = previous.exception_key
),

final as (
    select
        exception_key,
        rule_id,
        severity,
        entity_type,
        entity_key,
        source_system,
        project_code,
        source_locator,
        source_url,
        evidence,
        is_open,
        first_detected_on,
        last_seen_on,
        resolved_on,
        {{ pmo_datediff('first_detected_on', 'coalesce(resolved_on, ' ~ as_of ~ ')', 'day') }}
            as age_days,
        reopened_count,
        first_seen_run_at
    from merged
)

select * from final
