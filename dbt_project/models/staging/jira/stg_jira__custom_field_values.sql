{#- Every custom field value ever synced, typed, with whether it is current. A value is current
    when the issue's latest extraction still carried it (rows extracted with their issue share
    its _extracted_at) and the field still exists on the site. Old values (changed, cleared,
    retyped, or of a deleted field) stay as history with is_current false. -#}
with

source as (
    select * from {{ source('raw_jira', 'issue_custom_field_values') }}
),

issues as (
    select
        id as issue_id,
        _extracted_at as issue_extracted_at
    from {{ source('raw_jira', 'issues') }}
),

site_fields as (
    select
        id as field_id,
        name as field_name
    from {{ source('raw_jira', 'fields') }}
),

final as (
    select
        source.issue_id,
        source.field_id,
        source.value_digest,
        coalesce(site_fields.field_name, source.field_name) as field_name,
        source.field_name as field_name_when_extracted,
        source.schema_type,
        source.value_type,
        source.value_text,
        cast(source.value_number as decimal(18, 4)) as value_number,
        source.value_date,
        source.value_timestamp,
        source.value_option_id,
        source.value_option,
        source.value_user_account_id,
        source.value_json,
        site_fields.field_id is not null as is_field_on_site,
        site_fields.field_id is not null
        and source._extracted_at >= issues.issue_extracted_at as is_current,
        source._extracted_at as last_seen_at
    from source
    inner join issues on source.issue_id = issues.issue_id
    left join site_fields on source.field_id = site_fields.field_id
)

select * from final
