{#- Stable surrogate key: md5 over the '|'-joined text of the fields, nulls as ''.
    md5(text) and concat_ws exist on DuckDB and PostgreSQL alike. -#}
{% macro pmo_surrogate_key(fields) -%}
    md5(concat_ws('|'
    {%- for field in fields %}, coalesce(cast({{ field }} as {{ pmo_type_string() }}), '')
    {%- endfor %}))
{%- endmacro %}
