"""The dlt source: no I/O when called, a clear error for a missing folder, skip on rerun."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dlt
import pytest

from connectors.msproject import msproject_source
from sandbox.microsoft.msproject_world import MsProjectPlan
from tests.msproject.conftest import Warehouse


def test_calling_the_source_does_no_io(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    source = msproject_source(folders=[str(missing)])
    assert sorted(source.resources) == [
        "assignments",
        "baselines",
        "files",
        "predecessor_links",
        "projects",
        "resources",
        "tasks",
        "timephased_actuals",
    ]
    assert not missing.exists()


def test_missing_folder_fails_the_run_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    pipeline = dlt.pipeline(
        "msproject_missing",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw_msproject",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    with pytest.raises(Exception, match="msproject.folders: .*does-not-exist is not a folder"):
        pipeline.run(msproject_source(folders=[str(missing)]))


def test_unchanged_files_are_skipped_and_rows_kept(
    plans: list[MsProjectPlan], make_warehouse: Callable[[list[MsProjectPlan]], Warehouse]
) -> None:
    warehouse = make_warehouse(plans)
    warehouse.load()
    counts = warehouse.query(
        "select (select count(*) from raw_msproject.tasks), "
        "(select count(*) from raw_msproject.assignments)"
    )
    warehouse.load()
    assert (
        warehouse.query(
            "select (select count(*) from raw_msproject.tasks), "
            "(select count(*) from raw_msproject.assignments)"
        )
        == counts
    )
    latest = warehouse.query(
        "select status, count(*) from raw_msproject.files where _dlt_load_id = "
        "(select max(_dlt_load_id) from raw_msproject.files) group by status"
    )
    assert latest == [("skipped", len(plans))]
    task_loads = warehouse.query("select count(distinct _dlt_load_id) from raw_msproject.tasks")
    assert task_loads == [(1,)]


def test_value_too_large_for_its_column_fails_that_file_only(
    plans: list[MsProjectPlan], tmp_path: Path
) -> None:
    from connectors.msproject.files import PlanScan
    from connectors.msproject.settings import MsProjectSettings
    from sandbox.microsoft.mspdi import write_msproject_files

    paths = write_msproject_files(plans, tmp_path / "plans")
    text = paths[0].read_text(encoding="utf-8")
    # 10^16 x the cost: fine as a Decimal, too large for the raw decimal(18, 4) column.
    paths[0].write_text(text.replace("<Cost>", "<Cost>1" + "0" * 16, 1), encoding="utf-8")
    scan = PlanScan(MsProjectSettings(folders=(tmp_path / "plans",)))
    state: dict = {}
    scan.ensure(state)
    statuses = {e.file_name: e.status for e in scan.ledger}
    assert statuses[paths[0].name] == "failed"
    assert "tasks: a value does not fit its column" in scan.failures[0].error_message
    assert sorted(n for n, s in statuses.items() if s == "loaded") == sorted(
        p.name for p in paths[1:]
    )
    assert sorted(v["relative_path"] for v in state["files"].values()) == sorted(
        p.name for p in paths[1:]
    )
    tasks = sum(t.num_rows for t in scan.table_batches("tasks", "load-1"))
    assert tasks == sum(len(p.tasks) for p in plans[1:]) + len(plans) - 1  # + tombstones


def test_one_source_object_runs_twice(
    fresh_world: tuple, make_warehouse: Callable[[list[MsProjectPlan]], Warehouse]
) -> None:
    # Dagster's dlt integration extracts the same source object on every materialization.
    import random

    from sandbox.microsoft.mspdi import write_msproject_files
    from sandbox.microsoft.msproject_world import tick_msproject

    portfolio, plans = fresh_world
    warehouse = make_warehouse(plans)
    source = msproject_source(folders=[str(warehouse.folder)])
    pipeline = dlt.pipeline(
        "msproject_twice",
        destination=dlt.destinations.duckdb(str(warehouse.duckdb_path)),
        dataset_name="raw_msproject",
        pipelines_dir=str(warehouse.pipelines_dir),
    )
    pipeline.run(source, loader_file_format="parquet")
    changed = tick_msproject(plans, portfolio.now, random.Random(11))
    write_msproject_files(plans, warehouse.folder)
    pipeline.run(source, loader_file_format="parquet")
    latest = warehouse.query(
        "select file_name, status from raw_msproject.files where _dlt_load_id = "
        "(select max(_dlt_load_id) from raw_msproject.files) order by 1"
    )
    assert latest == sorted(
        (p.file_name, "loaded" if p.file_name in changed else "skipped") for p in plans
    )
    assert warehouse.query("select count(*) from raw_msproject.tasks") == [
        (sum(len(p.tasks) for p in plans),)
    ]
