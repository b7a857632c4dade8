"""``.mpp`` files: read through MPXJ by default next to MSPDI; without the extra, skipped + warned."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.msproject import mpp
from connectors.msproject.settings import MsProjectSettings
from pipelines.destinations import make_destination
from pipelines.msproject_pipeline import MsProjectFilesFailed, load, load_warnings
from sandbox.microsoft.msproject_world import MsProjectPlan
from tests.msproject.conftest import Warehouse
from tests.msproject.mpxj_reference import corpus_dir, require_corpus

# Five assignments with 97 h of actual work in MS Project (16 + 16 + 16 + 24 + 25).
MPP_FILE = "timephased-actual-work-resource.mpp"


@pytest.fixture()
def mpp_file() -> Path:
    path = require_corpus() / MPP_FILE
    assert path.is_file(), f"{MPP_FILE} is missing from the corpus at {corpus_dir()}"
    return path


def _load(warehouse: Warehouse, **settings: object):
    return load(
        MsProjectSettings(folders=(warehouse.folder,), **settings),  # type: ignore[arg-type]
        make_destination("duckdb", duckdb_path=str(warehouse.duckdb_path)),
        warehouse.pipelines_dir,
    )


def test_folder_with_mpp_and_xml_loads_both_by_default(
    plans: list[MsProjectPlan],
    make_warehouse: Callable[[list[MsProjectPlan]], Warehouse],
    mpp_file: Path,
) -> None:
    warehouse = make_warehouse(plans[:1])
    shutil.copy(mpp_file, warehouse.folder / MPP_FILE)
    info = _load(warehouse)
    assert load_warnings(info) == []
    ledger = warehouse.query("select file_name, status from raw_msproject.files order by 1")
    assert [status for _, status in ledger] == ["loaded", "loaded"]
    assert MPP_FILE in [name for name, _ in ledger]
    plan = warehouse.query(
        "select plan_id from raw_msproject.projects where file_name = ?", MPP_FILE
    )[0][0]
    # Real assignments only (no placeholder on the summary task), actuals per day kept.
    assert warehouse.query(
        "select count(*), sum(actual_work_hours) from raw_msproject.assignments where plan_id = ?",
        plan,
    ) == [(5, 97.0)]
    assert warehouse.query(
        "select count(*), sum(actual_hours) from raw_msproject.timephased_actuals "
        "where plan_id = ?",
        plan,
    ) == [(12, 97.0)]
    # Zeros stay zeros: the summary task's fixed cost is 0, not NULL.
    assert warehouse.query(
        "select fixed_cost from raw_msproject.tasks where plan_id = ? and task_uid = 0", plan
    ) == [(0,)]


def test_without_the_extra_mpp_is_skipped_with_the_reason_and_warned(
    plans: list[MsProjectPlan],
    make_warehouse: Callable[[list[MsProjectPlan]], Warehouse],
    mpp_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "connectors.msproject.files.mpp_unavailable_reason", lambda: mpp.INSTALL_HINT
    )
    warehouse = make_warehouse(plans[:1])
    shutil.copy(mpp_file, warehouse.folder / MPP_FILE)
    info = _load(warehouse)  # no exception: a missing optional extra is not a failed file
    rows = warehouse.query(
        "select file_name, status, error_message from raw_msproject.files order by 1"
    )
    skipped = [r for r in rows if r[0] == MPP_FILE]
    assert skipped == [(MPP_FILE, "skipped", "skipped: " + mpp.INSTALL_HINT)]
    assert "install the mpp extra" in skipped[0][2]
    warnings = load_warnings(info)
    assert len(warnings) == 1 and MPP_FILE in warnings[0] and "pmo-hub[mpp]" in warnings[0]
    assert warehouse.query("select count(*) from raw_msproject.projects") == [(1,)]
    # Once the extra is there, the next run reads it (its state was not recorded as done).
    monkeypatch.undo()
    _load(warehouse)
    assert warehouse.query("select count(*) from raw_msproject.projects") == [(2,)]


def test_mpp_enabled_true_without_the_extra_fails_the_file_naming_what_is_missing(
    plans: list[MsProjectPlan],
    make_warehouse: Callable[[list[MsProjectPlan]], Warehouse],
    mpp_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("connectors.msproject.mpp.mpp_unavailable_reason", lambda: mpp.JAVA_HINT)
    warehouse = make_warehouse(plans[:1])
    shutil.copy(mpp_file, warehouse.folder / MPP_FILE)
    with pytest.raises(MsProjectFilesFailed) as caught:
        _load(warehouse, mpp_enabled=True)
    message = caught.value.failed[0].error_message
    assert MPP_FILE in message and "Java runtime not found" in message
    assert warehouse.query("select count(*) from raw_msproject.projects") == [(1,)]


def test_mpp_disabled_ignores_mpp_files(
    plans: list[MsProjectPlan],
    make_warehouse: Callable[[list[MsProjectPlan]], Warehouse],
    mpp_file: Path,
) -> None:
    warehouse = make_warehouse(plans[:1])
    shutil.copy(mpp_file, warehouse.folder / MPP_FILE)
    _load(warehouse, mpp_enabled=False)
    assert warehouse.query("select file_name from raw_msproject.files") == [
        (p.name,) for p in warehouse.folder.glob("*.xml")
    ]


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import jpype

    def no_jvm() -> str:
        raise jpype.JVMNotFoundException("no JVM")

    monkeypatch.setattr(jpype, "isJVMStarted", lambda: False)
    monkeypatch.setattr(jpype, "getDefaultJVMPath", no_jvm)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert mpp.mpp_unavailable_reason() == mpp.JAVA_HINT


def test_corrupt_mpp_fails_with_the_file_name(
    plans: list[MsProjectPlan],
    make_warehouse: Callable[[list[MsProjectPlan]], Warehouse],
) -> None:
    warehouse = make_warehouse(plans[:1])
    (warehouse.folder / "legacy.mpp").write_bytes(b"\xd0\xcf\x11\xe0not really an mpp")
    with pytest.raises(MsProjectFilesFailed) as caught:
        _load(warehouse)
    message = caught.value.failed[0].error_message
    assert "legacy.mpp" in message and "MPXJ" in message
    assert warehouse.query("select count(*) from raw_msproject.projects") == [(1,)]
