{#- Vendor payments against terms, one row per payment: early / on time / late with the days
    against the due date, early-payment discounts taken and missed (money in the invoice
    currency and the reporting currency), and whether the invoice was approved before payment. -#}
with

fct_payments as (
    select * from {{ ref('fct_payments') }}
),

dim_vendor as (
    select * from {{ ref('dim_vendor') }}
),

final as (
    select
        payments.payment_id,
        payments.vendor_id,
        coalesce(vendors.vendor_name, 'Unknown vendor') as vendor_name,
        payments.invoice_number,
        payments.project_code,
        payments.invoice_date,
        payments.due_date,
        payments.paid_date,
        payments.payment_terms_days,
        payments.days_to_pay,
        payments.days_after_due,
        payments.payment_timing,
        payments.is_late,
        payments.is_early,
        payments.currency,
        payments.invoice_amount,
        payments.amount as paid_amount,
        payments.amount_reporting as paid_amount_reporting,
        payments.discount_pct,
        payments.discount_deadline,
        payments.is_discount_taken,
        payments.is_discount_missed,
        payments.discount_taken_amount,
        payments.discount_missed_amount,
        case
            when payments.amount <> 0
                then {{ pmo_money(
                    'payments.discount_missed_amount * payments.amount_reporting / payments.amount'
                ) }}
        end as discount_missed_amount_reporting,
        {{ pmo_reporting_currency() }} as reporting_currency,
        payments.is_approved_before_payment,
        payments.method
    from fct_payments as payments
    left join dim_vendor as vendors
        on payments.vendor_id = vendors.vendor_id and not vendors.is_unknown_member
)

select * from final
