{#- AP-08 non-PO spend: an invoice line without a purchase order number, above `min_amount`
    (absolute, reporting currency). -#}
{%- set evidence = [
    ('vendor_id', 'vendor_id'),
    ('invoice_date', 'invoice_date'),
    ('amount', 'amount'),
    ('currency', 'currency'),
] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

exceptions as (
    select
        'invoice_line' as entity_type,
        invoice_line_business_key as entity_key,
        'finance' as source_system,
        min(project_code) as project_code,
        min({{ pmo_evidence(evidence) }}) as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        invoice_line_business_key as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from fct_invoice_lines
    where
        coalesce(trim(po_number), '') = ''
        and abs(amount_reporting) > {{ pmo_rule_param('AP-08', 'min_amount') }}
    group by invoice_line_business_key
)

{{ pmo_dq_final('AP-08', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
