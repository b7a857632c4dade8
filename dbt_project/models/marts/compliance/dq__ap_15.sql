{#- AP-15 late vendor payment: paid more than `grace_days` after the due date (invoice date + the
    vendor's net payment terms, or `default_net_days`). -#}
with

fct_payments as (
    select * from {{ ref('fct_payments') }}
),

exceptions as (
    select
        'payment' as entity_type,
        payment_id as entity_key,
        'finance' as source_system,
        min(project_code) as project_code,
        payment_id as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line,
        min({{ pmo_evidence([
            ('vendor_id', 'vendor_id'),
            ('invoice_number', 'invoice_number'),
            ('invoice_date', 'invoice_date'),
            ('terms_days', 'payment_terms_days'),
            ('due_date', 'due_date'),
            ('paid_date', 'paid_date'),
            ('days_late', 'days_after_due'),
            ('amount', 'amount'),
            ('currency', 'currency'),
        ]) }}) as evidence
    from fct_payments
    where is_late
    group by payment_id
)

{{ pmo_dq_final('AP-15', locators=['source_item_key', 'source_file', 'source_line']) }}
