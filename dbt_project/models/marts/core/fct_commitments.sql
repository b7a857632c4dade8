{#- One row per purchase order line (accumulating snapshot): ordered, invoiced and open amount.
    Invoices reference a PO line by (po_number, po_line); an invoice that names only the PO
    number is attributed to the PO's first line. Balances are kept in the PO currency (FX moves
    between order and invoice dates must not create or hide a balance): open commitment =
    ordered - invoiced, never below 0, and 0 once the line is closed or cancelled. Reporting
    amounts use the rate valid on the PO date; invoiced_amount_reporting sums the invoices' own
    converted amounts. -#}
with

stg_finance__purchase_order_lines as (
    select * from {{ ref('stg_finance__purchase_order_lines') }}
),

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

dim_project as (
    select * from {{ ref('dim_project') }}
),

int_fx_rates_ranged as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

po_lines as (
    select
        po_line_key,
        {{ pmo_to_string('po_number') }} as po_number,
        cast(po_line as integer) as po_line,
        {{ pmo_to_string('vendor_id') }} as vendor_id,
        {{ pmo_to_string('project_code') }} as project_code_raw,
        cast(po_date as date) as po_date,
        {{ pmo_money('ordered_amount') }} as ordered_amount,
        upper(trim(currency)) as currency,
        status,
        source_file,
        source_line,
        min(cast(po_line as integer)) over (partition by po_number) as first_po_line
    from stg_finance__purchase_order_lines
),

po_lines_converted as (
    select
        po_lines.*,
        fx.rate_to_reporting as po_fx_rate
    from po_lines
    left join int_fx_rates_ranged as fx
        on
            po_lines.currency = fx.currency
            and po_lines.po_date >= fx.valid_from
            and po_lines.po_date < fx.valid_to
),

invoiced as (
    select
        po_lines_converted.po_line_key,
        sum(
            case
                when invoices.currency = po_lines_converted.currency then invoices.amount
                else invoices.amount_reporting / nullif(po_lines_converted.po_fx_rate, 0)
            end
        ) as invoiced_amount,
        sum(invoices.amount_reporting) as invoiced_amount_reporting,
        count(*) as invoice_line_count
    from fct_invoice_lines as invoices
    inner join po_lines_converted
        on
            {{ pmo_to_string('invoices.po_number') }} = po_lines_converted.po_number
            and coalesce(cast(invoices.po_line as integer), po_lines_converted.first_po_line)
            = po_lines_converted.po_line
    group by po_lines_converted.po_line_key
),

balances as (
    select
        po_lines_converted.*,
        {{ pmo_money('coalesce(invoiced.invoiced_amount, 0)') }} as invoiced_amount,
        {{ pmo_money('coalesce(invoiced.invoiced_amount_reporting, 0)') }} as invoiced_amount_reporting,
        coalesce(invoiced.invoice_line_count, 0) as invoice_line_count,
        case
            when po_lines_converted.status in ('closed', 'cancelled') then cast(0 as decimal(18, 2))
            else {{ pmo_money('greatest(po_lines_converted.ordered_amount
                - coalesce(invoiced.invoiced_amount, 0), 0)') }}
        end as open_amount
    from po_lines_converted
    left join invoiced on po_lines_converted.po_line_key = invoiced.po_line_key
),

final as (
    select
        balances.po_line_key,
        balances.po_number,
        balances.po_line,
        balances.vendor_id,
        coalesce(projects.project_code, 'UNMAPPED') as project_code,
        balances.project_code_raw,
        balances.po_date,
        {{ pmo_fiscal_period('balances.po_date') }} as fiscal_period,
        balances.status,
        balances.currency,
        balances.po_fx_rate as fx_rate,
        balances.ordered_amount,
        balances.invoiced_amount,
        balances.open_amount,
        {{ pmo_money('balances.ordered_amount * balances.po_fx_rate') }} as ordered_amount_reporting,
        balances.invoiced_amount_reporting,
        {{ pmo_money('balances.open_amount * balances.po_fx_rate') }} as open_amount_reporting,
        balances.invoice_line_count,
        {{ pmo_ratio('balances.invoiced_amount', 'balances.ordered_amount') }} as consumed_pct,
        'finance' as source_system,
        balances.po_line_key as source_record_id,
        balances.source_file,
        balances.source_line
    from balances
    left join dim_project as projects
        on
            balances.project_code_raw = projects.project_code
            and not projects.is_unknown_member
)

select * from final
