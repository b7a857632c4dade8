-- Every MS Project task below the outline's top has its parent (a summary task of the same plan)
-- in dim_task: the plan hierarchy survives into core, and blank rows never become parents.
select
    child.task_key,
    child.source_record_id,
    child.parent_source_task_id
from {{ ref('dim_task') }} as child
left join {{ ref('dim_task') }} as parent
    on
        parent.source_system = 'msproject'
        and child.parent_source_task_id = parent.source_record_id
where
    child.source_system = 'msproject'
    and child.parent_source_task_id is not null
    and (parent.task_key is null or not parent.is_summary)
