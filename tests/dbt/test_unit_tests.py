"""dbt unit tests (model logic against cited worked examples) run here, not in every sync.

Production builds exclude them (`--exclude-resource-type unit_test`, orchestration/assets/
transform.py), so this is where a broken EVM or labour formula is caught: every unit test in
the project must run and pass on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from pmo_dbt_helpers import DbtRun

from orchestration.project import dbt_manifest_path


def _declared_unit_tests() -> set[str]:
    manifest = json.loads(dbt_manifest_path().read_text())
    return set(manifest.get("unit_tests", {}))


def _run_unit_tests(dbt: DbtRun) -> None:
    declared = _declared_unit_tests()
    assert len(declared) >= 12, "the EVM, PV and labour unit tests are declared"
    result = dbt("test", "--select", "test_type:unit", check=False)
    run_results = json.loads((dbt.work_dir / "target" / "run_results.json").read_text())
    outcomes = {
        r["unique_id"]: r["status"]
        for r in run_results["results"]
        if r["unique_id"].startswith("unit_test.")
    }
    assert set(outcomes) == declared, "every declared unit test ran"
    failed = {uid: status for uid, status in outcomes.items() if status != "pass"}
    assert not failed, f"unit tests failed: {failed}\n{result.stdout[-3000:]}"


def test_unit_tests_pass_on_duckdb(duckdb_build) -> None:
    _, dbt = duckdb_build
    _run_unit_tests(dbt)


@pytest.mark.slow
def test_unit_tests_pass_on_postgres(postgres_build) -> None:
    _, dbt = postgres_build
    _run_unit_tests(dbt)
