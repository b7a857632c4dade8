{#- One row per vendor payment (a physical row of a payments file), with the invoice it pays, the
    vendor's terms and the derived timing: days late against the due date (AP-15 `grace_days`),
    early payment (more than AP-15 `early_days` before the due date), early-payment discount
    taken or missed, and approval before payment. A payment whose invoice is not in the invoice
    files keeps its row with is_invoice_found = false and null timing. -#}
with

stg_finance__payments as (
    select * from {{ ref('stg_finance__payments') }}
),

int_vendor_invoices as (
    select * from {{ ref('int_vendor_invoices') }}
),

dim_vendor as (
    select * from {{ ref('dim_vendor') }}
),

joined as (
    select
        {{ pmo_surrogate_key(['payments.source_row_key']) }} as payment_key,
        payments.payment_id,
        coalesce(vendors.vendor_key, '-1') as vendor_key,
        payments.vendor_id,
        payments.invoice_number,
        payments.invoice_business_key,
        invoices.invoice_business_key is not null as is_invoice_found,
        invoices.invoice_date,
        coalesce(invoices.project_code, 'UNMAPPED') as project_code,
        invoices.invoice_amount,
        invoices.invoice_amount_reporting,
        payments.amount,
        payments.currency,
        payments.paid_date,
        payments.method,
        payments.approved_by_email,
        payments.approved_date,
        invoices.payment_terms_days,
        invoices.due_date,
        invoices.discount_pct,
        invoices.discount_deadline,
        {{ pmo_datediff('invoices.invoice_date', 'payments.paid_date', 'day') }} as days_to_pay,
        {{ pmo_datediff('invoices.due_date', 'payments.paid_date', 'day') }} as days_after_due,
        payments.source_file,
        payments.source_line,
        payments.source_row_key
    from stg_finance__payments as payments
    left join int_vendor_invoices as invoices
        on payments.invoice_business_key = invoices.invoice_business_key
    left join dim_vendor as vendors
        on payments.vendor_id = vendors.vendor_id and not vendors.is_unknown_member
),

classified as (
    select
        *,
        days_after_due > {{ pmo_rule_param('AP-15', 'grace_days') }} as is_late,
        -days_after_due > {{ pmo_rule_param('AP-15', 'early_days') }} as is_early,
        approved_date is not null
        and approved_by_email is not null
        and approved_date <= paid_date as is_approved_before_payment,
        discount_deadline is not null and paid_date <= discount_deadline as is_discount_taken,
        discount_deadline is not null and paid_date > discount_deadline as is_discount_missed
    from joined
),

final as (
    select
        payment_key,
        payment_id,
        vendor_key,
        vendor_id,
        invoice_number,
        invoice_business_key,
        is_invoice_found,
        invoice_date,
        project_code,
        invoice_amount,
        currency,
        amount,
        case
            when invoice_amount <> 0
                then {{ pmo_money('amount * invoice_amount_reporting / invoice_amount') }}
        end as amount_reporting,
        paid_date,
        method,
        approved_by_email,
        approved_date,
        is_approved_before_payment,
        payment_terms_days,
        due_date,
        days_to_pay,
        days_after_due,
        coalesce(is_late, false) as is_late,
        coalesce(is_early, false) as is_early,
        case
            when not is_invoice_found then 'unknown'
            when is_late then 'late'
            when is_early then 'early'
            else 'on_time'
        end as payment_timing,
        discount_pct,
        discount_deadline,
        is_discount_taken,
        is_discount_missed,
        case
            when is_discount_taken then {{ pmo_money('invoice_amount * discount_pct') }}
            else 0
        end as discount_taken_amount,
        case
            when is_discount_missed then {{ pmo_money('invoice_amount * discount_pct') }}
            else 0
        end as discount_missed_amount,
        'finance' as source_system,
        source_row_key as source_record_id,
        source_file,
        source_line
    from classified
)

select * from final
