{#- Shared output shape of the compliance models (dq__<rule>): one row per exception. -#}

{#- Severity of a rule from the seed compliance_rule_config. -#}
{% macro pmo_rule_severity(rule_id) -%}
    (
        select max(cfg.severity)
        from {{ ref('compliance_rule_config') }} as cfg
        where cfg.rule_id = '{{ rule_id }}'
    )
{%- endmacro %}

{#- Human-readable evidence: 'label=value' pairs joined by '; ', NULL values left out
    (concat_ws skips NULLs on DuckDB and PostgreSQL). -#}
{% macro pmo_evidence(pairs) -%}
    concat_ws('; '
    {%- for label, expr in pairs %}, '{{ label }}=' || cast({{ expr }} as {{ pmo_type_string() }})
    {%- endfor %})
{%- endmacro %}

{#- The final select of every dq__ model, over a CTE `exceptions` that has entity_type,
    entity_key, source_system, project_code and evidence. -#}
{% macro pmo_dq_final(rule_id, relation='exceptions') -%}
    select distinct
        {{ pmo_surrogate_key(["'" ~ rule_id ~ "'", relation ~ '.source_system', relation ~ '.entity_key']) }}
            as exception_key,
        '{{ rule_id }}' as rule_id,
        {{ pmo_rule_severity(rule_id) }} as severity,
        {{ relation }}.entity_type,
        {{ relation }}.entity_key,
        {{ relation }}.source_system,
        {{ relation }}.project_code,
        {{ relation }}.evidence,
        cast({{ pmo_as_of_date() }} as {{ pmo_type_timestamp() }}) as detected_at
    from {{ relation }}
{%- endmacro %}
