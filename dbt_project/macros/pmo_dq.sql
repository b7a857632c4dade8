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

{#- The same evidence as typed columns evidence_<label> (values keep their type, so a reviewer can
    sort and filter them). `aggregate` wraps each value (e.g. 'min') in grouped CTEs. -#}
{% macro pmo_evidence_columns(pairs, aggregate=none) -%}
    {%- for label, expr in pairs %}
        {% if aggregate %}{{ aggregate }}({{ expr }}){% else %}{{ expr }}{% endif %} as evidence_{{ label }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Locator columns every dq__ model carries: where a person finds the source record.
    source_item_key = the record's key in its tool (Jira issue key, Planner task id, MS Project
    task UID, Jira version id, finance business key); source_file + source_line for file-born
    records (finance files, MS Project files). An exceptions CTE provides the ones it knows. -#}
{#- The final select of every dq__ model, over a CTE `exceptions` that has entity_type,
    entity_key, source_system, project_code and evidence, the locator columns named in
    `locators` and the evidence_<label> columns of `evidence` (the pairs given to
    pmo_evidence_columns). -#}
{% macro pmo_dq_final(rule_id, relation='exceptions', evidence=[], locators=[]) -%}
    select distinct
        {{ pmo_surrogate_key(["'" ~ rule_id ~ "'", relation ~ '.source_system', relation ~ '.entity_key']) }}
            as exception_key,
        '{{ rule_id }}' as rule_id,
        {{ pmo_rule_severity(rule_id) }} as severity,
        {{ relation }}.entity_type,
        {{ relation }}.entity_key,
        {{ relation }}.source_system,
        {{ relation }}.project_code,
        {{ pmo_dq_locator_columns(relation, locators) }},
        {{ relation }}.evidence,
        {%- for label, expr in evidence %}
        {{ relation }}.evidence_{{ label }},
        {%- endfor %}
        cast({{ pmo_as_of_date() }} as {{ pmo_type_timestamp() }}) as detected_at
    from {{ relation }}
{%- endmacro %}

{% macro pmo_dq_locator_columns(relation, locators) -%}
    {%- set types = {'source_item_key': pmo_type_string(), 'source_file': pmo_type_string(), 'source_line': 'bigint'} -%}
    {%- for name, data_type in types.items() %}
        {% if name in locators -%}
            cast({{ relation }}.{{ name }} as {{ data_type }}) as {{ name }}
        {%- else -%}
            cast(null as {{ data_type }}) as {{ name }}
        {%- endif %}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
