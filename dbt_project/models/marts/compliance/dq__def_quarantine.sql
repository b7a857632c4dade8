{#- DEF-xx data defects: finance rows the file contract quarantined, one exception per rule x
    file line, keyed <file name>:<line number>. DEF-01 unparseable number, DEF-02 unparseable
    date or timestamp, DEF-03 wrong column count, DEF-04 missing required value, DEF-99 any other
    contract violation. -#}
{%- set evidence = [('entity', 'entity'), ('column', 'column_name'), ('reason', 'reason')] -%}
with

stg_finance__quarantine as (
    select * from {{ ref('stg_finance__quarantine') }}
),

compliance_rule_config as (
    select * from {{ ref('compliance_rule_config') }}
),

classified as (
    select
        case
            when reason like 'not a number%' then 'DEF-01'
            when reason like 'not a date%' or reason like 'not a timestamp%' then 'DEF-02'
            when reason like 'wrong column count%' then 'DEF-03'
            when reason like 'missing required value%' then 'DEF-04'
            else 'DEF-99'
        end as rule_id,
        {{ pmo_basename('source_file') }} || ':' || {{ pmo_to_string('source_line') }} as entity_key,
        source_file,
        source_line,
        entity,
        column_name,
        reason
    from stg_finance__quarantine
),

exceptions as (
    select
        rule_id,
        'csv_row' as entity_type,
        entity_key,
        'finance' as source_system,
        'UNMAPPED' as project_code,
        min({{ pmo_evidence(evidence) }}) as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        entity_key as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from classified
    group by rule_id, entity_key
),

severities as (
    select
        rule_id,
        max(severity) as severity
    from compliance_rule_config
    group by rule_id
),

final as (
    select
        {{ pmo_surrogate_key(['exceptions.rule_id', 'exceptions.source_system', 'exceptions.entity_key']) }}
            as exception_key,
        exceptions.rule_id,
        severities.severity,
        exceptions.entity_type,
        exceptions.entity_key,
        exceptions.source_system,
        exceptions.project_code,
        {{ pmo_dq_locator_columns('exceptions', ['source_item_key', 'source_file', 'source_line']) }},
        exceptions.evidence,
        {%- for label, expr in evidence %}
            exceptions.evidence_{{ label }},
        {%- endfor %}
        cast({{ pmo_as_of_date() }} as {{ pmo_type_timestamp() }}) as detected_at
    from exceptions
    left join severities on exceptions.rule_id = severities.rule_id
)

select * from final
