"""The main job end to end on the PostgreSQL serving target, in a fresh database of its own.

Sandbox (tier XS) -> dlt -> PostgreSQL -> dbt -> GX natively on PostgreSQL, then the `bi_reader`
group role: a login role in it reads core, marts and compliance and is refused raw and staging.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql

from expectations.suites import SUITES
from orchestration.checks import run_suite
from pmo_hub.config import load_config
from pmo_hub.runs import RunSummary, run_sync_job
from sandbox.runtime import RunningSandbox

# PostgreSQL is the serving target: this runs by default, on one worker (two syncs, once).
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("e2e_postgres")]

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}

# Tables that grow by design on every run (history of checks, census snapshots, ledgers of runs).
APPEND_ONLY = ("dq.", "raw_jira.issue_census", "raw_msproject.files", "raw_finance.file_ledger")

SERVED = (
    "core.fct_invoice_lines",
    "marts.mart_budget_vs_actual",
    "compliance.fct_dq_exceptions",
    "compliance.exception_history",
    "dq.expectation_results",
)
NOT_SERVED_SCHEMAS = ("raw_finance", "raw_jira", "staging")


def _admin(dbname: str = "postgres") -> psycopg2.extensions.connection:
    con = psycopg2.connect(**{**PG_ADMIN, "dbname": dbname})
    con.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
    return con


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh database, dropped afterwards (with any session still connected to it)."""
    name = f"pmo_e2e_{uuid.uuid4().hex[:12]}"
    con = _admin()
    try:
        with con.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        yield name
    finally:
        with con.cursor() as cur:
            cur.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
        con.close()


@pytest.fixture(scope="module")
def pg_runs(
    running: RunningSandbox,
    pg_database: str,
    tmp_path_factory: pytest.TempPathFactory,
    write_config,
) -> tuple[Path, str, RunSummary, RunSummary]:
    directory = tmp_path_factory.mktemp("hub_pg")
    config = write_config(running, directory, target="postgres")
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    # The job exports the config path and dbt's connection into os.environ: put it all back after.
    saved = dict(os.environ)
    os.environ.update(running.secrets())
    os.environ["PMO_HUB_POSTGRES_URL"] = url
    try:
        first = run_sync_job(config)
        second = run_sync_job(config)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return directory, pg_database, first, second


def _one(dbname: str, query: str, params: tuple = ()) -> tuple:
    con = _admin(dbname)
    try:
        with con.cursor() as cur:
            cur.execute(query, params or None)
            return cur.fetchone()
    finally:
        con.close()


def test_job_builds_every_layer_on_postgres(pg_runs) -> None:
    _, dbname, first, _ = pg_runs
    assert first.success, first.failed_steps
    assert first.failed_steps == []
    rows = first.rows_by_table
    for table in (
        "raw_finance.invoice_lines",
        "raw_finance.budget_lines",
        "raw_jira.issues",
        "raw_jira.worklogs",
        "raw_planner.tasks",
        "raw_msproject.tasks",
        "core.dim_project",
        "core.fct_invoice_lines",
        "core.fct_timesheet_entries",
        "marts.mart_budget_vs_actual",
        "marts.mart_portfolio_health",
        "compliance.fct_dq_exceptions",
    ):
        assert rows.get(table, 0) > 0, table
    # Same semantics as the DuckDB run: one core fact row per raw invoice line.
    assert rows["core.fct_invoice_lines"] == rows["raw_finance.invoice_lines"]
    assert rows["raw_jira.issues"] == _one(dbname, "select count(*) from raw_jira.issues")[0]
    # The tables really live in PostgreSQL, in the schemas dbt and dlt were told to use.
    schemas = {
        r
        for (r,) in _all(
            dbname,
            "select distinct table_schema from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema')",
        )
    }
    assert {"raw_finance", "raw_jira", "raw_planner", "raw_msproject"} <= schemas
    assert {"staging", "core", "marts", "compliance", "dq"} <= schemas


def _all(dbname: str, query: str) -> list[tuple]:
    con = _admin(dbname)
    try:
        with con.cursor() as cur:
            cur.execute(query)
            return cur.fetchall()
    finally:
        con.close()


def test_gx_checks_ran_natively_on_postgres(pg_runs) -> None:
    directory, dbname, first, _ = pg_runs
    assert [c for c in first.failed_checks if ":gx_" in c] == []
    assert first.expectations_failed == 0
    assert first.expectations_passed >= 20
    suites = {
        suite
        for (suite,) in _all(
            dbname,
            "select distinct suite from dq.expectation_results "
            f"where run_id = '{first.run_id}' and success",
        )
    }
    # Every suite the job wires in ran in this run and wrote its results to PostgreSQL.
    assert suites == {spec.name for spec in SUITES}
    report = (directory / "reports" / "data_quality.html").read_text(encoding="utf-8")
    assert "warehouse: postgres" in report and "FAIL" not in report
    assert "core__fct_invoice_lines" in report


def test_suites_validate_postgres_tables_in_place(pg_runs, monkeypatch) -> None:
    directory, dbname, _, _ = pg_runs
    monkeypatch.setenv("PMO_HUB_POSTGRES_URL", f"postgresql://postgres@127.0.0.1:5432/{dbname}")
    config = load_config(directory / "pmo-hub.toml")
    evaluated = 0
    for spec in SUITES:
        outcome = run_suite(spec, config)
        assert outcome.success, (spec.name, outcome.failed)
        evaluated += outcome.evaluated
    assert evaluated >= 20


def test_bi_reader_reads_served_schemas_only(pg_runs) -> None:
    # After the second run: dq.expectation_results grows by design on every run.
    _, dbname, _, second = pg_runs
    login = f"pmo_e2e_bi_{uuid.uuid4().hex[:8]}"
    admin = _admin(dbname)
    try:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("create role {} login in role bi_reader").format(sql.Identifier(login))
            )
        reader = psycopg2.connect(**{**PG_ADMIN, "dbname": dbname, "user": login})
        reader.autocommit = True
        try:
            with reader.cursor() as cur:
                for table in SERVED:
                    cur.execute(f"select count(*) from {table}")
                    assert cur.fetchone()[0] == second.rows_by_table[table], table
                for schema in NOT_SERVED_SCHEMAS:
                    # information_schema hides what the role may not see; use the catalog instead.
                    cur.execute(
                        "select c.relname from pg_class c join pg_namespace n "
                        "on n.oid = c.relnamespace where n.nspname = %s and c.relkind in ('r', 'v') "
                        "and c.relname not like '\\_dlt%%' order by 1 limit 1",
                        (schema,),
                    )
                    table = cur.fetchone()[0]
                    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                        cur.execute(
                            sql.SQL("select count(*) from {}.{}").format(
                                sql.Identifier(schema), sql.Identifier(table)
                            )
                        )
        finally:
            reader.close()
    finally:
        with admin.cursor() as cur:
            # The role is cluster-wide: drop it, not only the database.
            cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(login)))
        admin.close()


def test_second_run_is_idempotent_on_postgres(pg_runs) -> None:
    _, _, first, second = pg_runs
    assert second.success, second.failed_steps

    def stable(rows: dict[str, int]) -> dict[str, int]:
        return {t: n for t, n in rows.items() if not t.startswith(APPEND_ONLY)}

    assert len(stable(first.rows_by_table)) >= 40
    assert stable(second.rows_by_table) == stable(first.rows_by_table)
    # The check history grows by one set of results per run.
    assert (
        second.rows_by_table["dq.expectation_results"]
        == 2 * (first.rows_by_table["dq.expectation_results"])
    )


@pytest.fixture(scope="module")
def duckdb_run(
    running: RunningSandbox, tmp_path_factory: pytest.TempPathFactory, write_config
) -> RunSummary:
    """The same sandbox through the default DuckDB target, the reference semantics."""
    directory = tmp_path_factory.mktemp("hub_duckdb")
    config = write_config(running, directory)
    saved = dict(os.environ)
    os.environ.update(running.secrets())
    try:
        return run_sync_job(config)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.slow  # a third full sync, on DuckDB, for the cross-check
def test_postgres_builds_the_same_tables_as_duckdb(pg_runs, duckdb_run: RunSummary) -> None:
    _, _, first, _ = pg_runs
    assert duckdb_run.success, duckdb_run.failed_steps

    def stable(rows: dict[str, int]) -> dict[str, int]:
        return {t: n for t, n in rows.items() if not t.startswith(APPEND_ONLY)}

    # Same raw rows in, same staging/core/marts/compliance rows out, table for table.
    assert stable(first.rows_by_table) == stable(duckdb_run.rows_by_table)
    assert first.expectations_passed == duckdb_run.expectations_passed
