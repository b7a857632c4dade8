{#- Physical % complete per project, weighted by each work item's budget (pmo-domain 1.2:
    EV = BAC x Σ(weight x % complete) / Σ weight). The weight is the first candidate of
    int_evm_work_items that every work item of the project has and that sums to more than zero:
    baseline_cost, budgeted_labour (estimate hours x cost rate), story_points, estimate_hours,
    else equal weights. Weights never mix scales inside one project. Unrounded. -#}
with

int_evm_work_items as (
    select * from {{ ref('int_evm_work_items') }}
),

coverage as (
    select
        project_code,
        count(*) as work_item_count,
        count(weight_baseline_cost) as baseline_cost_count,
        sum(weight_baseline_cost) as baseline_cost_total,
        sum(weight_baseline_cost * complete_pct) as baseline_cost_earned,
        count(weight_budgeted_labour) as budgeted_labour_count,
        sum(weight_budgeted_labour) as budgeted_labour_total,
        sum(weight_budgeted_labour * complete_pct) as budgeted_labour_earned,
        count(weight_story_points) as story_points_count,
        sum(weight_story_points) as story_points_total,
        sum(weight_story_points * complete_pct) as story_points_earned,
        count(weight_estimate_hours) as estimate_hours_count,
        sum(weight_estimate_hours) as estimate_hours_total,
        sum(weight_estimate_hours * complete_pct) as estimate_hours_earned,
        sum(complete_pct) as equal_earned
    from int_evm_work_items
    group by project_code
),

chosen as (
    select
        *,
        case
            when baseline_cost_count = work_item_count and baseline_cost_total > 0
                then 'baseline_cost'
            when budgeted_labour_count = work_item_count and budgeted_labour_total > 0
                then 'budgeted_hours_x_rate'
            when story_points_count = work_item_count and story_points_total > 0
                then 'story_points'
            when estimate_hours_count = work_item_count and estimate_hours_total > 0
                then 'original_estimate_hours'
            else 'equal_weights'
        end as ev_method
    from coverage
),

final as (
    select
        project_code,
        work_item_count,
        ev_method,
        cast(case ev_method
            when 'baseline_cost'
                then cast(baseline_cost_earned as decimal(38, 10)) / baseline_cost_total
            when 'budgeted_hours_x_rate'
                then cast(budgeted_labour_earned as decimal(38, 10)) / budgeted_labour_total
            when 'story_points'
                then cast(story_points_earned as decimal(38, 10)) / story_points_total
            when 'original_estimate_hours'
                then cast(estimate_hours_earned as decimal(38, 10)) / estimate_hours_total
            else cast(equal_earned as decimal(38, 10)) / work_item_count
        end as decimal(38, 10)) as earned_pct
    from chosen
)

select * from final
