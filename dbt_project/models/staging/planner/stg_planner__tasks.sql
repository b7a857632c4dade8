with

source as (

    select src.*
    from {{ source('raw_planner', 'tasks') }} as src
    inner join {{ source('raw_planner', '_dlt_loads') }} as loads
        on src._dlt_load_id = loads.load_id
    where loads.status = 0

),

renamed as (

    select
        -- ids
        id as task_id,
        plan_id,
        bucket_id,
        created_by_user_id,
        completed_by_user_id,
        -- strings
        title as task_title,
        status_category,
        priority_label,
        applied_categories,
        etag,
        -- numerics
        cast(percent_complete as integer) as percent_complete,
        cast(priority as integer) as priority_raw,
        cast(assignee_count as integer) as assignee_count,
        cast(checklist_item_count as integer) as checklist_item_count,
        cast(active_checklist_item_count as integer) as active_checklist_item_count,
        cast(reference_count as integer) as reference_count,
        -- booleans
        coalesce(is_deleted, false) as is_deleted,
        has_description,
        -- timestamps
        cast(start_at as {{ pmo_type_timestamp() }}) as start_at,
        cast(due_at as {{ pmo_type_timestamp() }}) as due_at,
        cast(completed_at as {{ pmo_type_timestamp() }}) as completed_at,
        cast(created_at as {{ pmo_type_timestamp() }}) as created_at,
        cast(deleted_at as {{ pmo_type_timestamp() }}) as deleted_at,
        cast(_extracted_at as {{ pmo_type_timestamp() }}) as extracted_at,
        _dlt_load_id as dlt_load_id
    from source

)

select * from renamed
