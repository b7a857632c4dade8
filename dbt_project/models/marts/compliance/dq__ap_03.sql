{#- AP-03 exact duplicate invoice: same vendor + normalized invoice number + invoice line +
    invoice date + amount. The first occurrence (file order) is the original; every later copy is
    an exception keyed <vendor_id>|<invoice_number>|<invoice_line>. -#}
{%- set evidence = [
    ('copies', 'copies'),
    ('invoice_date', 'invoice_date'),
    ('amount', 'amount'),
] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by vendor_id, invoice_number_normalized, invoice_line, invoice_date, amount
            order by source_file, source_line, invoice_line_key
        ) as occurrence,
        count(*) over (
            partition by vendor_id, invoice_number_normalized, invoice_line, invoice_date, amount
        ) as copies
    from fct_invoice_lines
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
    from ranked
    where occurrence > 1
    group by invoice_line_business_key
)

{{ pmo_dq_final('AP-03', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
