"""Microsoft Planner (basic plans) through Microsoft Graph v1.0, as a dlt source.

App-only auth with msal (client secret or certificate). Graph v1.0 has no change feed for
Planner, so every run lists groups -> plans -> buckets/tasks in full, compares task etags with the
previous run (dlt state), fetches ``/details`` only for tasks whose etag changed, and marks tasks
that disappeared as deleted. Graph docs: https://learn.microsoft.com/graph/api/resources/planner-overview

Calling :func:`planner_source` does no I/O; all HTTP happens while dlt extracts the resources.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources import DltResource

from connectors.planner import rows as r
from connectors.planner.client import GraphClient
from connectors.planner.settings import (
    DEFAULT_GRAPH_URL,
    DEFAULT_SCOPE,
    DIRECTORY_PAGE_SIZE,
    GROUP_PATH,
    GROUP_PLANS_PATH,
    GROUP_SELECT,
    GROUPS_PATH,
    PLAN_BUCKETS_PATH,
    PLAN_DETAILS_PATH,
    PLAN_TASKS_PATH,
    TASK_DETAILS_PATH,
    UNIFIED_GROUPS_FILTER,
    USER_SELECT,
    USERS_PATH,
    PlannerSettings,
)

__all__ = ["PlannerSettings", "planner_source", "RESOURCE_NAMES"]

RESOURCE_NAMES = (
    "users",
    "groups",
    "plans",
    "plan_details",
    "buckets",
    "tasks",
    "task_assignments",
    "task_details",
)
# Details are fetched and yielded in chunks so memory stays flat on large plans.
DETAILS_CHUNK = 400


def _ts(nullable: bool = True) -> dict[str, Any]:
    return {"data_type": "timestamp", "timezone": False, "nullable": nullable}


def _text() -> dict[str, Any]:
    return {"data_type": "text", "nullable": True}


# Declared types for columns that may be all-null in a run, so the staging layer always finds
# them, and naive-UTC timestamps on every destination.
LINEAGE_COLUMNS = {"_tenant_id": _text(), "_extracted_at": _ts()}
TASK_COLUMNS = {
    **LINEAGE_COLUMNS,
    "start_at": _ts(),
    "due_at": _ts(),
    "completed_at": _ts(),
    "created_at": _ts(),
    "deleted_at": _ts(),
    "completed_by_user_id": _text(),
    "conversation_thread_id": _text(),
    "bucket_id": _text(),
    "title": _text(),
    "etag": _text(),
    "priority": {"data_type": "bigint", "nullable": True},
    "percent_complete": {"data_type": "bigint", "nullable": True},
    "is_deleted": {"data_type": "bool", "nullable": False},
}


class _Snapshot:
    """One run's lazily fetched, memoised view of the tenant (shared by the resources)."""

    def __init__(self, settings: PlannerSettings) -> None:
        self.settings = settings
        self._client: GraphClient | None = None
        self._lock = threading.RLock()
        self._groups: list[dict[str, Any]] | None = None
        self._plans: list[dict[str, Any]] | None = None
        self._tasks: list[dict[str, Any]] | None = None
        self._assignments: list[dict[str, Any]] | None = None
        self._extracted_at: datetime | None = None

    @property
    def client(self) -> GraphClient:
        with self._lock:
            if self._client is None:
                self._client = GraphClient(self.settings)
            return self._client

    @property
    def extracted_at(self) -> datetime:
        with self._lock:
            if self._extracted_at is None:
                self._extracted_at = datetime.now(UTC).replace(tzinfo=None)
            return self._extracted_at

    def lineage(self) -> dict[str, Any]:
        return {"_tenant_id": self.settings.tenant_id, "_extracted_at": self.extracted_at}

    def groups(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._groups is None:
                params = {"$select": GROUP_SELECT}
                if self.settings.group_ids:
                    self._groups = [
                        self.client.get(GROUP_PATH.format(group_id=gid), params)
                        for gid in self.settings.group_ids
                    ]
                else:
                    params = {
                        **params,
                        "$filter": UNIFIED_GROUPS_FILTER,
                        "$top": DIRECTORY_PAGE_SIZE,
                    }
                    self._groups = list(self.client.paginate(GROUPS_PATH, params))
            return self._groups

    def plans(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._plans is None:
                self._plans = [
                    plan
                    for group in self.groups()
                    for plan in self.client.paginate(GROUP_PLANS_PATH.format(group_id=group["id"]))
                ]
            return self._plans

    def _load_tasks(self) -> None:
        tasks: list[dict[str, Any]] = []
        assignments: list[dict[str, Any]] = []
        lineage = self.lineage()
        for plan in self.plans():
            for task in self.client.paginate(PLAN_TASKS_PATH.format(plan_id=plan["id"])):
                tasks.append({**r.task_row(task), **lineage})
                assignments.extend({**a, **lineage} for a in r.assignment_rows(task))
        self._tasks, self._assignments = tasks, assignments

    def tasks(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._tasks is None:
                self._load_tasks()
            return self._tasks or []

    def assignments(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._assignments is None:
                self._load_tasks()
            return self._assignments or []


@dlt.source(name="planner")
def planner_source(
    tenant_id: str = dlt.config.value,
    client_id: str = dlt.config.value,
    client_secret: str | None = dlt.secrets.value,
    client_cert_private_key: str | None = dlt.secrets.value,
    client_cert_thumbprint: str | None = None,
    authority: str | None = None,
    graph_url: str = DEFAULT_GRAPH_URL,
    scope: str = DEFAULT_SCOPE,
    group_ids: list[str] | None = None,
    verify: str | None = None,
    instance_discovery: bool | None = None,
    max_retry_after_seconds: float = 600.0,
    max_total_wait_seconds: float = 1800.0,
    max_attempts: int = 8,
    backoff_base_seconds: float = 1.0,
    details_batch_size: int = 20,
) -> Sequence[DltResource]:
    """Planner plans, buckets, tasks, task details, assignments, groups and users.

    Args:
        tenant_id: Entra tenant id (``SOURCES__PLANNER__TENANT_ID``).
        client_id: app registration id (``SOURCES__PLANNER__CLIENT_ID``).
        client_secret: client secret value (``SOURCES__PLANNER__CLIENT_SECRET``).
        client_cert_private_key: PEM key of the certificate credential, instead of the secret.
        client_cert_thumbprint: SHA-1 thumbprint (hex) of that certificate.
        authority: identity authority; default ``https://login.microsoftonline.com/<tenant>``.
        graph_url: Graph base URL with version.
        scope: client-credentials scope.
        group_ids: groups to read plans from; empty means every Microsoft 365 group visible.
        verify: CA bundle path for identity and Graph calls; None (or "true") = the system
            store, "false" disables verification.
        instance_discovery: msal instance discovery; None = only for Microsoft's authority hosts.
        max_retry_after_seconds: the longest single Retry-After wait honoured.
        max_total_wait_seconds: the budget of all throttling waits in one run.
        max_attempts: attempts per request on 429/5xx.
        backoff_base_seconds: first 5xx backoff delay (doubles, jittered).
        details_batch_size: task details per ``$batch`` (1 = one GET per task).

    Returns:
        The resources named in ``RESOURCE_NAMES`` (dataset ``raw_planner``).
    """
    verify_setting: str | bool = True
    if isinstance(verify, str) and verify:
        verify_setting = (
            verify.lower() != "false" if verify.lower() in ("true", "false") else verify
        )
    settings = PlannerSettings(
        tenant_id=tenant_id,
        client_id=client_id,
        client_secret=client_secret,
        client_cert_private_key=client_cert_private_key,
        client_cert_thumbprint=client_cert_thumbprint,
        authority=authority,
        graph_url=graph_url,
        scope=scope,
        group_ids=tuple(group_ids or ()),
        verify=verify_setting,
        instance_discovery=instance_discovery,
        max_retry_after_seconds=max_retry_after_seconds,
        max_total_wait_seconds=max_total_wait_seconds,
        max_attempts=max_attempts,
        backoff_base_seconds=backoff_base_seconds,
        details_batch_size=details_batch_size,
    )
    return planner_resources(settings)


def planner_resources(settings: PlannerSettings) -> list[DltResource]:
    """The Planner resources for explicit settings (what ``planner_source`` returns)."""
    snap = _Snapshot(settings)

    @dlt.resource(
        name="users", primary_key="id", write_disposition="replace", columns=LINEAGE_COLUMNS
    )
    def users() -> Iterator[list[dict[str, Any]]]:
        params = {"$select": USER_SELECT, "$top": DIRECTORY_PAGE_SIZE}
        lineage = snap.lineage()
        yield [{**r.user_row(u), **lineage} for u in snap.client.paginate(USERS_PATH, params)]

    @dlt.resource(
        name="groups",
        primary_key="id",
        write_disposition="replace",
        columns={**LINEAGE_COLUMNS, "created_at": _ts(), "visibility": _text()},
    )
    def groups() -> Iterator[list[dict[str, Any]]]:
        lineage = snap.lineage()
        yield [{**r.group_row(g), **lineage} for g in snap.groups()]

    @dlt.resource(
        name="plans",
        primary_key="id",
        write_disposition="merge",
        columns={**LINEAGE_COLUMNS, "created_at": _ts(), "created_by_user_id": _text()},
    )
    def plans() -> Iterator[list[dict[str, Any]]]:
        lineage = snap.lineage()
        yield [{**r.plan_row(p), **lineage} for p in snap.plans()]

    @dlt.resource(
        name="plan_details",
        primary_key=("plan_id", "category"),
        write_disposition="replace",
        columns=LINEAGE_COLUMNS,
    )
    def plan_details() -> Iterator[list[dict[str, Any]]]:
        lineage = snap.lineage()
        for plan in snap.plans():
            details = snap.client.get(PLAN_DETAILS_PATH.format(plan_id=plan["id"]))
            yield [{**row, **lineage} for row in r.plan_category_rows(plan["id"], details)]

    @dlt.resource(
        name="buckets", primary_key="id", write_disposition="replace", columns=LINEAGE_COLUMNS
    )
    def buckets() -> Iterator[list[dict[str, Any]]]:
        lineage = snap.lineage()
        for plan in snap.plans():
            path = PLAN_BUCKETS_PATH.format(plan_id=plan["id"])
            yield [{**r.bucket_row(b), **lineage} for b in snap.client.paginate(path)]

    @dlt.resource(name="tasks", primary_key="id", write_disposition="merge", columns=TASK_COLUMNS)
    def tasks() -> Iterator[list[dict[str, Any]]]:
        # Graph v1.0 has no deletion feed: a task known from the previous run and absent from
        # this full listing was deleted. Its tombstone keeps id, plan and last etag.
        # Unchanged tasks (same etag as last run) are not rewritten: merge keeps their rows, and
        # an incremental run only normalises and loads what changed.
        state = dlt.current.resource_state()
        previous: dict[str, list[str]] = state.get("seen", {})
        current = {row["id"]: [row["plan_id"], row["etag"]] for row in snap.tasks()}
        changed = [
            row for row in snap.tasks() if previous.get(row["id"], [None, None])[1] != row["etag"]
        ]
        if changed:
            yield changed
        lineage = snap.lineage()
        tombstones = []
        for task_id, (plan_id, etag) in previous.items():
            if task_id not in current:
                tombstone = {key: None for key in snap.tasks()[0]} if snap.tasks() else {}
                tombstone.update(
                    {
                        "id": task_id,
                        "plan_id": plan_id,
                        "etag": etag,
                        "is_deleted": True,
                        "deleted_at": snap.extracted_at,
                        **lineage,
                    }
                )
                tombstones.append(tombstone)
        if tombstones:
            yield tombstones
        state["seen"] = current

    @dlt.resource(
        name="task_assignments",
        primary_key=("task_id", "user_id"),
        write_disposition="replace",
        columns={**LINEAGE_COLUMNS, "assigned_at": _ts()},
    )
    def task_assignments() -> Iterator[list[dict[str, Any]]]:
        yield snap.assignments()

    @dlt.resource(
        name="task_details",
        primary_key="task_id",
        write_disposition="merge",
        max_table_nesting=1,
        columns={**LINEAGE_COLUMNS, "description": _text()},
    )
    def task_details() -> Iterator[list[dict[str, Any]]]:
        # Details cost one call per task (the usual 429 trigger): fetch them only for tasks whose
        # etag differs from the one recorded when their details were last loaded.
        state = dlt.current.resource_state()
        previous: dict[str, str] = state.get("etags", {})
        fetched: dict[str, str] = {
            t["id"]: previous[t["id"]] for t in snap.tasks() if previous.get(t["id"]) == t["etag"]
        }
        changed = [t for t in snap.tasks() if previous.get(t["id"]) != t["etag"]]
        lineage = snap.lineage()
        for start in range(0, len(changed), DETAILS_CHUNK):
            chunk = changed[start : start + DETAILS_CHUNK]
            paths = [TASK_DETAILS_PATH.format(task_id=t["id"]) for t in chunk]
            bodies = snap.client.get_many(paths)
            batch = []
            for task, path in zip(chunk, paths, strict=True):
                body = bodies.get(path)
                if body is None:  # deleted between the listing and this call
                    continue
                batch.append({**r.task_details_row(task["id"], task["plan_id"], body), **lineage})
                fetched[task["id"]] = task["etag"]
            if batch:
                yield batch
        state["etags"] = fetched

    return [
        users,
        groups,
        plans,
        plan_details,
        buckets,
        tasks,
        task_assignments,
        task_details,
    ]
