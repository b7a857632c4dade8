"""The main job end to end through Dagster in process: sandbox -> dlt -> DuckDB -> dbt -> GX."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pmo_hub.runs import run_sync_job
from sandbox.runtime import RunningSandbox

# One worker runs the whole module, so the two syncs happen once (xdist --dist loadgroup).
pytestmark = pytest.mark.xdist_group("e2e_duckdb")

# Tables that grow by design on every run (history of checks, census snapshots, ledgers of runs).
APPEND_ONLY = ("dq.", "raw_jira.issue_census", "raw_msproject.files", "raw_finance.file_ledger")


@pytest.fixture(scope="module")
def first_and_second_run(
    running: RunningSandbox, tmp_path_factory: pytest.TempPathFactory, write_config
):
    directory = tmp_path_factory.mktemp("hub")
    config = write_config(running, directory)
    mp = pytest.MonkeyPatch()
    for name, value in running.secrets().items():
        mp.setenv(name, value)
    try:
        first = run_sync_job(config)
        second = run_sync_job(config)
    finally:
        mp.undo()
    return directory, first, second


def test_job_builds_every_layer(first_and_second_run) -> None:
    directory, first, _ = first_and_second_run
    assert first.success, first.failed_steps
    rows = first.rows_by_table
    for table in (
        "raw_finance.invoice_lines",
        "raw_finance.budget_lines",
        "raw_jira.issues",
        "raw_jira.worklogs",
        "raw_planner.tasks",
        "raw_msproject.tasks",
        "core.fct_invoice_lines",
        "marts.mart_budget_vs_actual",
        "compliance.fct_dq_exceptions",
    ):
        assert rows.get(table, 0) > 0, table
    assert rows["core.fct_invoice_lines"] == rows["raw_finance.invoice_lines"]
    assert first.checks_failed_error == 0, first.failed_checks
    # The one warning: invoice lines with project codes missing from the registry (planted AP-14).
    assert [c.split(":")[1] for c in first.failed_checks] == [
        "relationships_stg_finance__invoice_lines_project_code__project_code__ref_stg_finance__projects_"
    ]
    assert first.expectations_failed == 0
    assert first.expectations_passed == 23  # raw (10) + fact (6) + mart (7) suites
    report = (directory / "reports" / "data_quality.html").read_text(encoding="utf-8")
    assert "core__fct_invoice_lines" in report and "FAIL" not in report


def test_serving_copy_has_marts_but_no_raw_data(first_and_second_run) -> None:
    directory, first, _ = first_and_second_run
    con = duckdb.connect(str(directory / "warehouse" / "pmo_serving.duckdb"), read_only=True)
    try:
        schemas = {
            r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
        }
        served = con.execute("select count(*) from marts.mart_budget_vs_actual").fetchone()[0]
    finally:
        con.close()
    assert schemas <= {"marts", "core", "compliance", "dq"}
    assert served == first.rows_by_table["marts.mart_budget_vs_actual"]


def test_second_run_is_idempotent(first_and_second_run) -> None:
    _, first, second = first_and_second_run
    assert second.success, second.failed_steps

    def stable(rows: dict[str, int]) -> dict[str, int]:
        return {t: n for t, n in rows.items() if not t.startswith(APPEND_ONLY)}

    assert stable(second.rows_by_table) == stable(first.rows_by_table)


def test_manifest_faults_surface_in_compliance(
    first_and_second_run, running: RunningSandbox
) -> None:
    directory, _, _ = first_and_second_run
    con = duckdb.connect(str(Path(directory) / "warehouse" / "pmo.duckdb"), read_only=True)
    try:
        found = set(
            con.execute("select rule_id, entity_key from compliance.fct_dq_exceptions").fetchall()
        )
    finally:
        con.close()
    planted = {(f.rule_id, f.key) for f in running.world.manifest.faults if f.rule_id == "AP-03"}
    assert planted and planted <= found


def test_no_secret_reaches_the_warehouse(first_and_second_run, running: RunningSandbox) -> None:
    directory, _, _ = first_and_second_run
    secrets = list(running.secrets().values())
    assert all(len(s) > 10 for s in secrets)
    con = duckdb.connect(str(Path(directory) / "warehouse" / "pmo.duckdb"), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        assert len(columns) > 200
        for schema, table, column in columns:
            for secret in secrets:
                hits = con.execute(
                    f'select count(*) from "{schema}"."{table}" where "{column}" like ?',
                    [f"%{secret}%"],
                ).fetchone()[0]
                assert hits == 0, (schema, table, column)
    finally:
        con.close()
