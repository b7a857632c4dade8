"""In a built warehouse: every column of core/marts/compliance carries its description as a
comment (PostgreSQL and DuckDB), the dq schema is granted to bi_reader, and
compliance.exception_history keeps identity across runs and re-runs idempotently."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import duckdb
import pytest
from pmo_dbt_helpers import DbtRun, base_env, duckdb_rows, postgres_rows

pytestmark = pytest.mark.slow
SCHEMAS = "('core', 'marts', 'compliance')"


def test_duckdb_columns_carry_their_descriptions(duckdb_build) -> None:
    world, _ = duckdb_build
    missing = duckdb_rows(
        world.duckdb_path,
        f"select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        f"where schema_name in {SCHEMAS} and (comment is null or comment = '')",
    )
    assert missing == []
    tables = duckdb_rows(
        world.duckdb_path,
        f"select count(*) from duckdb_tables() where schema_name in {SCHEMAS} and comment is null",
    )
    assert tables == [(0,)]


@pytest.mark.postgres
def test_postgres_shows_table_and_column_comments(postgres_build) -> None:
    world, _ = postgres_build
    missing = postgres_rows(
        world.postgres_database,
        f"""
        select c.table_schema || '.' || c.table_name || '.' || c.column_name
        from information_schema.columns as c
        join pg_catalog.pg_class as t on t.relname = c.table_name
        join pg_catalog.pg_namespace as n on n.oid = t.relnamespace and n.nspname = c.table_schema
        where c.table_schema in {SCHEMAS}
          and col_description(t.oid, c.ordinal_position) is null
        """,
    )
    assert missing == []
    described = postgres_rows(
        world.postgres_database,
        "select obj_description('marts.mart_utilization'::regclass, 'pg_class'), "
        "col_description('marts.mart_utilization'::regclass, "
        "(select attnum from pg_attribute where attrelid = 'marts.mart_utilization'::regclass "
        "and attname = 'utilization_pct'))",
    )
    assert "Person x ISO week" in described[0][0]
    assert "fraction" in described[0][1]


def test_exception_history_keeps_identity_across_runs(duckdb_build, tmp_path) -> None:
    world, dbt = duckdb_build
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(world.duckdb_path, copy)
    run = DbtRun(tmp_path, base_env(PMO_HUB_DBT_TARGET="duckdb", PMO_HUB_DUCKDB_PATH=str(copy)), {})

    def history() -> list[tuple]:
        return duckdb_rows(
            copy,
            "select exception_key, is_open, first_detected_on, last_seen_on, resolved_on, "
            "age_days, reopened_count from compliance.exception_history order by 1",
        )

    first = history()
    exceptions = duckdb_rows(copy, "select count(*) from compliance.fct_dq_exceptions")[0][0]
    assert len(first) == exceptions > 0
    assert {(r[1], str(r[2]), r[4], r[5]) for r in first} == {(True, world.as_of, None, 0)}

    # A re-run on the same data and as-of date changes nothing.
    run.vars = {"as_of_date": world.as_of}
    run("run", "--select", "exception_history")
    assert history() == first

    # A week later: 3 exceptions are gone, one is new.
    con = duckdb.connect(str(copy))
    try:
        gone = [
            r[0]
            for r in con.execute(
                "select exception_key from compliance.fct_dq_exceptions order by 1 limit 3"
            ).fetchall()
        ]
        con.execute(
            "delete from compliance.fct_dq_exceptions where exception_key in (?, ?, ?)", gone
        )
        con.execute(
            "insert into compliance.fct_dq_exceptions select 'new-key', rule_id, severity, "
            "entity_type, 'NEW-1', source_system, project_code, source_item_key, source_file, "
            "source_line, source_url, source_locator, evidence, detected_at "
            "from compliance.fct_dq_exceptions limit 1"
        )
    finally:
        con.close()
    week_later = str(date.fromisoformat(world.as_of) + timedelta(days=7))
    run.vars = {"as_of_date": week_later}
    run("run", "--select", "exception_history")
    second = {r[0]: r for r in history()}
    assert len(second) == len(first) + 1
    for key in gone:
        assert second[key][1] is False and str(second[key][4]) == week_later
        assert second[key][5] == 7
    assert second["new-key"][1] is True and str(second["new-key"][2]) == week_later
    still_open = [r for k, r in second.items() if k not in gone and k != "new-key"]
    assert {(r[1], r[5], str(r[3])) for r in still_open} == {(True, 7, week_later)}

    # --full-refresh must not wipe the history (full_refresh: false on the model).
    run("run", "--select", "exception_history", "--full-refresh")
    assert {r[0]: r for r in history()} == second
