{#- AP-14 invalid project code: a finance line (invoice, PO, budget line, timesheet entry) whose
    project code is missing or not in the project registry. Keys: invoice lines as
    <vendor_id>|<invoice_number>|<invoice_line>, PO lines as <po_number>|<po_line>, budget lines by
    their key, timesheet entries by entry id. -#}
{%- set evidence = [('project_code_raw', "coalesce(project_code_raw, '<missing>')")] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

fct_commitments as (
    select * from {{ ref('fct_commitments') }}
),

fct_budget_lines as (
    select * from {{ ref('fct_budget_lines') }}
),

fct_timesheet_entries as (
    select * from {{ ref('fct_timesheet_entries') }}
),

exceptions as (
    select
        'invoice_line' as entity_type,
        invoice_line_business_key as entity_key,
        'finance' as source_system,
        'UNMAPPED' as project_code,
        min({{ pmo_evidence(evidence) }})
            as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        invoice_line_business_key as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from fct_invoice_lines
    where project_code = 'UNMAPPED'
    group by invoice_line_business_key
    union all
    select
        'purchase_order_line' as entity_type,
        po_number || '|' || {{ pmo_to_string('po_line') }} as entity_key,
        'finance' as source_system,
        'UNMAPPED' as project_code,
        min({{ pmo_evidence(evidence) }})
            as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        po_number || '|' || {{ pmo_to_string('po_line') }} as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from fct_commitments
    where project_code = 'UNMAPPED'
    group by po_number || '|' || {{ pmo_to_string('po_line') }}
    union all
    select
        'budget_line' as entity_type,
        {{ pmo_to_string('budget_line_key') }} as entity_key,
        'finance' as source_system,
        'UNMAPPED' as project_code,
        min({{ pmo_evidence(evidence) }})
            as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        {{ pmo_to_string('budget_line_key') }} as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from fct_budget_lines
    where project_code = 'UNMAPPED'
    group by {{ pmo_to_string('budget_line_key') }}
    union all
    select
        'timesheet_entry' as entity_type,
        source_record_id as entity_key,
        'finance' as source_system,
        'UNMAPPED' as project_code,
        min({{ pmo_evidence(evidence) }})
            as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        source_record_id as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from fct_timesheet_entries
    where source_system = 'finance' and project_code = 'UNMAPPED'
    group by source_record_id
)

{{ pmo_dq_final('AP-14', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
