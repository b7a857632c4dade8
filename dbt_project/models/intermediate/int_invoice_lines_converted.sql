{#- Invoice lines converted to the reporting currency with the latest rate on or before the
    invoice date (the first known rate when the invoice predates every rate). A currency without
    any rate leaves amount_reporting NULL on purpose: the not-null checks on fct_invoice_lines
    (dbt test and the blocking Great Expectations suite) then stop the marts instead of silently
    dropping or mis-stating spend.

    The staging key <vendor_id>|<invoice_number>|<invoice_line> repeats when a vendor sends the
    same invoice twice (AP-03). The first occurrence in file order keeps it as invoice_line_key;
    later copies get a '#<n>' suffix, so the key stays unique while invoice_line_business_key keeps
    the key a finance team quotes. -#}
with

stg_finance__invoice_lines as (
    select * from {{ ref('stg_finance__invoice_lines') }}
),

int_fx_rates_ranged as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

occurrences as (
    select
        *,
        row_number() over (
            partition by invoice_line_key
            order by source_file, source_line
        ) as occurrence
    from stg_finance__invoice_lines
),

converted as (
    select
        case
            when invoice_lines.occurrence = 1 then invoice_lines.invoice_line_key
            else invoice_lines.invoice_line_key || '#' || {{ pmo_to_string('invoice_lines.occurrence') }}
        end as invoice_line_key,
        invoice_lines.vendor_id || '|' || invoice_lines.invoice_number || '|'
        || {{ pmo_to_string('invoice_lines.invoice_line') }} as invoice_line_business_key,
        invoice_lines.occurrence,
        invoice_lines.vendor_id,
        invoice_lines.invoice_number,
        {{ pmo_normalize_invoice_number('invoice_lines.invoice_number') }} as invoice_number_normalized,
        -- Not in the staging contract (docs/CONTRACTS.md) but needed for the AP keys that a
        -- finance team quotes: <vendor_id>|<invoice_number>|<invoice_line>.
        cast(invoice_lines.invoice_line as integer) as invoice_line,
        cast(invoice_lines.invoice_date as date) as invoice_date,
        invoice_lines.po_number,
        invoice_lines.po_line,
        invoice_lines.project_code,
        invoice_lines.cost_type,
        {{ pmo_money('invoice_lines.amount') }} as amount,
        upper(trim(invoice_lines.currency)) as currency,
        fx.rate_to_reporting as fx_rate,
        fx.rate_date as fx_rate_date,
        case
            when fx.currency is null then 'missing_rate'
            when fx.is_first_rate and fx.rate_date > cast(invoice_lines.invoice_date as date)
                then 'first_rate_after_date'
            else 'rate_on_or_before_date'
        end as fx_rate_status,
        {{ pmo_money('invoice_lines.amount * fx.rate_to_reporting') }} as amount_reporting,
        invoice_lines.source_file,
        invoice_lines.source_line
    from occurrences as invoice_lines
    left join int_fx_rates_ranged as fx
        on
            upper(trim(invoice_lines.currency)) = fx.currency
            and cast(invoice_lines.invoice_date as date) >= fx.valid_from
            and cast(invoice_lines.invoice_date as date) < fx.valid_to
),

final as (
    select
        *,
        {{ pmo_reporting_currency() }} as reporting_currency
    from converted
)

select * from final
