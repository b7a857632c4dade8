"""Reconciliation of the finance load, read back from the warehouse.

Invariant, per current file version in ``file_ledger`` (status ``loaded`` or ``rejected``):

* ``rows_read == records_in_file``: the parser read as many records as the file holds, counted
  independently of the parser (``connectors.finance.record_count``) when the file was read, and
* ``rows_read == rows_loaded + rows_quarantined`` (the ledger's own arithmetic), and
* the entity table holds exactly ``rows_loaded`` rows of that file version, and
* ``quarantine`` holds exactly ``rows_quarantined`` distinct lines of that file version.

:func:`unreconciled_files` returns the files breaking it (empty = reconciled); the orchestration
layer turns a non-empty answer into a failing blocking asset check. Works on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connectors.finance.settings import DATASET_NAME, ENTITY_TABLES, LEDGER_TABLE, QUARANTINE_TABLE


def reconciliation_sql(
    existing_tables: set[str], dataset: str = DATASET_NAME, has_record_count: bool = True
) -> str:
    """The SQL listing unreconciled file versions, over the tables that exist.

    Args:
        existing_tables: the tables present in ``dataset`` (absent entity tables count as 0 rows).
        dataset: the raw dataset (schema) name.
        has_record_count: the ledger has ``records_in_file`` (ledgers written before it existed
            are checked on their own arithmetic only).
    """
    records = "records_in_file" if has_record_count else "cast(null as bigint)"
    loaded = [
        f"select _file_id, _file_sha256, count(*) as n from {dataset}.{table} group by _file_id, _file_sha256"
        for table in ENTITY_TABLES
        if table in existing_tables
    ]
    loaded_sql = (
        " union all ".join(loaded)
        or "select cast(null as varchar) as _file_id, cast(null as varchar) as _file_sha256, 0 as n"
    )
    if QUARANTINE_TABLE in existing_tables:
        quarantined_sql = (
            f"select _file_id, _file_sha256, count(distinct source_line) as n "
            f"from {dataset}.{QUARANTINE_TABLE} group by _file_id, _file_sha256"
        )
    else:
        quarantined_sql = "select cast(null as varchar) as _file_id, cast(null as varchar) as _file_sha256, 0 as n"
    return f"""
with ledger as (
    select
        file_id, sha256, file_name, status, {records} as records_in_file, rows_read, rows_loaded,
        rows_quarantined
    from {dataset}.{LEDGER_TABLE}
    where status in ('loaded', 'rejected')
),
loaded as (
    select _file_id, _file_sha256, sum(n) as n from ({loaded_sql}) as per_table
    group by _file_id, _file_sha256
),
quarantined as ({quarantined_sql})
select
    l.file_id, l.sha256, l.file_name, l.status, l.records_in_file, l.rows_read, l.rows_loaded,
    l.rows_quarantined,
    coalesce(ld.n, 0) as rows_in_tables,
    coalesce(q.n, 0) as lines_in_quarantine
from ledger as l
left join loaded as ld on ld._file_id = l.file_id and ld._file_sha256 = l.sha256
left join quarantined as q on q._file_id = l.file_id and q._file_sha256 = l.sha256
where l.rows_read <> l.rows_loaded + l.rows_quarantined
    or l.records_in_file <> l.rows_read
    or coalesce(ld.n, 0) <> l.rows_loaded
    or coalesce(q.n, 0) <> l.rows_quarantined
order by l.file_id
"""


def _stale_condition(table: str, dataset: str) -> str:
    # A row is current only when the ledger holds its file version as loaded or rejected *and*
    # that ledger row was written by the same dlt load (so a replayed extract goes too).
    return (
        f"not exists (select 1 from {dataset}.{LEDGER_TABLE} as ledger "
        f"where ledger.file_id = {dataset}.{table}._file_id "
        f"and ledger.sha256 = {dataset}.{table}._file_sha256 "
        f"and ledger._dlt_load_id = {dataset}.{table}._dlt_load_id "
        f"and ledger.status in ('loaded', 'rejected'))"
    )


def purge_counts_sql(existing_tables: set[str], dataset: str = DATASET_NAME) -> dict[str, str]:
    """Per raw table, SQL counting the rows the purge will delete, by file version."""
    if LEDGER_TABLE not in existing_tables:
        return {}
    return {
        table: (
            f"select _file_id, _file_sha256, count(*) from {dataset}.{table} "
            f"where {_stale_condition(table, dataset)} group by _file_id, _file_sha256"
        )
        for table in (*ENTITY_TABLES, QUARANTINE_TABLE)
        if table in existing_tables
    }


def purge_superseded_sql(existing_tables: set[str], dataset: str = DATASET_NAME) -> list[str]:
    """DELETE statements removing raw rows that are not of a current file version.

    A row is kept only when the ledger holds its file version (``_file_id``, ``_file_sha256``)
    as ``loaded`` or ``rejected`` *and* that ledger row was written by the same dlt load, so rows
    of superseded versions and rows of a replayed extract both go. Idempotent.
    """
    if LEDGER_TABLE not in existing_tables:
        return []
    return [
        f"delete from {dataset}.{table} where {_stale_condition(table, dataset)}"
        for table in (*ENTITY_TABLES, QUARANTINE_TABLE)
        if table in existing_tables
    ]


def _run(connection: Any, sql: str, params: tuple = ()) -> tuple[list[str], list[tuple]]:
    if type(connection).__module__.startswith("psycopg2"):
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return [d[0] for d in cursor.description], cursor.fetchall()
    result = connection.execute(sql, list(params))
    rows = result.fetchall()
    return [d[0] for d in result.description], rows


@contextmanager
def _connect(warehouse: Any) -> Iterator[Any]:
    if not isinstance(warehouse, str | Path):
        yield warehouse
        return
    text = str(warehouse)
    if text.startswith(("postgresql://", "postgres://")):
        import psycopg2

        connection = psycopg2.connect(text)
    else:
        import duckdb

        connection = duckdb.connect(text, read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def _tables(connection: Any, dataset: str) -> set[str]:
    _, rows = _run(
        connection,
        "select table_name from information_schema.tables where table_schema = ?",
        (dataset,),
    )
    return {r[0] for r in rows}


def _columns(connection: Any, dataset: str, table: str) -> set[str]:
    _, rows = _run(
        connection,
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        (dataset, table),
    )
    return {r[0] for r in rows}


def unreconciled_files(warehouse: Any, dataset: str = DATASET_NAME) -> list[dict[str, Any]]:
    """Files whose rows are not all either loaded or quarantined.

    Args:
        warehouse: a DuckDB connection, a DuckDB file path, a psycopg2 connection, or a
            ``postgresql://`` URL.
        dataset: the raw dataset (schema) name.

    Returns:
        One dict per unreconciled file version (empty when everything reconciles, or when
        nothing was loaded yet).
    """
    with _connect(warehouse) as connection:
        existing = _tables(connection, dataset)
        if LEDGER_TABLE not in existing:
            return []
        has_count = "records_in_file" in _columns(connection, dataset, LEDGER_TABLE)
        names, rows = _run(connection, reconciliation_sql(existing, dataset, has_count))
        return [dict(zip(names, row, strict=True)) for row in rows]


def rejected_files(warehouse: Any, dataset: str = DATASET_NAME) -> list[dict[str, Any]]:
    """Current file versions rejected as a whole (wrong shape), with their error."""
    with _connect(warehouse) as connection:
        if LEDGER_TABLE not in _tables(connection, dataset):
            return []
        names, rows = _run(
            connection,
            f"select file_id, file_name, sha256, error from {dataset}.{LEDGER_TABLE} "
            f"where status = 'rejected' order by file_id",
        )
        return [dict(zip(names, row, strict=True)) for row in rows]


NOT_LOADED = ("rejected", "duplicate", "unrouted", "skipped")


def files_not_loaded(
    warehouse: Any,
    dataset: str = DATASET_NAME,
    since: Any = None,
    include_superseded: bool = False,
) -> list[dict[str, Any]]:
    """Files in the ledger whose rows are not in the warehouse, and why (for the run summary).

    Args:
        warehouse: as for :func:`unreconciled_files`.
        dataset: the raw dataset (schema) name.
        since: only files recorded at or after this time (e.g. the run's start), when given.
        include_superseded: also list versions a later accepted version replaced.

    Returns:
        One dict per file version: ``file_name``, ``file_id``, ``path``, ``sha256``, ``status``
        (rejected, duplicate, unrouted, skipped[, superseded]), ``reason``, ``duplicate_of``,
        ``superseded_by``, ``rows_read``, ``rows_quarantined``, ``loaded_at``; empty when every
        file was loaded or nothing was recorded yet.
    """
    statuses = NOT_LOADED + (("superseded",) if include_superseded else ())
    with _connect(warehouse) as connection:
        if LEDGER_TABLE not in _tables(connection, dataset):
            return []
        columns = _columns(connection, dataset, LEDGER_TABLE)

        def optional(name: str) -> str:
            return name if name in columns else f"cast(null as varchar) as {name}"

        marks = ", ".join("?" for _ in statuses)
        sql = (
            f"select file_name, file_id, path, sha256, status, error as reason, "
            f"{optional('duplicate_of')}, {optional('superseded_by')}, rows_read, "
            f"rows_quarantined, loaded_at from {dataset}.{LEDGER_TABLE} "
            f"where status in ({marks})"
        )
        params: tuple = statuses
        if since is not None:
            sql += " and loaded_at >= ?"
            params = (*statuses, since)
        names, rows = _run(connection, sql + " order by loaded_at, file_name", params)
        return [dict(zip(names, row, strict=True)) for row in rows]
