{#- AP-12 invoice exceeds PO balance: on a PO line whose total invoiced exceeds the ordered
    amount x (1 + tolerance_pct), every positive invoice line that on its own accounts for the
    overage (without it the PO line would be within its balance) is an exception. Amounts are
    compared in the PO currency. Posting order is not in the files (an invoice may be back-dated),
    so no single "last" invoice is singled out: precision is traded for complete recall. -#}
{%- set evidence = [
    ('po', "po_number || '/' || " ~ pmo_to_string('po_line')),
    ('currency', 'currency'),
    ('ordered', 'ordered_amount'),
    ('invoiced', 'invoiced_amount'),
    ('line_amount', 'line_amount'),
] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

fct_commitments as (
    select * from {{ ref('fct_commitments') }}
),

invoices_on_po as (
    select
        invoices.invoice_line_business_key,
        invoices.project_code,
        invoices.source_file,
        invoices.source_line,
        commitments.po_number,
        commitments.po_line,
        commitments.ordered_amount,
        commitments.invoiced_amount,
        commitments.currency,
        case
            when invoices.currency = commitments.currency then invoices.amount
            else invoices.amount_reporting / nullif(commitments.fx_rate, 0)
        end as line_amount
    from fct_invoice_lines as invoices
    inner join fct_commitments as commitments
        on
            invoices.po_number = commitments.po_number
            and invoices.po_line = commitments.po_line
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
    from invoices_on_po
    where
        invoiced_amount > ordered_amount * (1 + {{ pmo_rule_param('AP-12', 'tolerance_pct') }})
        and line_amount > 0
        and invoiced_amount - line_amount
        <= ordered_amount * (1 + {{ pmo_rule_param('AP-12', 'tolerance_pct') }})
    group by invoice_line_business_key
)

{{ pmo_dq_final('AP-12', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
