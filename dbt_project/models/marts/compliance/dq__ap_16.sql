{#- AP-16 paid without approval (pmo-domain AP-05, "no approval before payment"): a payment with
    no recorded approver or approval date, or approved after it was paid. -#}
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
            ('paid_date', 'paid_date'),
            ('approved_date', 'approved_date'),
            ('approver_recorded', "case when approved_by_email is null then 'no' else 'yes' end"),
            ('amount', 'amount'),
            ('currency', 'currency'),
        ]) }}) as evidence
    from fct_payments
    where not is_approved_before_payment
    group by payment_id
)

{{ pmo_dq_final('AP-16', locators=['source_item_key', 'source_file', 'source_line']) }}
