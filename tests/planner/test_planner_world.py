"""The generated Planner world: determinism, shapes, planted ground truth, and the clock."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

from sandbox.microsoft.world import PlannerWorld, generate_planner
from sandbox.portfolio import Portfolio, generate_portfolio

ID = re.compile(r"^[A-Za-z0-9_-]{28}$")


def _digest(world: PlannerWorld) -> str:
    payload = [world.users, world.groups, world.plans, world.tasks, world.task_details]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def test_generation_is_deterministic_per_seed() -> None:
    first = generate_planner(generate_portfolio("XS", 42))
    second = generate_planner(generate_portfolio("XS", 42))
    other = generate_planner(generate_portfolio("XS", 43))
    assert _digest(first) == _digest(second)
    assert _digest(first) != _digest(other)
    first.tick()
    second.tick()
    assert _digest(first) == _digest(second)


def test_tier_s_volumes_and_shapes(portfolio_s: Portfolio, world_s: PlannerWorld) -> None:
    planner_projects = [p for p in portfolio_s.projects if "planner" in p.tools]
    assert len(world_s.plans) == len(planner_projects)
    # ~size.planner_tasks in total, and at least one plan needs more than one 400-item page.
    assert (
        abs(world_s.task_count - portfolio_s.size.planner_tasks)
        <= portfolio_s.size.planner_tasks * 0.05
    )
    assert max(len(ids) for ids in world_s.plan_task_ids.values()) > 400
    assert len(world_s.users) == len(portfolio_s.people)
    assert {u["mail"] for u in world_s.users} == {p.email for p in portfolio_s.people}
    assert {u["id"] for u in world_s.users} == {p.entra_object_id for p in portfolio_s.people}
    user_ids = {u["id"] for u in world_s.users}
    for plan_id, plan in world_s.plans.items():
        assert ID.match(plan_id) and plan["id"] == plan_id
        assert plan["container"]["containerId"] in {g["id"] for g in world_s.groups}
        assert len(world_s.buckets[plan_id]) == 4
    for task_id, task in world_s.tasks.items():
        assert ID.match(task_id)
        assert task["@odata.etag"].startswith('W/"')
        assert set(task["assignments"]) <= user_ids
        assert task_id in world_s.task_details
        assert task["checklistItemCount"] == len(world_s.task_details[task_id]["checklist"])
    etags = [t["@odata.etag"] for t in world_s.tasks.values()]
    assert len(set(etags)) == len(etags)
    # Unified groups with plans, plus one empty Unified group and one security group.
    assert sum(1 for g in world_s.groups if "Unified" in g["groupTypes"]) == len(world_s.plans) + 1
    assert sum(1 for g in world_s.groups if not g["groupTypes"]) == 1


def test_manifest_keys_exist_and_describe_every_violation(
    portfolio_s: Portfolio, world_s: PlannerWorld
) -> None:
    faults = [f for f in portfolio_s.manifest.faults if f.system == "planner"]
    unmapped = [f.key for f in faults if f.rule_id == "GV-10"]
    assert len(unmapped) == 1 and unmapped[0] in world_s.plans
    for plan_id, plan in world_s.plans.items():
        has_prefix = re.match(r"^\[FIN-\d{4}\] ", plan["title"]) is not None
        assert has_prefix == (plan_id not in unmapped)
    overdue = {f.key for f in faults if f.rule_id == "GV-05"}
    assert len(overdue) >= 2 * 2
    assert overdue <= set(world_s.tasks)
    now = world_s.now
    # Ground truth is complete: exactly the planted tasks break GV-05 at generation time.
    violating = {
        t["id"]
        for t in world_s.tasks.values()
        if (t["percentComplete"] < 100 and t["dueDateTime"] and _ts(t["dueDateTime"]) < now)
        or (t["percentComplete"] == 0 and t["startDateTime"] and _ts(t["startDateTime"]) < now)
    }
    assert violating == overdue


def test_tick_edits_creates_and_deletes_with_new_etags(world_s: PlannerWorld) -> None:
    before = {tid: t["@odata.etag"] for tid, t in world_s.tasks.items()}
    planted = {f.key for f in world_s.manifest.faults if f.rule_id == "GV-05"}
    start = world_s.now
    result = world_s.tick()
    assert world_s.now == start + timedelta(days=1)
    editable = len(before) - len(planted)
    assert len(result.edited_task_ids) == max(3, editable // 50)
    assert len(result.deleted_task_ids) == max(1, editable // 300)
    assert len(result.created_task_ids) == max(2, editable // 200)
    after = {tid: t["@odata.etag"] for tid, t in world_s.tasks.items()}
    changed = {tid for tid in before if tid in after and after[tid] != before[tid]}
    assert changed == set(result.edited_task_ids)
    assert set(after) - set(before) == set(result.created_task_ids)
    assert set(before) - set(after) == set(result.deleted_task_ids)
    assert not planted & (changed | set(result.deleted_task_ids))
    for task_id in result.deleted_task_ids:
        assert task_id not in world_s.task_details
        assert all(task_id not in ids for ids in world_s.plan_task_ids.values())
