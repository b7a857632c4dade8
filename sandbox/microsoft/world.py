"""The Microsoft 365 side of the sandbox world: Entra users, Microsoft 365 groups and Planner plans.

``generate_planner(portfolio)`` derives, deterministically from ``portfolio.rng("planner")``, one
Microsoft 365 group and one Planner plan per portfolio project that uses Planner. Every resource is
kept in the JSON shape Microsoft Graph v1.0 returns (camelCase keys, ``@odata.etag``, open types for
``assignments``, ``checklist`` and ``references``), so the sandbox server only has to page and
serialise it. ``PlannerWorld.tick`` moves the clock and edits, creates and deletes tasks, giving
every edited resource a new etag, which is the only change signal Planner v1.0 offers.

Planted ground truth (``portfolio.manifest``):

- ``GV-10`` planner/plan: one plan whose title lacks the ``[FIN-1234] `` project-code prefix.
- ``GV-05`` planner/task: tasks whose due date passed while not complete, and tasks whose start
  date passed while still not started. Outside the planted ones, generated tasks are consistent
  with the world clock at generation time (past due -> complete, past start -> in progress).
  Planted tasks are never edited or deleted by ``tick``.
"""

from __future__ import annotations

import base64
import copy
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any
from urllib.parse import quote

from sandbox.portfolio import Manifest, Portfolio, Project, expected_progress

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
GRAPH_RESOURCE_URL = "https://graph.microsoft.com/v1.0"
# Planner's UI writes these four priorities; the API accepts 0..10.
UI_PRIORITIES = (1, 3, 5, 9)
BUCKET_NAMES = ("Backlog", "To do", "In progress", "Done")
CATEGORY_LABELS = (
    "Risk",
    "Blocked",
    "Customer",
    "Internal",
    "Quick win",
    "Finance",
    "Legal",
    "Vendor",
)
TASK_VERBS = (
    "Draft Review Approve Migrate Configure Test Document Publish Prepare Validate Design Deploy "
    "Train Reconcile Schedule Close"
).split()
TASK_NOUNS = (
    "requirements|test plan|vendor contract|data migration|user training|cutover plan|budget "
    "forecast|status report|risk register|release notes|access review|change request|runbook|"
    "steering deck|acceptance criteria|integration tests"
).split("|")


def planner_id(rng: Random) -> str:
    """A 28-character, case-sensitive id shaped like Planner's (e.g. ``xqQg5FS2LkCp935s-FIFm2QA``)."""
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(28))


def _guid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _order_hint(rng: Random) -> str:
    return "85" + "".join(rng.choice("0123456789ABCDEF") for _ in range(16)) + "!"


def _reference_key(url: str) -> str:
    # Graph stores reference URLs as property names with '%', '.', ':', '@' and '#' encoded.
    return quote(url, safe="/").replace(".", "%2E")


@dataclass
class TickResult:
    """What one ``PlannerWorld.tick`` changed, for tests to compare against."""

    now: datetime
    edited_task_ids: list[str] = field(default_factory=list)
    created_task_ids: list[str] = field(default_factory=list)
    deleted_task_ids: list[str] = field(default_factory=list)
    details_changed_task_ids: list[str] = field(default_factory=list)

    @property
    def changed_task_ids(self) -> set[str]:
        """Tasks whose etag differs from before the tick (edited or created)."""
        return set(self.edited_task_ids) | set(self.created_task_ids)


@dataclass
class PlannerWorld:
    """Users, groups and Planner plans of one tenant, as Graph v1.0 JSON objects."""

    tenant_id: str
    now: datetime
    users: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    plans: dict[str, dict[str, Any]]  # plan id -> plannerPlan
    plan_details: dict[str, dict[str, Any]]
    buckets: dict[str, list[dict[str, Any]]]  # plan id -> buckets
    tasks: dict[str, dict[str, Any]]  # task id -> plannerTask (live tasks only)
    task_details: dict[str, dict[str, Any]]
    plan_task_ids: dict[str, list[str]]  # plan id -> task ids in listing order
    project_codes: dict[str, str | None]  # plan id -> finance project code it belongs to
    manifest: Manifest
    deleted_task_ids: list[str] = field(default_factory=list)
    _rng: Random = field(default_factory=Random, repr=False)
    _version: int = 0
    _planted: set[str] = field(default_factory=set, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- reading ---------------------------------------------------------------------------------

    def plans_for_group(self, group_id: str) -> list[dict[str, Any]]:
        """Plans contained in a group, in creation order."""
        return [p for p in self.plans.values() if p["container"]["containerId"] == group_id]

    def tasks_for_plan(self, plan_id: str) -> list[dict[str, Any]]:
        """Live tasks of a plan in listing order."""
        return [self.tasks[t] for t in self.plan_task_ids.get(plan_id, [])]

    def users_by_id(self) -> dict[str, dict[str, Any]]:
        """Users keyed by Entra object id."""
        return {u["id"]: u for u in self.users}

    @property
    def task_count(self) -> int:
        """Number of live tasks."""
        return len(self.tasks)

    def assignment_count(self) -> int:
        """Number of task x user assignments over live tasks."""
        return sum(len(t["assignments"]) for t in self.tasks.values())

    # -- etags -----------------------------------------------------------------------------------

    def next_etag(self, kind: str) -> str:
        """A fresh weak etag; later etags compare greater as ordinal strings, like Planner's."""
        self._version += 1
        token = base64.b64encode(f"'{self._version:010d}'".encode()).decode()
        return f'W/"JzEt{kind}{token}"'

    # -- clock -----------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> TickResult:
        """Advance the clock and edit, create and delete tasks.

        Args:
            now: the new world time; defaults to one day after the current one.

        Returns:
            The ids touched, so tests can check what a sync must pick up.
        """
        with self.lock:
            self.now = now or (self.now + timedelta(days=1))
            rng = self._rng
            result = TickResult(now=self.now)
            candidates = sorted(t for t in self.tasks if t not in self._planted)
            if not candidates:
                return result
            n_edit = max(3, len(candidates) // 50)
            n_delete = max(1, len(candidates) // 300)
            n_create = max(2, len(candidates) // 200)
            picked = rng.sample(candidates, k=min(len(candidates), n_edit + n_delete))
            to_edit, to_delete = picked[:n_edit], picked[n_edit:]
            for task_id in to_edit:
                details_changed = self._edit_task(task_id, rng)
                result.edited_task_ids.append(task_id)
                if details_changed:
                    result.details_changed_task_ids.append(task_id)
            for task_id in to_delete:
                task = self.tasks.pop(task_id)
                self.task_details.pop(task_id, None)
                self.plan_task_ids[task["planId"]].remove(task_id)
                self.deleted_task_ids.append(task_id)
                result.deleted_task_ids.append(task_id)
            plan_ids = sorted(self.plans)
            for _ in range(n_create):
                plan_id = rng.choice(plan_ids)
                task = self._new_task(plan_id, rng, created=self.now)
                result.created_task_ids.append(task["id"])
                result.details_changed_task_ids.append(task["id"])
            return result

    def _edit_task(self, task_id: str, rng: Random) -> bool:
        task = self.tasks[task_id]
        kind = rng.choice(("progress", "title", "due", "details"))
        details_changed = False
        if kind == "progress":
            pct = task["percentComplete"]
            task["percentComplete"] = 50 if pct == 0 else 100
            if task["percentComplete"] == 100:
                task["completedDateTime"] = _iso(self.now)
                task["completedBy"] = {"user": {"id": self._any_assignee(task, rng)}}
        elif kind == "title":
            task["title"] = task["title"].split(" (rev")[0] + f" (rev {self._version})"
        elif kind == "due":
            due = task["dueDateTime"]
            base = datetime.fromisoformat(due.replace("Z", "+00:00")) if due else self.now
            task["dueDateTime"] = _iso(max(base, self.now) + timedelta(days=7))
        else:
            details = self.task_details[task_id]
            details["description"] = (details["description"] or "") + " Updated scope."
            details["@odata.etag"] = self.next_etag("VGFza0RldGFpbHMg")
            task["hasDescription"] = True
            details_changed = True
        task["@odata.etag"] = self.next_etag("VGFzayAg")
        return details_changed

    def _any_assignee(self, task: dict[str, Any], rng: Random) -> str:
        assignees = sorted(task["assignments"])
        return rng.choice(assignees) if assignees else self.users[0]["id"]

    def _new_task(
        self,
        plan_id: str,
        rng: Random,
        *,
        created: datetime,
        start: date | None = None,
        due: date | None = None,
        percent: int = 0,
        team: list[str] | None = None,
    ) -> dict[str, Any]:
        task_id = planner_id(rng)
        while task_id in self.tasks or task_id in self.task_details:
            task_id = planner_id(rng)
        buckets = self.buckets[plan_id]
        bucket = (
            buckets[3] if percent == 100 else buckets[2] if percent else buckets[rng.randint(0, 1)]
        )
        people = team or [u["id"] for u in self.users]
        assignees = rng.sample(people, k=min(len(people), rng.choice((0, 1, 1, 1, 2, 2, 3))))
        creator = rng.choice(people)
        priority = rng.choice(UI_PRIORITIES) if rng.random() < 0.9 else rng.randint(0, 10)
        categories = rng.sample(range(1, len(CATEGORY_LABELS) + 1), k=rng.choice((0, 0, 1, 1, 2)))
        checklist = self._checklist(rng, people, created)
        references = self._references(rng, people, created)
        description = (
            f"{rng.choice(TASK_VERBS)} the {rng.choice(TASK_NOUNS)} with the project team."
            if rng.random() < 0.6
            else ""
        )
        completed = None
        completed_by = None
        if percent == 100:
            end = _at(due) if due else created + timedelta(days=rng.randint(1, 20))
            completed = min(end, self.now)
            completed_by = {"user": {"id": rng.choice(assignees or [creator])}}
        task: dict[str, Any] = {
            "@odata.etag": self.next_etag("VGFzayAg"),
            "planId": plan_id,
            "bucketId": bucket["id"],
            "title": f"{rng.choice(TASK_VERBS)} {rng.choice(TASK_NOUNS)}",
            "orderHint": _order_hint(rng),
            "assigneePriority": _order_hint(rng) if assignees else "",
            "percentComplete": percent,
            "priority": priority,
            "startDateTime": _iso(_at(start)) if start else None,
            "createdDateTime": _iso(created),
            "dueDateTime": _iso(_at(due, 17)) if due else None,
            "hasDescription": bool(description),
            "previewType": "automatic",
            "completedDateTime": _iso(completed),
            "completedBy": completed_by,
            "referenceCount": len(references),
            "checklistItemCount": len(checklist),
            "activeChecklistItemCount": sum(1 for c in checklist.values() if not c["isChecked"]),
            "conversationThreadId": None,
            "id": task_id,
            "createdBy": {"user": {"id": creator, "displayName": None}},
            "appliedCategories": {f"category{c}": True for c in sorted(categories)},
            "assignments": {
                user_id: {
                    "@odata.type": "#microsoft.graph.plannerAssignment",
                    "assignedDateTime": _iso(created + timedelta(minutes=5)),
                    "orderHint": _order_hint(rng),
                    "assignedBy": {"user": {"id": creator, "displayName": None}},
                }
                for user_id in assignees
            },
        }
        self.tasks[task_id] = task
        self.plan_task_ids[plan_id].append(task_id)
        self.task_details[task_id] = {
            "@odata.etag": self.next_etag("VGFza0RldGFpbHMg"),
            "description": description,
            "previewType": "automatic",
            "id": task_id,
            "references": references,
            "checklist": checklist,
        }
        return task

    def _checklist(self, rng: Random, people: list[str], created: datetime) -> dict[str, Any]:
        items: dict[str, Any] = {}
        for _ in range(rng.choice((0, 0, 1, 2, 3, 4))):
            item_id = f"{rng.randrange(10**4, 10**5)}"
            items[item_id] = {
                "@odata.type": "#microsoft.graph.plannerChecklistItem",
                "isChecked": rng.random() < 0.4,
                "title": f"{rng.choice(TASK_VERBS)} {rng.choice(TASK_NOUNS)}",
                "orderHint": _order_hint(rng),
                "lastModifiedDateTime": _iso(created + timedelta(hours=1)),
                "lastModifiedBy": {"user": {"id": rng.choice(people)}},
            }
        return items

    def _references(self, rng: Random, people: list[str], created: datetime) -> dict[str, Any]:
        refs: dict[str, Any] = {}
        for i in range(rng.choice((0, 0, 0, 1, 2))):
            url = f"https://contoso.sharepoint.com/sites/pmo/Shared Documents/doc-{rng.randrange(10**6)}-{i}.docx"
            refs[_reference_key(url)] = {
                "@odata.type": "#microsoft.graph.plannerExternalReference",
                "alias": f"Spec {i + 1}",
                "type": "Word",
                "previewPriority": _order_hint(rng),
                "lastModifiedDateTime": _iso(created + timedelta(hours=2)),
                "lastModifiedBy": {"user": {"id": rng.choice(people)}},
            }
        return refs


def _task_counts(rng: Random, n_plans: int, total: int) -> list[int]:
    weights = [rng.uniform(0.4, 1.6) for _ in range(n_plans)]
    scale = total / sum(weights)
    counts = [max(5, int(w * scale)) for w in weights]
    # Planner pages at ~400 items: make sure at least one plan needs several pages when the tier
    # has the volume for it.
    if n_plans > 1 and total >= 1200 and max(counts) < 520:
        biggest = counts.index(max(counts))
        extra = 520 - counts[biggest]
        counts[biggest] = 520
        for i in range(len(counts)):
            if i != biggest and extra > 0:
                take = min(extra, max(0, counts[i] - 20) // 3)
                counts[i] -= take
                extra -= take
    return counts


def generate_planner(portfolio: Portfolio) -> PlannerWorld:
    """Generate the tenant's users, groups and Planner plans for ``portfolio``.

    Args:
        portfolio: the shared seeded portfolio; only ``portfolio.rng("planner")`` is drawn from.

    Returns:
        The Planner world, with planted faults added to ``portfolio.manifest``.
    """
    rng = portfolio.rng("planner")
    now = portfolio.now
    world = PlannerWorld(
        tenant_id=_guid(rng),
        now=now,
        users=[],
        groups=[],
        plans={},
        plan_details={},
        buckets={},
        tasks={},
        task_details={},
        plan_task_ids={},
        project_codes={},
        manifest=portfolio.manifest,
        _rng=Random(rng.getrandbits(64)),
    )
    for person in portfolio.people:
        world.users.append(
            {
                "id": person.entra_object_id,
                "displayName": person.display_name,
                "mail": person.email,
                "userPrincipalName": person.email,
                "givenName": person.display_name.split(" ")[0],
                "surname": person.display_name.split(" ")[-1],
                "jobTitle": None,
                "department": person.department,
                "accountEnabled": person.is_active,
            }
        )

    planner_projects = [p for p in portfolio.projects if "planner" in p.tools]
    # The planted unmapped plan (GV-10) is one of the project plans when there are several;
    # with a single Planner project an extra team plan plays that part so mapping is still tested.
    unmapped_project_code = planner_projects[-1].project_code if len(planner_projects) > 1 else None
    extra_unmapped = len(planner_projects) <= 1
    counts = _task_counts(
        rng, len(planner_projects) + int(extra_unmapped), portfolio.size.planner_tasks
    )

    for index, project in enumerate(planner_projects):
        prefix = (
            "" if project.project_code == unmapped_project_code else f"[{project.project_code}] "
        )
        plan_id = _add_group_and_plan(world, rng, portfolio, project, f"{prefix}{project.name}")
        if not prefix:
            portfolio.manifest.plant(
                "GV-10",
                "planner",
                "plan",
                plan_id,
                f"plan of {project.project_code} without prefix",
            )
        _add_tasks(world, rng, portfolio, project, plan_id, counts[index])
    if extra_unmapped:
        plan_id = _add_group_and_plan(world, rng, portfolio, None, "Team offsite and events")
        portfolio.manifest.plant("GV-10", "planner", "plan", plan_id, "plan with no project code")
        _add_tasks(world, rng, portfolio, None, plan_id, counts[-1])

    # Groups the connector must skip or find empty: a security group and a Unified group
    # with no plans.
    world.groups.append(_group(rng, now, "PMO Security Readers", unified=False))
    world.groups.append(_group(rng, now, "All Company", unified=True))
    _plant_overdue(world, rng, portfolio)
    return world


def _group(rng: Random, now: datetime, name: str, *, unified: bool) -> dict[str, Any]:
    nickname = "".join(ch for ch in name.lower() if ch.isalnum())[:40] or "group"
    return {
        "id": _guid(rng),
        "displayName": name,
        "description": f"{name} group",
        "mail": f"{nickname}@example.com" if unified else None,
        "mailNickname": nickname,
        "mailEnabled": unified,
        "securityEnabled": not unified,
        "groupTypes": ["Unified"] if unified else [],
        "visibility": "Private" if unified else None,
        "createdDateTime": _iso(now - timedelta(days=rng.randint(400, 900))),
    }


def _team(portfolio: Portfolio, project: Project | None, rng: Random) -> list[str]:
    if project is None:
        people = [p for p in portfolio.people if p.is_active]
        return [p.entra_object_id for p in rng.sample(people, k=min(6, len(people)))]
    return [portfolio.person(pid).entra_object_id for pid in project.team]


def _add_group_and_plan(
    world: PlannerWorld, rng: Random, portfolio: Portfolio, project: Project | None, title: str
) -> str:
    now = portfolio.now
    group = _group(rng, now, project.name if project else title, unified=True)
    world.groups.append(group)
    team = _team(portfolio, project, rng)
    plan_id = planner_id(rng)
    start = project.start_date if project else (now - timedelta(days=90)).date()
    created = _at(start) - timedelta(days=rng.randint(1, 10))
    owner = team[0]
    world.plans[plan_id] = {
        "@odata.etag": world.next_etag("UGxhbiAg"),
        "createdDateTime": _iso(created),
        "owner": group["id"],
        "title": title,
        "id": plan_id,
        "createdBy": {
            "user": {"id": owner, "displayName": None},
            "application": {"id": _guid(rng), "displayName": None},
        },
        "container": {
            "@odata.type": "#microsoft.graph.plannerPlanContainer",
            "containerId": group["id"],
            "type": "group",
            "url": f"{GRAPH_RESOURCE_URL}/groups/{group['id']}",
        },
    }
    n_labels = rng.randint(3, len(CATEGORY_LABELS))
    descriptions: dict[str, str | None] = {f"category{i}": None for i in range(1, 26)}
    for i in range(n_labels):
        descriptions[f"category{i + 1}"] = CATEGORY_LABELS[i]
    world.plan_details[plan_id] = {
        "@odata.etag": world.next_etag("UGxhbkRldGFpbHMg"),
        "sharedWith": {user_id: True for user_id in team},
        "categoryDescriptions": descriptions,
        "id": plan_id,
    }
    world.buckets[plan_id] = [
        {
            "@odata.etag": world.next_etag("QnVja2V0ICA"),
            "name": name,
            "planId": plan_id,
            "orderHint": _order_hint(rng),
            "id": planner_id(rng),
        }
        for name in BUCKET_NAMES
    ]
    world.plan_task_ids[plan_id] = []
    world.project_codes[plan_id] = project.project_code if project else None
    return plan_id


def _add_tasks(
    world: PlannerWorld,
    rng: Random,
    portfolio: Portfolio,
    project: Project | None,
    plan_id: str,
    count: int,
) -> None:
    now = portfolio.now
    today = now.date()
    team = _team(portfolio, project, rng)
    start_min = project.start_date if project else today - timedelta(days=90)
    finish_max = project.forecast_finish_date if project else today + timedelta(days=90)
    span = max(1, (finish_max - start_min).days)
    closed = project is not None and project.status == "closed"
    progress = expected_progress(project, today) if project else 0.5
    for _ in range(count):
        if rng.random() < 0.15:
            # Undated tasks are done about as often as the project's work has progressed.
            start = due = None
            percent = 100 if rng.random() < progress else 0
        else:
            start = start_min + timedelta(days=rng.randint(0, span))
            due = start + timedelta(days=rng.randint(3, 30))
            # Consistent with the clock: only planted tasks break these rules (GV-05).
            if _at(due, 17) < now:
                percent = 100
            elif _at(start) < now:
                percent = rng.choice((25, 50, 50, 50, 75))
            else:
                percent = 0
        if closed:
            percent = 100
            if due is not None and due > today:
                due = today - timedelta(days=1)
                start = min(start or due, due)
        created_day = (start or start_min) - timedelta(days=rng.randint(1, 20))
        created = min(_at(created_day, 9), now - timedelta(hours=1))
        world._new_task(
            plan_id, rng, created=created, start=start, due=due, percent=percent, team=team
        )


def _plant_overdue(world: PlannerWorld, rng: Random, portfolio: Portfolio) -> None:
    today = portfolio.now.date()
    open_plans = [
        plan_id
        for plan_id, code in world.project_codes.items()
        if code is None or next(p for p in portfolio.projects if p.project_code == code).is_active
    ]
    candidates = sorted(
        t["id"]
        for pid in open_plans
        for t in world.tasks_for_plan(pid)
        if t["percentComplete"] < 100
    )
    n_each = max(2, world.task_count // 200)
    picked = rng.sample(candidates, k=min(len(candidates), 2 * n_each))
    for i, task_id in enumerate(picked):
        task = world.tasks[task_id]
        if i < n_each:
            due = today - timedelta(days=rng.randint(3, 40))
            start = due - timedelta(days=rng.randint(5, 20))
            task["percentComplete"] = rng.choice((0, 50))
            detail = f"due {due.isoformat()}, {task['percentComplete']}% complete"
        else:
            start = today - timedelta(days=rng.randint(3, 30))
            due = today + timedelta(days=rng.randint(5, 30))
            task["percentComplete"] = 0
            detail = f"start {start.isoformat()} passed, not started"
        task["startDateTime"] = _iso(_at(start))
        task["dueDateTime"] = _iso(_at(due, 17))
        task["completedDateTime"] = None
        task["completedBy"] = None
        task["@odata.etag"] = world.next_etag("VGFzayAg")
        world._planted.add(task_id)
        portfolio.manifest.plant("GV-05", "planner", "task", task_id, detail)


def snapshot(world: PlannerWorld) -> dict[str, Any]:
    """A deep copy of the world's mutable collections, for before/after comparisons in tests."""
    with world.lock:
        return {
            "tasks": copy.deepcopy(world.tasks),
            "task_details": copy.deepcopy(world.task_details),
            "plans": copy.deepcopy(world.plans),
        }


def generate_msproject(portfolio: Portfolio) -> Any:
    """The MS Project plans of the portfolio (implemented in ``sandbox.microsoft.msproject_world``).

    Kept here so the contract's import path works; the import is lazy because that module is
    owned and built separately.
    """
    from sandbox.microsoft import msproject_world

    return msproject_world.generate_msproject(portfolio)
