{#- Every invoice line checked against the unallowable-cost rules (seed cost_category_rules) for
    the funding type of its project: one row per line, with the first matching rule (lowest
    rule_code) or nulls. Lines of projects unknown to the registry count as internal. -#}
with

stg_finance__invoice_lines as (
    select * from {{ ref('stg_finance__invoice_lines') }}
),

stg_finance__projects as (
    select * from {{ ref('stg_finance__projects') }}
),

cost_category_rules as (
    select * from {{ ref('cost_category_rules') }}
),

lines as (
    select
        invoice_lines.source_row_key,
        invoice_lines.vendor_id || '|' || invoice_lines.invoice_number || '|'
        || {{ pmo_to_string('invoice_lines.invoice_line') }} as invoice_line_business_key,
        invoice_lines.vendor_id,
        invoice_lines.invoice_number,
        invoice_lines.invoice_line,
        invoice_lines.invoice_date,
        invoice_lines.project_code,
        coalesce(projects.funding_type, 'internal') as funding_type,
        invoice_lines.cost_type,
        invoice_lines.description,
        invoice_lines.amount,
        invoice_lines.currency,
        invoice_lines.source_file,
        invoice_lines.source_line
    from stg_finance__invoice_lines as invoice_lines
    left join stg_finance__projects as projects
        on invoice_lines.project_code = projects.project_code
),

matches as (
    select
        lines.source_row_key,
        min(rules.rule_code) as rule_code
    from lines
    inner join cost_category_rules as rules
        on
            lines.funding_type = rules.funding_type
            and (
                (
                    rules.match_on = 'description_keyword'
                    and lower(coalesce(lines.description, '')) like '%' || lower(rules.pattern) || '%'
                )
                or (rules.match_on = 'cost_type' and lines.cost_type = rules.pattern)
            )
    group by lines.source_row_key
),

final as (
    select
        lines.*,
        matches.rule_code is not null as is_unallowable,
        matches.rule_code,
        rules.match_on,
        rules.pattern as matched_pattern,
        rules.cost_category,
        rules.reason
    from lines
    left join matches on lines.source_row_key = matches.source_row_key
    left join cost_category_rules as rules on matches.rule_code = rules.rule_code
)

select * from final
