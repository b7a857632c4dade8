{#- One row per vendor invoice (vendor_id + invoice number as written), the grain payments refer
    to: first invoice date, total in the invoice currency and the reporting currency, and the due
    and discount dates from the vendor's payment terms (AP-15 `default_net_days` when the vendor
    master gives none). Exact re-sent copies count once (occurrence 1), as the vendor is owed
    the invoice once. -#}
with

int_invoice_lines_converted as (
    select * from {{ ref('int_invoice_lines_converted') }}
),

stg_finance__vendors as (
    select * from {{ ref('stg_finance__vendors') }}
),

invoices as (
    select
        vendor_id,
        invoice_number,
        min(invoice_date) as invoice_date,
        min(project_code) as project_code,
        min(currency) as currency,
        count(*) as line_count,
        sum(amount) as invoice_amount,
        sum(amount_reporting) as invoice_amount_reporting
    from int_invoice_lines_converted
    where occurrence = 1
    group by vendor_id, invoice_number
),

with_terms as (
    select
        invoices.vendor_id || '|' || invoices.invoice_number as invoice_business_key,
        invoices.vendor_id,
        invoices.invoice_number,
        invoices.invoice_date,
        invoices.project_code,
        invoices.currency,
        invoices.line_count,
        {{ pmo_money('invoices.invoice_amount') }} as invoice_amount,
        {{ pmo_money('invoices.invoice_amount_reporting') }} as invoice_amount_reporting,
        cast(coalesce(
            vendors.payment_terms_days, {{ pmo_rule_param('AP-15', 'default_net_days') }}
        ) as integer) as payment_terms_days,
        coalesce(vendors.discount_pct, 0) as discount_pct,
        case when vendors.discount_pct > 0 then vendors.discount_days end as discount_days
    from invoices
    left join stg_finance__vendors as vendors on invoices.vendor_id = vendors.vendor_id
),

final as (
    select
        *,
        {{ pmo_dateadd('day', 'payment_terms_days', 'invoice_date') }} as due_date,
        case
            when discount_days is not null
                then {{ pmo_dateadd('day', 'discount_days', 'invoice_date') }}
        end as discount_deadline
    from with_terms
)

select * from final
