{#- Vendor spend per vendor x project x fiscal period (reporting currency): invoiced, of which on
    a PO and without one (non-PO spend), POs ordered in the period, and the cumulative PO
    consumption ratio (invoiced on PO / ordered, both cumulative to the period; NULL while
    nothing is ordered). -#}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

fct_commitments as (
    select * from {{ ref('fct_commitments') }}
),

dim_vendor as (
    select * from {{ ref('dim_vendor') }}
),

invoiced as (
    select
        vendor_id,
        project_code,
        fiscal_period,
        sum(amount_reporting) as invoiced_amount,
        sum(case when po_number is not null then amount_reporting else 0 end) as invoiced_on_po_amount,
        sum(case when po_number is null then amount_reporting else 0 end) as non_po_amount,
        count(*) as invoice_line_count
    from fct_invoice_lines
    group by vendor_id, project_code, fiscal_period
),

ordered as (
    select
        vendor_id,
        project_code,
        fiscal_period,
        sum(ordered_amount_reporting) as ordered_amount,
        sum(open_amount_reporting) as open_commitment_amount
    from fct_commitments
    group by vendor_id, project_code, fiscal_period
),

grain as (
    select
        vendor_id,
        project_code,
        fiscal_period
    from invoiced
    union
    select
        vendor_id,
        project_code,
        fiscal_period
    from ordered
),

joined as (
    select
        grain.vendor_id,
        grain.project_code,
        grain.fiscal_period,
        coalesce(invoiced.invoiced_amount, 0) as invoiced_amount,
        coalesce(invoiced.invoiced_on_po_amount, 0) as invoiced_on_po_amount,
        coalesce(invoiced.non_po_amount, 0) as non_po_amount,
        coalesce(invoiced.invoice_line_count, 0) as invoice_line_count,
        coalesce(ordered.ordered_amount, 0) as ordered_amount,
        coalesce(ordered.open_commitment_amount, 0) as open_commitment_amount
    from grain
    left join invoiced
        on
            grain.vendor_id = invoiced.vendor_id
            and grain.project_code = invoiced.project_code
            and grain.fiscal_period = invoiced.fiscal_period
    left join ordered
        on
            grain.vendor_id = ordered.vendor_id
            and grain.project_code = ordered.project_code
            and grain.fiscal_period = ordered.fiscal_period
),

cumulated as (
    select
        *,
        sum(invoiced_on_po_amount) over (
            partition by vendor_id, project_code order by fiscal_period
            rows between unbounded preceding and current row
        ) as cumulative_invoiced_on_po,
        sum(ordered_amount) over (
            partition by vendor_id, project_code order by fiscal_period
            rows between unbounded preceding and current row
        ) as cumulative_ordered
    from joined
),

final as (
    select
        {{ pmo_surrogate_key(['cumulated.vendor_id', 'cumulated.project_code', 'cumulated.fiscal_period']) }}
            as vendor_spend_key,
        cumulated.vendor_id,
        coalesce(dim_vendor.vendor_name, 'Unknown vendor') as vendor_name,
        cumulated.project_code,
        cumulated.fiscal_period,
        {{ pmo_money('cumulated.invoiced_amount') }} as invoiced_amount,
        {{ pmo_money('cumulated.invoiced_on_po_amount') }} as invoiced_on_po_amount,
        {{ pmo_money('cumulated.non_po_amount') }} as non_po_amount,
        {{ pmo_ratio('cumulated.non_po_amount', 'cumulated.invoiced_amount', 4) }} as non_po_pct,
        cumulated.invoice_line_count,
        {{ pmo_money('cumulated.ordered_amount') }} as ordered_amount,
        {{ pmo_money('cumulated.open_commitment_amount') }} as open_commitment_amount,
        {{ pmo_ratio('cumulated.cumulative_invoiced_on_po', 'cumulated.cumulative_ordered', 4) }}
            as po_consumed_pct
    from cumulated
    left join dim_vendor
        on
            cumulated.vendor_id = dim_vendor.vendor_id
            and not dim_vendor.is_unknown_member
)

select * from final
