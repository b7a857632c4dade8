{#- Thin wrappers over dbt's cross-database macros.

    Why wrappers: the SQL linter (sqlfluff, jinja templater) knows nothing about the `dbt`
    namespace, so each wrapper renders dbt's macro under dbt and a plain, parseable stand-in when
    linted. Models call these, never `dbt.*` directly. -#}

{% macro pmo_in_dbt() -%}
    {{ return(dbt is defined) }}
{%- endmacro %}

{% macro pmo_dateadd(datepart, interval, from_date) -%}
    {%- if pmo_in_dbt() -%}
        cast({{ dbt.dateadd(datepart, interval, from_date) }} as date)
    {%- else -%}
        cast(({{ from_date }} + {{ interval }}) as date)
    {%- endif -%}
{%- endmacro %}

{% macro pmo_datediff(first_date, second_date, datepart) -%}
    {%- if pmo_in_dbt() -%}
        {{ dbt.datediff(first_date, second_date, datepart) }}
    {%- else -%}
        ({{ second_date }} - {{ first_date }})
    {%- endif -%}
{%- endmacro %}

{% macro pmo_date_trunc(datepart, date_expr) -%}
    {%- if pmo_in_dbt() -%}
        cast({{ dbt.date_trunc(datepart, date_expr) }} as date)
    {%- else -%}
        cast(date_trunc('{{ datepart }}', {{ date_expr }}) as date)
    {%- endif -%}
{%- endmacro %}

{% macro pmo_type_string() -%}
    {%- if pmo_in_dbt() -%}{{ dbt.type_string() }}{%- else -%}varchar{%- endif -%}
{%- endmacro %}

{% macro pmo_type_timestamp() -%}
    {%- if pmo_in_dbt() -%}{{ dbt.type_timestamp() }}{%- else -%}timestamp{%- endif -%}
{%- endmacro %}

{#- Text cast that both adapters accept (varchar on DuckDB, text on PostgreSQL). -#}
{% macro pmo_to_string(expr) -%}
    cast({{ expr }} as {{ pmo_type_string() }})
{%- endmacro %}

{#- Money is decimal(18, 2) everywhere (docs/CONTRACTS.md). -#}
{% macro pmo_money(expr) -%}
    cast({{ expr }} as decimal(18, 2))
{%- endmacro %}

{% macro pmo_hours(expr) -%}
    cast({{ expr }} as decimal(12, 2))
{%- endmacro %}

{#- A ratio that is NULL, never 0, when the denominator is zero or missing (pmo-domain 1.2). -#}
{% macro pmo_ratio(numerator, denominator, scale=4) -%}
    cast(cast({{ numerator }} as decimal(38, 10)) / nullif(cast({{ denominator }} as decimal(38, 10)), 0)
        as decimal(18, {{ scale }}))
{%- endmacro %}

{#- 'YYYY-MM' of a date, without DuckDB's strftime or PostgreSQL's to_char. -#}
{% macro pmo_fiscal_period(date_expr) -%}
    (cast(cast(extract(year from {{ date_expr }}) as integer) as {{ pmo_type_string() }})
        || '-' || lpad(cast(cast(extract(month from {{ date_expr }}) as integer) as {{ pmo_type_string() }}), 2, '0'))
{%- endmacro %}

{#- First day of a 'YYYY-MM' period string. -#}
{% macro pmo_period_start(period_expr) -%}
    cast({{ period_expr }} || '-01' as date)
{%- endmacro %}

{#- File name of a path (both slash styles). -#}
{% macro pmo_basename(path_expr) -%}
    regexp_replace({{ path_expr }}, '^.*[/\\]', '')
{%- endmacro %}

{#- bool_or exists on both adapters; wrapped so a future adapter can dispatch. -#}
{% macro pmo_bool_or(expr) -%}
    bool_or({{ expr }})
{%- endmacro %}

{#- The number a text starts with ('3 - Possible' -> 3, ' 12.5 EUR' -> 12.5), else null. Jira
    sites often keep scores as select options whose labels lead with the number. -#}
{% macro pmo_leading_number(expr) -%}
    {%- if pmo_in_dbt() and target.type == 'postgres' -%}
        cast(substring({{ expr }} from '^\s*([0-9]+(?:\.[0-9]+)?)') as decimal(18, 4))
    {%- else -%}
        cast(nullif(regexp_extract({{ expr }}, '^\s*([0-9]+(\.[0-9]+)?)', 1), '') as decimal(18, 4))
    {%- endif -%}
{%- endmacro %}

{#- An unrounded quotient for intermediate EVM arithmetic: NULL when the denominator is zero or
    missing; rounding happens once, in the final select (pmo_money / pmo_ratio). -#}
{% macro pmo_div(numerator, denominator) -%}
    (cast({{ numerator }} as decimal(38, 10)) / nullif(cast({{ denominator }} as decimal(38, 10)), 0))
{%- endmacro %}
