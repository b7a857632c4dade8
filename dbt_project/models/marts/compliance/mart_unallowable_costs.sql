{#- Unallowable costs: one row per invoice line a rule of cost_category_rules classifies as
    unallowable for its project's funding type, with the rule, the matched text and the amount
    in the invoice and the reporting currency. -#}
with

int_invoice_lines_classified as (
    select * from {{ ref('int_invoice_lines_classified') }}
),

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

final as (
    select
        classified.invoice_line_business_key,
        classified.vendor_id,
        classified.invoice_number,
        classified.invoice_line,
        classified.invoice_date,
        classified.project_code,
        classified.funding_type,
        classified.cost_type,
        classified.description,
        classified.rule_code,
        classified.match_on,
        classified.matched_pattern,
        classified.cost_category,
        classified.reason,
        {{ pmo_money('classified.amount') }} as amount,
        classified.currency,
        invoices.amount_reporting,
        invoices.reporting_currency,
        classified.source_file,
        classified.source_line
    from int_invoice_lines_classified as classified
    left join fct_invoice_lines as invoices
        on
            classified.source_file = invoices.source_file
            and classified.source_line = invoices.source_line
    where classified.is_unallowable
)

select * from final
