{#- The rows of one raw finance table that belong to the current version of their file (per the
    file ledger) and to a complete dlt load: superseded re-issues and half-loaded packages never
    reach staging. -#}
{% macro finance_current_rows(table) %}
    select raw_rows.*
    from {{ source('raw_finance', table) }} as raw_rows
    inner join {{ source('raw_finance', 'file_ledger') }} as ledger
        on
            raw_rows._file_id = ledger.file_id
            and raw_rows._file_sha256 = ledger.sha256
            and ledger.status = 'loaded'
    inner join {{ source('raw_finance', '_dlt_loads') }} as loads
        on
            raw_rows._dlt_load_id = loads.load_id
            and loads.status = 0
{% endmacro %}
