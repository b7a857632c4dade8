{#- Every compliance exception of every rule (the union of the dq__ models), one row per rule x
    source system x entity. -#}
{%- set rule_models = [
    'dq__ap_03', 'dq__ap_04', 'dq__ap_08', 'dq__ap_10', 'dq__ap_12', 'dq__ap_13', 'dq__ap_14',
    'dq__ts_03', 'dq__ts_04', 'dq__ts_05', 'dq__ts_08', 'dq__ts_10', 'dq__ts_11',
    'dq__gv_01', 'dq__gv_02', 'dq__gv_06', 'dq__gv_03', 'dq__gv_04', 'dq__gv_05', 'dq__gv_08', 'dq__gv_09',
    'dq__gv_10', 'dq__gv_11', 'dq__def_quarantine',
] -%}
with

unioned as (
    {% for rule_model in rule_models %}
        select
            exception_key,
            rule_id,
            severity,
            entity_type,
            entity_key,
            source_system,
            project_code,
            evidence,
            detected_at
        from {{ ref(rule_model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select * from unioned
)

select * from final
