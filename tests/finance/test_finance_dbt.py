"""dbt staging for finance builds on a loaded sandbox warehouse, with every data test passing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.finance.conftest import Warehouse

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_staging_finance_builds_and_tests_pass(sandbox_xs, tmp_path) -> None:
    portfolio, _, paths = sandbox_xs
    warehouse = Warehouse(tmp_path)
    for path in paths:
        warehouse.drop(path)
    warehouse.load()
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "PMO_HUB_DUCKDB_PATH": str(warehouse.db),
        "PMO_HUB_DBT_TARGET": "duckdb",
        "DO_NOT_TRACK": "1",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--select",
            "staging.finance",
            # Tests that also read other layers (e.g. core reconciliations) are not ours to run.
            "--indirect-selection",
            "cautious",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout
    con = duckdb.connect(str(warehouse.db), read_only=True)
    try:
        staged = {
            name: con.execute(f"select count(*) from staging.stg_finance__{name}").fetchall()[0][0]
            for name in (
                "projects",
                "people",
                "vendors",
                "invoice_lines",
                "quarantine",
                "budget_lines",
            )
        }
        raw_invoices = con.execute("select count(*) from raw_finance.invoice_lines").fetchall()[0][
            0
        ]
        keys = con.execute(
            "select invoice_line_key, amount from staging.stg_finance__invoice_lines "
            "where invoice_line_key = ?",
            [portfolio.manifest.by_rule("AP-03")[0].key],
        ).fetchall()
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'staging' and table_name = 'stg_finance__timesheet_entries'"
            ).fetchall()
        )
    finally:
        con.close()
    assert staged["projects"] == len(portfolio.projects)
    assert staged["people"] == len(portfolio.people)
    assert staged["invoice_lines"] == raw_invoices
    assert staged["quarantine"] == 12
    assert len(keys) == 2 and keys[0][1] == keys[1][1]  # the exact duplicate is kept
    assert types["hours"] == "DECIMAL(12,2)" and types["work_date"] == "DATE"
