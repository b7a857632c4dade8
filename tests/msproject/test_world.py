"""The sandbox MS Project world: determinism, volumes, planted faults, consistency."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from pathlib import Path

from sandbox.microsoft.mspdi import write_msproject_files
from sandbox.microsoft.msproject_world import (
    UNASSIGNED_RESOURCE_UID,
    MsProjectPlan,
    generate_msproject,
    overdue_milestones,
    tick_msproject,
)
from sandbox.portfolio import Portfolio, generate_portfolio


def _digests(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_same_seed_same_files(tmp_path: Path) -> None:
    first = write_msproject_files(generate_msproject(generate_portfolio("XS", 42)), tmp_path / "a")
    second = write_msproject_files(generate_msproject(generate_portfolio("XS", 42)), tmp_path / "b")
    other = write_msproject_files(generate_msproject(generate_portfolio("XS", 7)), tmp_path / "c")
    assert _digests(first) == _digests(second)
    assert _digests(first) != _digests(other)


def test_one_plan_per_msproject_project(portfolio: Portfolio, plans: list[MsProjectPlan]) -> None:
    expected = [p.project_code for p in portfolio.projects if "msproject" in p.tools]
    assert [p.source_project_code for p in plans] == expected
    assert len(expected) >= 2
    total = sum(len(p.tasks) for p in plans)
    assert abs(total - portfolio.size.msproject_tasks) <= portfolio.size.msproject_tasks * 0.1


def test_properties_come_from_the_portfolio(
    portfolio: Portfolio, plans: list[MsProjectPlan]
) -> None:
    for plan in plans:
        project = next(p for p in portfolio.projects if p.project_code == plan.source_project_code)
        assert plan.title == project.name
        assert plan.currency == project.currency
        assert plan.manager_name == portfolio.person(project.manager_id).display_name
        team_emails = {portfolio.person(pid).email for pid in project.team}
        assert {r.email for r in plan.resources} <= team_emails
        assert plan.resources, plan.file_name


def test_gv10_plan_without_project_code(portfolio: Portfolio, plans: list[MsProjectPlan]) -> None:
    faults = [f for f in portfolio.manifest.by_rule("GV-10") if f.system == "msproject"]
    assert [f.key for f in faults] == [p.file_name for p in plans if p.project_code is None]
    assert len(faults) == 1


def test_gv04_keys_are_exactly_the_overdue_milestones(
    portfolio: Portfolio, plans: list[MsProjectPlan]
) -> None:
    keys = sorted(f.key for f in portfolio.manifest.by_rule("GV-04") if f.system == "msproject")
    assert keys == sorted(overdue_milestones(plans, portfolio.as_of))
    assert keys, "at least one overdue milestone is planted"
    by_name = {p.file_name: p for p in plans}
    for key in keys:
        file_name, uid = key.split("|")
        task = by_name[file_name].task(int(uid))
        assert task.is_milestone and task.percent_complete < 100
        assert task.baselines[0].finish.date() < portfolio.as_of
    assert any(t.stuck for p in plans for t in p.tasks)


def test_project_without_baseline_has_no_baselines(
    portfolio: Portfolio, plans: list[MsProjectPlan]
) -> None:
    no_baseline = [p for p in plans if not p.has_baseline]
    assert [p.source_project_code for p in no_baseline] == [
        p.project_code for p in portfolio.projects if "msproject" in p.tools and not p.has_baseline
    ]
    assert no_baseline, "the XS world's GV-02 project uses MS Project"
    for plan in no_baseline:
        assert not any(t.baselines for t in plan.tasks)
        assert not any(a.baselines for a in plan.assignments)
    for plan in plans:
        if plan.has_baseline:
            assert all(t.baselines and t.baselines[0].number == 0 for t in plan.tasks)


def test_structure_links_and_assignments(plans: list[MsProjectPlan]) -> None:
    for plan in plans:
        assert plan.tasks[0].uid == 0 and plan.tasks[0].outline_level == 0
        assert len({t.uid for t in plan.tasks}) == len(plan.tasks)
        assert max(t.outline_level for t in plan.tasks) == 3
        assert sum(t.is_milestone for t in plan.tasks) >= 2
        link_types = {link.link_type for t in plan.tasks for link in t.links}
        assert 1 in link_types  # FS
        unassigned = [a for a in plan.assignments if a.resource_uid == UNASSIGNED_RESOURCE_UID]
        assert len(unassigned) == 1
    all_types = {link.link_type for p in plans for t in p.tasks for link in t.links}
    assert {0, 1, 3} <= all_types  # FF, FS, SS
    assert any(link.lag_minutes for p in plans for t in p.tasks for link in t.links)


def test_timephased_actuals_sum_to_actual_work(plans: list[MsProjectPlan]) -> None:
    rows = 0
    for plan in plans:
        for a in plan.assignments:
            assert sum(r.minutes for r in a.timephased) == a.actual_work_minutes
            assert all(r.work_date <= plan.status_date for r in a.timephased)
            rows += len(a.timephased)
    assert rows > 500


def test_progress_follows_slip_and_overrun(
    portfolio: Portfolio, plans: list[MsProjectPlan]
) -> None:
    for plan in plans:
        project = next(p for p in portfolio.projects if p.project_code == plan.source_project_code)
        summary = plan.tasks[0]
        if plan.has_baseline:
            b0 = summary.baselines[0]
            slip = (summary.finish.date() - b0.finish.date()).days
            assert abs(slip - project.schedule_slip_days) <= 3, plan.file_name
            ratio = Decimal(summary.work_minutes) / Decimal(b0.work_minutes)
            assert abs(float(ratio) - project.cost_overrun_factor) < 0.05, plan.file_name
        if summary.finish.date() <= plan.status_date or plan.project_status == "closed":
            assert summary.percent_complete == 100
        else:
            assert 0 < summary.percent_complete < 100
        assert summary.actual_work_minutes == sum(a.actual_work_minutes for a in plan.assignments)


def test_tick_changes_some_plans_only() -> None:
    world = generate_portfolio("XS", 42)
    plans = generate_msproject(world)
    before = {p.file_name: ({t.uid for t in p.tasks}, p.revision) for p in plans}
    changed = tick_msproject(plans, world.now, random.Random(3))
    assert 1 <= len(changed) < len(plans)
    for plan in plans:
        uids, revision = before[plan.file_name]
        now_uids = {t.uid for t in plan.tasks}
        if plan.file_name in changed:
            assert plan.revision == revision + 1
            assert now_uids != uids
        else:
            assert now_uids == uids and plan.revision == revision
    first = next(p for p in plans if p.file_name == changed[0])
    added = {t.uid for t in first.tasks} - before[first.file_name][0]
    removed = before[first.file_name][0] - {t.uid for t in first.tasks}
    assert len(added) == 1 and len(removed) >= 1
    assert any(a.task_uid in added for a in first.assignments)
    assert not any(a.task_uid in removed for a in first.assignments)
    assert not any(ln.predecessor_uid in removed for t in first.tasks for ln in t.links)
