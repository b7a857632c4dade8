{#- Vendors from the vendor master with a normalized name (lower case, letters and digits only)
    for duplicate-vendor checks, and a `-1` member for invoices of unknown vendors. -#}
with

stg_finance__vendors as (
    select * from {{ ref('stg_finance__vendors') }}
),

vendors as (
    select
        {{ pmo_surrogate_key(['vendor_id']) }} as vendor_key,
        {{ pmo_to_string('vendor_id') }} as vendor_id,
        vendor_name,
        regexp_replace(lower(vendor_name), '[^a-z0-9]', '', 'g') as normalized_name,
        tax_id,
        status,
        status = 'blocked' as is_blocked,
        false as is_unknown_member
    from stg_finance__vendors
),

unknown_member as (
    select
        '-1' as vendor_key,
        '-1' as vendor_id,
        'Unknown vendor' as vendor_name,
        cast(null as {{ pmo_type_string() }}) as normalized_name,
        cast(null as {{ pmo_type_string() }}) as tax_id,
        'unknown' as status,
        false as is_blocked,
        true as is_unknown_member
),

final as (
    select * from vendors
    union all
    select * from unknown_member
)

select * from final
