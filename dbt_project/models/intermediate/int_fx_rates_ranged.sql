{#- FX rates as validity ranges [valid_from, valid_to) per currency, so "the latest rate on or
    before a date" is a range join. The first rate of a currency also covers earlier dates (no
    earlier rate exists; `is_backfilled_range` marks that stretch), and the reporting currency
    always converts at 1. amount_reporting = amount * rate_to_reporting. -#}
with

stg_finance__fx_rates as (
    select * from {{ ref('stg_finance__fx_rates') }}
),

rates as (
    select
        upper(trim({{ pmo_to_string('currency') }})) as currency,
        cast(rate_date as date) as rate_date,
        cast(max(rate_to_reporting) as decimal(18, 6)) as rate_to_reporting
    from stg_finance__fx_rates
    where
        rate_to_reporting is not null
        and upper(trim({{ pmo_to_string('currency') }})) <> {{ pmo_reporting_currency() }}
    group by upper(trim({{ pmo_to_string('currency') }})), cast(rate_date as date)
),

ranged as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        case
            when row_number() over (partition by currency order by rate_date) = 1
                then cast('1900-01-01' as date)
            else rate_date
        end as valid_from,
        coalesce(
            lead(rate_date) over (partition by currency order by rate_date),
            cast('9999-12-31' as date)
        ) as valid_to,
        row_number() over (partition by currency order by rate_date) = 1 as is_first_rate
    from rates
),

final as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        valid_from,
        valid_to,
        is_first_rate
    from ranged
    union all
    select
        {{ pmo_reporting_currency() }} as currency,
        cast('1900-01-01' as date) as rate_date,
        cast(1 as decimal(18, 6)) as rate_to_reporting,
        cast('1900-01-01' as date) as valid_from,
        cast('9999-12-31' as date) as valid_to,
        false as is_first_rate
)

select * from final
