{#- "Today" for every report: the var `as_of_date` ('YYYY-MM-DD', set by the runner from the
    sandbox clock or the hub config) or current_date when it is empty. -#}
{% macro pmo_as_of_date() -%}
    {%- set as_of = var('as_of_date', '') -%}
    {%- if as_of and (as_of | string | trim) -%}
        cast('{{ as_of | string | trim }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{% macro pmo_reporting_currency() -%}
    '{{ var("reporting_currency", "EUR") }}'
{%- endmacro %}
