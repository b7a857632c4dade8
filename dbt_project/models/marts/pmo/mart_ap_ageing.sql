{#- Accounts-payable ageing as of the as-of date: one row per vendor invoice dated on or before
    the as-of date with an open balance (invoice total minus payments made by then and the
    early-payment discounts they took; under one cent counts as settled). Aged by days since the
    invoice date into 0-30 / 31-60 / 61-90 / 90+; days past due from the vendor's terms. Credit
    notes (totals of zero or less) are not payables and are left out. -#}
with

int_vendor_invoices as (
    select * from {{ ref('int_vendor_invoices') }}
),

fct_payments as (
    select * from {{ ref('fct_payments') }}
),

dim_vendor as (
    select * from {{ ref('dim_vendor') }}
),

paid as (
    select
        invoice_business_key,
        sum(amount) as paid_amount,
        sum(discount_taken_amount) as discount_taken_amount,
        max(paid_date) as last_paid_date
    from fct_payments
    where is_invoice_found and paid_date <= {{ pmo_as_of_date() }}
    group by invoice_business_key
),

balances as (
    select
        invoices.invoice_business_key,
        invoices.vendor_id,
        invoices.invoice_number,
        invoices.invoice_date,
        invoices.due_date,
        invoices.project_code,
        invoices.currency,
        invoices.invoice_amount,
        invoices.invoice_amount_reporting,
        coalesce(paid.paid_amount, 0) as paid_amount,
        coalesce(paid.discount_taken_amount, 0) as discount_taken_amount,
        paid.last_paid_date,
        invoices.invoice_amount - coalesce(paid.paid_amount, 0)
        - coalesce(paid.discount_taken_amount, 0) as outstanding_amount,
        {{ pmo_datediff('invoices.invoice_date', pmo_as_of_date(), 'day') }} as age_days,
        {{ pmo_datediff('invoices.due_date', pmo_as_of_date(), 'day') }} as days_past_due
    from int_vendor_invoices as invoices
    left join paid on invoices.invoice_business_key = paid.invoice_business_key
    where
        invoices.invoice_date <= {{ pmo_as_of_date() }}
        and invoices.invoice_amount > 0
),

final as (
    select
        cast({{ pmo_as_of_date() }} as date) as as_of_date,
        balances.invoice_business_key,
        balances.vendor_id,
        coalesce(vendors.vendor_name, 'Unknown vendor') as vendor_name,
        balances.invoice_number,
        balances.invoice_date,
        balances.due_date,
        balances.project_code,
        balances.currency,
        {{ pmo_money('balances.invoice_amount') }} as invoice_amount,
        {{ pmo_money('balances.paid_amount') }} as paid_amount,
        {{ pmo_money('balances.discount_taken_amount') }} as discount_taken_amount,
        balances.last_paid_date,
        {{ pmo_money('balances.outstanding_amount') }} as outstanding_amount,
        {{ pmo_money(
            'balances.outstanding_amount * balances.invoice_amount_reporting / balances.invoice_amount'
        ) }} as outstanding_amount_reporting,
        {{ pmo_reporting_currency() }} as reporting_currency,
        balances.age_days,
        greatest(balances.days_past_due, 0) as days_past_due,
        balances.days_past_due > 0 as is_overdue,
        case
            when balances.age_days <= 30 then '0-30'
            when balances.age_days <= 60 then '31-60'
            when balances.age_days <= 90 then '61-90'
            else '90+'
        end as ageing_bucket
    from balances
    left join dim_vendor as vendors
        on balances.vendor_id = vendors.vendor_id and not vendors.is_unknown_member
    where balances.outstanding_amount >= 0.01
)

select * from final
