{#- AP-10 invoice on a closed project: invoice date later than the project's close date plus
    `grace_days`. -#}
{%- set evidence = [
    ('invoice_date', 'invoices.invoice_date'),
    ('closed_date', 'projects.closed_date'),
    ('project_status', 'projects.status'),
] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

dim_project as (
    select * from {{ ref('dim_project') }}
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
    inner join dim_project as projects on invoices.project_code = projects.project_code
    where
        projects.closed_date is not null
        and invoices.invoice_date
        > {{ pmo_dateadd('day', pmo_rule_param('AP-10', 'grace_days'), 'projects.closed_date') }}
    group by invoices.invoice_line_business_key
)

{{ pmo_dq_final('AP-10', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
