{#- AP-03 normalization of an invoice number: upper case, without spaces, hyphens, slashes, dots
    and underscores, and without leading zeros ('INV-000123' and 'inv 123' are the same). -#}
{% macro pmo_normalize_invoice_number(expr) -%}
    regexp_replace(regexp_replace(upper({{ expr }}), '[ _/.-]', '', 'g'), '^([A-Z]*)0+', '\1')
{%- endmacro %}
