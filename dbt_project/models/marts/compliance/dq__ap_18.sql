{#- AP-18 unallowable cost: an invoice line on a project whose funding type a rule of the seed
    cost_category_rules covers, matching the rule's keyword or cost type (e.g. alcohol,
    entertainment or first-class travel on a grant-funded project). -#}
with

int_invoice_lines_classified as (
    select * from {{ ref('int_invoice_lines_classified') }}
),

exceptions as (
    select
        'invoice_line' as entity_type,
        invoice_line_business_key as entity_key,
        'finance' as source_system,
        min(project_code) as project_code,
        invoice_line_business_key as source_item_key,
        min(source_file) as source_file,
        min(source_line) as source_line,
        min({{ pmo_evidence([
            ('funding_type', 'funding_type'),
            ('rule_code', 'rule_code'),
            ('cost_category', 'cost_category'),
            ('matched', 'matched_pattern'),
            ('description', 'description'),
            ('invoice_date', 'invoice_date'),
            ('amount', 'amount'),
            ('currency', 'currency'),
        ]) }}) as evidence
    from int_invoice_lines_classified
    where is_unallowable
    group by invoice_line_business_key
)

{{ pmo_dq_final('AP-18', locators=['source_item_key', 'source_file', 'source_line']) }}
