{#- AP-17 early-payment discount missed: the vendor offers a discount for payment within its
    discount days and the invoice was paid after that window. -#}
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
            ('discount_pct', 'discount_pct'),
            ('discount_deadline', 'discount_deadline'),
            ('paid_date', 'paid_date'),
            ('discount_missed_amount', 'discount_missed_amount'),
            ('currency', 'currency'),
        ]) }}) as evidence
    from fct_payments
    where is_discount_missed
    group by payment_id
)

{{ pmo_dq_final('AP-17', locators=['source_item_key', 'source_file', 'source_line']) }}
