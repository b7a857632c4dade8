{#- AP-04 fuzzy duplicate invoice: same vendor and normalized invoice number (so 'RE-1-00012'
    and 'RE 1-00012' match) and invoice line, a later invoice date within `window_days`, and an
    amount of the same sign within `amount_tolerance_pct` - but not an exact duplicate (AP-03).
    Credit notes (opposite sign) never pair with their invoice. The later line is the exception. -#}
{%- set evidence = [
    ('near_duplicate_of', 'earlier_key'),
    ('earlier_date', 'earlier_date'),
    ('invoice_date', 'invoice_date'),
    ('earlier_amount', 'earlier_amount'),
    ('amount', 'amount'),
] -%}
with

fct_invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

pairs as (
    select
        later.invoice_line_business_key as entity_key,
        later.project_code,
        later.source_file,
        later.source_line,
        earlier.invoice_line_business_key as earlier_key,
        earlier.invoice_date as earlier_date,
        later.invoice_date,
        earlier.amount as earlier_amount,
        later.amount
    from fct_invoice_lines as later
    inner join fct_invoice_lines as earlier
        on
            later.vendor_id = earlier.vendor_id
            and later.invoice_number_normalized = earlier.invoice_number_normalized
            and later.invoice_line = earlier.invoice_line
            and later.invoice_line_key <> earlier.invoice_line_key
    where
        -- later = later date, or the same date and later in file order
        (
            later.invoice_date > earlier.invoice_date
            or (
                later.invoice_date = earlier.invoice_date
                and (
                    later.source_file > earlier.source_file
                    or (later.source_file = earlier.source_file and later.source_line > earlier.source_line)
                )
            )
        )
        and {{ pmo_datediff('earlier.invoice_date', 'later.invoice_date', 'day') }}
        <= {{ pmo_rule_param('AP-04', 'window_days') }}
        and sign(later.amount) = sign(earlier.amount)
        and abs(later.amount - earlier.amount)
        <= abs(earlier.amount) * {{ pmo_rule_param('AP-04', 'amount_tolerance_pct') }}
        and not (later.invoice_date = earlier.invoice_date and later.amount = earlier.amount)
),

exceptions as (
    select
        'invoice_line' as entity_type,
        entity_key,
        'finance' as source_system,
        min(project_code) as project_code,
        min({{ pmo_evidence(evidence) }}) as evidence,
        {{ pmo_evidence_columns(evidence, 'min') }},
        entity_key as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line
    from pairs
    group by entity_key
)

{{ pmo_dq_final('AP-04', evidence=evidence, locators=['source_item_key', 'source_file', 'source_line']) }}
