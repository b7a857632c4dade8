{#- One row per vendor invoice line: raw and normalized invoice number, fiscal period of the
    invoice date, canonical project (UNMAPPED when the code is not in the registry) and the amount
    in the reporting currency. The lead's Great Expectations suite reads this model. -#}
with

int_invoice_lines_converted as (
    select * from {{ ref('int_invoice_lines_converted') }}
),

dim_project as (
    select * from {{ ref('dim_project') }}
),

dim_vendor as (
    select * from {{ ref('dim_vendor') }}
),

final as (
    select
        invoice_lines.invoice_line_key,
        coalesce(vendors.vendor_key, '-1') as vendor_key,
        invoice_lines.vendor_id,
        invoice_lines.invoice_number,
        invoice_lines.invoice_number_normalized,
        invoice_lines.invoice_line,
        invoice_lines.invoice_line_business_key,
        invoice_lines.occurrence as business_key_occurrence,
        invoice_lines.invoice_date,
        {{ pmo_fiscal_period('invoice_lines.invoice_date') }} as fiscal_period,
        invoice_lines.po_number,
        invoice_lines.po_line,
        coalesce(projects.project_key, '-1') as project_key,
        coalesce(projects.project_code, 'UNMAPPED') as project_code,
        invoice_lines.project_code as project_code_raw,
        invoice_lines.cost_type,
        invoice_lines.amount,
        invoice_lines.currency,
        invoice_lines.fx_rate,
        invoice_lines.fx_rate_date,
        invoice_lines.fx_rate_status,
        invoice_lines.amount_reporting,
        invoice_lines.reporting_currency,
        'finance' as source_system,
        invoice_lines.invoice_line_key as source_record_id,
        invoice_lines.source_file,
        invoice_lines.source_line
    from int_invoice_lines_converted as invoice_lines
    left join dim_project as projects
        on
            invoice_lines.project_code = projects.project_code
            and not projects.is_unknown_member
    left join dim_vendor as vendors
        on
            invoice_lines.vendor_id = vendors.vendor_id
            and not vendors.is_unknown_member
)

select * from final
