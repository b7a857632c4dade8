{#- Which sources are installed: var `enabled_sources` (default all four). Unions include only
    the branches of enabled sources, so a Jira-less install still builds. When linted (no dbt
    context) every branch is rendered so the SQL of all of them is checked. -#}
{% macro pmo_all_sources() -%}
    {{ return(['finance', 'jira', 'planner', 'msproject']) }}
{%- endmacro %}

{% macro pmo_source_enabled(name) -%}
    {%- if pmo_in_dbt() -%}
        {{ return(name in var('enabled_sources', pmo_all_sources())) }}
    {%- else -%}
        {{ return(true) }}
    {%- endif -%}
{%- endmacro %}
