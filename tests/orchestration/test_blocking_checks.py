"""A failed critical expectation stops the mart downstream in the same run; a clean one does not."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.checks import build_checks
from orchestration.resources import HubConfigResource

FACT = dg.AssetKey(["core", "fct_invoice_lines"])
MART = dg.AssetKey(["marts", "mart_budget_vs_actual"])
GOOD = [("k1", "FIN-1001", "2026-10", "inv.csv", 10), ("k2", "FIN-1001", "2026-10", "inv.csv", 5)]


def _run(tmp_path: Path, rows: list[tuple]) -> dg.ExecuteInProcessResult:
    @dg.asset(key=FACT)
    def fact(hub: HubConfigResource) -> None:
        # Stands in for the dbt core step: writes the fact table the real check reads.
        con = duckdb.connect(str(hub.load().warehouse.duckdb_path))
        con.execute("create schema if not exists core")
        con.execute(
            "create or replace table core.fct_invoice_lines (invoice_line_key varchar, "
            "project_code varchar, fiscal_period varchar, source_file varchar, "
            "amount_reporting decimal(18, 2))"
        )
        con.executemany("insert into core.fct_invoice_lines values (?, ?, ?, ?, ?)", rows)
        con.close()

    @dg.asset(key=MART, deps=[fact])
    def mart() -> None:
        return None

    fact_checks = [c for c in build_checks() if any(k.asset_key == FACT for k in c.check_keys)]
    assert len(fact_checks) == 1
    config = tmp_path / "pmo-hub.toml"
    config.write_text(f'[warehouse]\nduckdb_path = "{tmp_path / "w.duckdb"}"\n', encoding="utf-8")
    defs = dg.Definitions(
        assets=[fact, mart],
        asset_checks=fact_checks,
        resources={"hub": HubConfigResource(config_file=str(config))},
    )
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(raise_on_error=False)


def _materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {
        e.event_specific_data.materialization.asset_key
        for e in result.get_asset_materialization_events()
    }


def test_clean_fact_lets_the_mart_build(tmp_path: Path) -> None:
    result = _run(tmp_path, GOOD)
    assert result.success
    assert result.get_asset_check_evaluations()[0].passed
    assert _materialized(result) == {FACT, MART}


def test_critical_failure_blocks_the_mart(tmp_path: Path) -> None:
    result = _run(tmp_path, [*GOOD, ("k1", "FIN-1002", "2026-10", "inv.csv", 7)])
    evaluation = result.get_asset_check_evaluations()[0]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["failed_expectations"].value == {
        "expect_column_values_to_be_unique(invoice_line_key)": 2
    }
    assert _materialized(result) == {FACT}


def test_missing_fx_rate_warns_and_lets_the_mart_build(tmp_path: Path) -> None:
    result = _run(tmp_path, [*GOOD, ("k3", "FIN-1002", "2026-10", "inv.csv", None)])
    evaluation = result.get_asset_check_evaluations()[0]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["failed_expectations"].value == {
        "expect_column_values_to_not_be_null(amount_reporting)": 1
    }
    assert _materialized(result) == {FACT, MART}
