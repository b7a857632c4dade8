"""The Definitions load, and the asset graph runs from every connector to the marts."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.project import raw_source_tables


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_jobs_schedules_sensors_resolve() -> None:
    assert {j.name for j in defs.resolve_all_job_defs()} >= {"pmo_hub_sync", "finance_landing"}
    assert {s.name for s in defs.schedules} == {"hourly_incremental_sync", "nightly_reconcile_sync"}
    assert {s.name for s in defs.sensors} == {"finance_landing_sensor", "sync_failure_alert"}
    defs.resolve_job_def("pmo_hub_sync")


def test_every_dbt_source_is_an_ingest_asset(graph) -> None:
    sources = raw_source_tables()
    assert set(sources) == {"raw_finance", "raw_jira", "raw_planner", "raw_msproject"}
    for dataset, tables in sources.items():
        for table in tables:
            node = graph.get(dg.AssetKey([dataset, table]))
            assert node.group_name == f"ingest_{dataset.removeprefix('raw_')}", (dataset, table)
            assert node.parent_keys == set()


def test_lineage_from_connectors_to_marts(graph) -> None:
    def upstream(key: dg.AssetKey) -> set[dg.AssetKey]:
        seen, todo = set(), [key]
        while todo:
            for parent in graph.get(todo.pop()).parent_keys:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    mart = upstream(dg.AssetKey(["marts", "mart_budget_vs_actual"]))
    assert dg.AssetKey(["raw_finance", "invoice_lines"]) in mart
    assert dg.AssetKey(["raw_finance", "budget_lines"]) in mart
    exceptions = upstream(dg.AssetKey(["compliance", "fct_dq_exceptions"]))
    for dataset in ("raw_jira", "raw_planner", "raw_msproject", "raw_finance"):
        assert any(k.path[0] == dataset for k in exceptions), dataset


def test_checks_cover_raw_core_and_marts(graph) -> None:
    check_keys = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw_finance/invoice_lines", "gx_raw__finance__invoice_lines") in check_keys
    assert ("core/fct_invoice_lines", "gx_core__fct_invoice_lines") in check_keys
    assert ("marts/mart_budget_vs_actual", "gx_marts__pmo__budget_vs_actual") in check_keys
    assert any(name.startswith("reconciled") or "reconcil" in name for _, name in check_keys)
    # dbt data tests surface as asset checks too
    assert sum(1 for _, name in check_keys if name.startswith(("not_null", "unique"))) > 10


def test_ingest_never_blocks_modelling(graph) -> None:
    """No Dagster retry of ingest (clients retry transient faults) and no skippable raw table:
    an unmaterialized skippable output made Dagster skip dbt and serving with the run SUCCESS."""
    ingest = [
        a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.op.name.endswith("_load")
    ]
    assert {a.op.name for a in ingest} == {
        "raw_finance_load",
        "raw_jira_load",
        "raw_planner_load",
        "raw_msproject_load",
    }
    for assets in ingest:
        assert assets.op.retry_policy is None, assets.op.name
        for spec in assets.specs:
            assert not spec.skippable, spec.key
    # The last step fails the run when a source failed, after everything else was built.
    outcome = graph.get(dg.AssetKey("sync_outcome"))
    assert {dg.AssetKey("serving_copy"), dg.AssetKey("data_quality_report")} <= outcome.parent_keys
