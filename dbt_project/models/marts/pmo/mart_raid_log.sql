{#- The RAID log per project and RAID type as a PMO reviews it: open items, how many are
    overdue, without owner or without mitigation, exposure and the worst open severity. -#}
with

fct_raid_items as (
    select * from {{ ref('fct_raid_items') }}
),

final as (
    select
        project_code,
        raid_type,
        count(*) as item_count,
        sum(case when is_open then 1 else 0 end) as open_count,
        sum(case when is_open and is_overdue then 1 else 0 end) as open_overdue_count,
        sum(case when is_open and not has_owner then 1 else 0 end) as open_unowned_count,
        sum(
            case when is_open and raid_type = 'risk' and not has_mitigation then 1 else 0 end
        ) as open_risks_without_mitigation_count,
        sum(case when is_open and severity = 'extreme' then 1 else 0 end) as open_extreme_count,
        sum(case when is_open and severity = 'high' then 1 else 0 end) as open_high_count,
        sum(case when is_open then exposure_score else 0 end) as open_exposure_total,
        max(case when is_open then severity_rank else 0 end) as worst_open_severity_rank,
        cast(avg(case when is_open then age_days end) as decimal(12, 1)) as open_avg_age_days,
        {{ pmo_ratio('sum(case when is_open and has_owner then 1 else 0 end)',
            'sum(case when is_open then 1 else 0 end)') }} as open_owned_pct
    from fct_raid_items
    group by project_code, raid_type
)

select * from final
