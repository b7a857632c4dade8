{#- One numeric parameter of a compliance rule from the seed `compliance_rule_config`, as a scalar
    subquery, so changing a threshold is a seed edit, never a SQL edit. -#}
{% macro pmo_rule_param(rule_id, param_name) -%}
    (
        select max(cfg.param_value)
        from {{ ref('compliance_rule_config') }} as cfg
        where cfg.rule_id = '{{ rule_id }}' and cfg.param_name = '{{ param_name }}'
    )
{%- endmacro %}

{% macro pmo_rag_param(param_name) -%}
    (
        select max(cfg.param_value)
        from {{ ref('rag_rule_config') }} as cfg
        where cfg.param_name = '{{ param_name }}'
    )
{%- endmacro %}
