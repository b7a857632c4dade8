{#- Use the folder's schema as is (staging, core, marts ...) instead of dbt's <target>_<schema>,
    so BI tools and grants see stable schema names on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
