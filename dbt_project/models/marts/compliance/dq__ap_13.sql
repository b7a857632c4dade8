{#- AP-13 vendor hygiene: an invoice line from a blocked vendor (duplicate-vendor and bank-change
    checks need vendor master history the files do not carry yet). -#}
{%- set evidence = [
    ('vendor_id', 'vendors.vendor_id'),
    ('vendor_status', 'vendors.status'),
    ('invoice_date', 'invoices.invoice_date'),
    ('amount', 'invoices.amount'),
] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

dim_vendor as (
    select * from {{ ref('dim_vendor') }}
),

exceptions as (
    select
        'invoice_line' as entity_type,
        invoices.invoice_line_business_key as entity_key,
        'finance' as source_system,
        min(invoices.project_code) as project_code,
        min({{ pmo_evidence(evidence) }}) as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        invoices.invoice_line_business_key as source_item_key,
        min(invoices.source_file) as source_file,
        min(invoices.source_line) as source_line
    from fct_invoice_lines as invoices
    inner join dim_vendor as vendors on invoices.vendor_id = vendors.vendor_id
    where vendors.is_blocked
    group by invoices.invoice_line_business_key
)

{{ pmo_dq_final('AP-13', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
