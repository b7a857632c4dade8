"""Loading sandbox plan files: tables equal the world; ticks, failures and removals."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.msproject.files import plan_id_for
from pipelines.msproject_pipeline import MsProjectFilesFailed
from sandbox.microsoft.mspdi import write_msproject_files
from sandbox.microsoft.msproject_world import (
    UNASSIGNED_RESOURCE_UID,
    MsProjectPlan,
    tick_msproject,
)
from sandbox.portfolio import Portfolio
from tests.msproject.conftest import Warehouse

REPO = Path(__file__).resolve().parents[2]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment else None


def _cents(value: int) -> Decimal:
    return Decimal(value) / 100


def test_projects_equal_the_world(loaded: Warehouse, plans: list[MsProjectPlan]) -> None:
    rows = loaded.query(
        "select plan_id, file_name, project_code, project_title, manager_name, currency_code, "
        "status_date, task_count from raw_msproject.projects order by file_name"
    )
    expected = sorted(
        (
            plan_id_for(p.file_name),
            p.file_name,
            p.project_code,
            p.title,
            p.manager_name,
            p.currency,
            p.status_date,
            len(p.tasks),
        )
        for p in plans
    )
    assert rows == sorted(expected, key=lambda r: r[1])
    assert sum(r[2] is None for r in rows) == 1  # the planted GV-10 plan


def test_tasks_equal_the_world(loaded: Warehouse, plans: list[MsProjectPlan]) -> None:
    rows = loaded.query(
        "select plan_id, task_uid, wbs, outline_level, task_name, is_summary, is_milestone, "
        "is_critical, start_at, finish_at, duration_hours, work_hours, cost, actual_cost, "
        "actual_work_hours, percent_complete, baseline_finish_at, baseline_cost "
        "from raw_msproject.tasks order by 1, 2"
    )
    expected = []
    for p in plans:
        for t in p.tasks:
            b0 = next((b for b in t.baselines if b.number == 0), None)
            expected.append(
                (
                    plan_id_for(p.file_name),
                    t.uid,
                    t.wbs,
                    t.outline_level,
                    t.name,
                    t.is_summary,
                    t.is_milestone,
                    t.is_critical,
                    _utc(t.start),
                    _utc(t.finish),
                    t.duration_minutes / 60,
                    t.work_minutes / 60,
                    _cents(t.cost_cents),
                    _cents(t.actual_cost_cents),
                    t.actual_work_minutes / 60,
                    t.percent_complete,
                    _utc(b0.finish) if b0 else None,
                    _cents(b0.cost_cents) if b0 else None,
                )
            )
    assert len(rows) == len(expected) == sum(len(p.tasks) for p in plans)
    assert rows == sorted(expected)


def test_resources_assignments_and_links(loaded: Warehouse, plans: list[MsProjectPlan]) -> None:
    resources = loaded.query(
        "select plan_id, resource_uid, resource_name, email, standard_rate, max_units "
        "from raw_msproject.resources order by 1, 2"
    )
    assert resources == sorted(
        (plan_id_for(p.file_name), r.uid, r.name, r.email, Decimal(r.standard_rate), r.max_units)
        for p in plans
        for r in p.resources
    )
    assignments = loaded.query(
        "select plan_id, assignment_uid, task_uid, resource_uid, is_unassigned, work_hours, "
        "actual_work_hours, cost, actual_cost, baseline_work_hours "
        "from raw_msproject.assignments order by 1, 2"
    )
    assert assignments == sorted(
        (
            plan_id_for(p.file_name),
            a.uid,
            a.task_uid,
            a.resource_uid,
            a.resource_uid == UNASSIGNED_RESOURCE_UID,
            a.work_minutes / 60,
            a.actual_work_minutes / 60,
            _cents(a.cost_cents),
            _cents(a.actual_cost_cents),
            a.baselines[0].work_minutes / 60 if a.baselines else None,
        )
        for p in plans
        for a in p.assignments
    )
    assert sum(r[4] for r in assignments) == len(plans)
    links = loaded.query(
        "select plan_id, task_uid, predecessor_uid, link_type_code, lag_minutes "
        "from raw_msproject.predecessor_links order by 1, 2, 3"
    )
    assert links == sorted(
        (plan_id_for(p.file_name), t.uid, ln.predecessor_uid, ln.link_type, float(ln.lag_minutes))
        for p in plans
        for t in p.tasks
        for ln in t.links
    )


def test_baselines_equal_the_world(loaded: Warehouse, plans: list[MsProjectPlan]) -> None:
    rows = loaded.query(
        "select plan_id, entity, uid, baseline_number, finish_at, work_hours, cost "
        "from raw_msproject.baselines order by 1, 2, 3, 4"
    )
    expected = [
        (
            plan_id_for(p.file_name),
            "task",
            t.uid,
            b.number,
            _utc(b.finish),
            b.work_minutes / 60,
            _cents(b.cost_cents),
        )
        for p in plans
        for t in p.tasks
        for b in t.baselines
    ] + [
        (
            plan_id_for(p.file_name),
            "assignment",
            a.uid,
            b.number,
            _utc(b.finish),
            b.work_minutes / 60,
            _cents(b.cost_cents),
        )
        for p in plans
        for a in p.assignments
        for b in a.baselines
    ]
    assert rows == sorted(expected)
    numbers = {r[3] for r in rows}
    assert numbers == {0, 1} or numbers == {0}
    no_baseline = [plan_id_for(p.file_name) for p in plans if not p.has_baseline]
    assert no_baseline and not any(r[0] in no_baseline for r in rows)


def test_timephased_actuals_equal_the_world(loaded: Warehouse, plans: list[MsProjectPlan]) -> None:
    rows = loaded.query(
        "select plan_id, assignment_uid, work_date, actual_hours "
        "from raw_msproject.timephased_actuals order by 1, 2, 3"
    )
    expected = sorted(
        (plan_id_for(p.file_name), a.uid, r.work_date, r.minutes / 60)
        for p in plans
        for a in p.assignments
        for r in a.timephased
    )
    assert len(rows) == len(expected) > 500
    assert rows == expected


def test_tick_replaces_changed_files_and_skips_the_rest(
    fresh_world: tuple[Portfolio, list[MsProjectPlan]],
    make_warehouse: Callable[[list[MsProjectPlan]], Warehouse],
) -> None:
    portfolio, plans = fresh_world
    warehouse = make_warehouse(plans)
    warehouse.load()
    before = {p.file_name: {t.uid for t in p.tasks} for p in plans}
    changed = tick_msproject(plans, portfolio.now, random.Random(11))
    write_msproject_files(plans, warehouse.folder)
    warehouse.load()

    ledger = warehouse.query(
        "select file_name, status from raw_msproject.files where _dlt_load_id = "
        "(select max(_dlt_load_id) from raw_msproject.files) order by 1"
    )
    assert ledger == sorted(
        (p.file_name, "loaded" if p.file_name in changed else "skipped") for p in plans
    )
    for plan in plans:
        uids = {
            r[0]
            for r in warehouse.query(
                "select task_uid from raw_msproject.tasks where plan_id = ?",
                plan_id_for(plan.file_name),
            )
        }
        assert uids == {t.uid for t in plan.tasks}, plan.file_name
        if plan.file_name in changed:
            assert uids != before[plan.file_name]
    first = next(p for p in plans if p.file_name == changed[0])
    removed = before[first.file_name] - {t.uid for t in first.tasks}
    assert removed
    gone = warehouse.query(
        "select count(*) from raw_msproject.assignments where plan_id = ? and task_uid in "
        f"({', '.join(str(u) for u in removed)})",
        plan_id_for(first.file_name),
    )
    assert gone == [(0,)]
    totals = warehouse.query(
        "select (select count(*) from raw_msproject.tasks), "
        "(select count(*) from raw_msproject.timephased_actuals), "
        "(select count(*) from raw_msproject.projects)"
    )
    assert totals == [
        (
            sum(len(p.tasks) for p in plans),
            sum(len(a.timephased) for p in plans for a in p.assignments),
            len(plans),
        )
    ]


def test_malformed_file_fails_with_position_and_others_load(
    plans: list[MsProjectPlan], make_warehouse: Callable[[list[MsProjectPlan]], Warehouse]
) -> None:
    warehouse = make_warehouse(plans)
    victim = warehouse.folder / plans[1].file_name
    lines = victim.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[200] = lines[200].replace("</", "</broken", 1) if "</" in lines[200] else "<oops>\n"
    victim.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(MsProjectFilesFailed) as caught:
        warehouse.load()
    (failed,) = caught.value.failed
    assert failed.source_file == str(victim)
    assert failed.error_line == 201
    assert victim.name in str(caught.value) and "line 201" in str(caught.value)

    loaded_plans = {r[0] for r in warehouse.query("select file_name from raw_msproject.projects")}
    assert loaded_plans == {p.file_name for p in plans} - {victim.name}
    ledger = dict(warehouse.query("select file_name, status from raw_msproject.files"))
    assert ledger[victim.name] == "failed"
    assert sum(s == "loaded" for s in ledger.values()) == len(plans) - 1

    # Fixed, the file loads on the next run; the others are skipped.
    write_msproject_files([plans[1]], warehouse.folder)
    warehouse.load()
    latest = warehouse.query(
        "select file_name, status from raw_msproject.files where _dlt_load_id = "
        "(select max(_dlt_load_id) from raw_msproject.files) and status = 'loaded'"
    )
    assert latest == [(victim.name, "loaded")]


def test_removed_file_removes_its_rows(
    plans: list[MsProjectPlan], make_warehouse: Callable[[list[MsProjectPlan]], Warehouse]
) -> None:
    warehouse = make_warehouse(plans)
    warehouse.load()
    gone = plans[0]
    (warehouse.folder / gone.file_name).unlink()
    warehouse.load()
    pid = plan_id_for(gone.file_name)
    for table in ("projects", "tasks", "assignments", "timephased_actuals", "baselines"):
        assert warehouse.query(
            f"select count(*) from raw_msproject.{table} where plan_id = ?", pid
        ) == [(0,)], table
    assert warehouse.query(
        "select status from raw_msproject.files where plan_id = ? order by scanned_at", pid
    ) == [("loaded",), ("removed",)]
    others = warehouse.query("select count(*) from raw_msproject.tasks")
    assert others == [(sum(len(p.tasks) for p in plans[1:]),)]


def _isolated_dbt_project(target: Path) -> Path:
    """The dbt project with only the MS Project staging models.

    Other sources' models are built in parallel and may not compile at any given moment; this
    test is about our staging models, their SQL and their YAML tests.
    """
    source = REPO / "dbt_project"
    target.mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml", "packages.yml"):
        shutil.copy(source / name, target / name)
    shutil.copytree(source / "macros", target / "macros")
    shutil.copytree(
        source / "models" / "staging" / "msproject", target / "models" / "staging" / "msproject"
    )
    return target


def test_dbt_staging_builds_with_tests(loaded: Warehouse, tmp_path: Path) -> None:
    duckdb_copy = tmp_path / "dbt.duckdb"
    shutil.copy(loaded.duckdb_path, duckdb_copy)
    project = _isolated_dbt_project(tmp_path / "dbt_project")
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "build", "--select", "staging.msproject"],
        cwd=project,
        env={
            "DBT_PROFILES_DIR": str(project),
            "PMO_HUB_DUCKDB_PATH": str(duckdb_copy),
            "PATH": "/usr/bin:/bin",
            "DO_NOT_TRACK": "1",
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ERROR=0" in result.stdout and "WARN=0" in result.stdout
    passed = int(result.stdout.rsplit("PASS=", 1)[1].split()[0])
    assert passed >= 30  # 5 models + their data tests
    import duckdb

    with duckdb.connect(str(duckdb_copy), read_only=True) as con:
        unassigned = con.execute(
            "select count(*) from staging.stg_msproject__assignments "
            "where is_unassigned and resource_uid is null"
        ).fetchone()
        codes = con.execute(
            "select count(project_code), count(*) from staging.stg_msproject__projects"
        ).fetchone()
        cost = con.execute(
            "select sum(cost) from staging.stg_msproject__tasks where is_project_summary"
        ).fetchone()
    assert unassigned == (3,)
    assert codes == (2, 3)
    assert cost == (
        sum(
            Decimal(int(r[0] * 100))
            for r in loaded.query("select cost from raw_msproject.tasks where task_uid = 0")
        )
        / 100,
    )
