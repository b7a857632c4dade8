"""Jira source for dlt: issues with complete history, worklogs, agile data and deletes.

Cloud (REST v3 + Agile 1.0, email + API token) and Data Center (REST v2, PAT). Calling
:func:`jira_source` does no I/O; every request happens inside the resource generators.

Tables (dataset ``raw_jira``): ``projects``, ``fields``, ``statuses``, ``priorities``,
``resolutions``, ``issue_types``, ``users``, ``boards``, ``sprints``, ``versions``, ``components``
(dimensions: replaced when changed; the per-project, per-board and per-field listings and the
users are fetched every ``dimension_refresh_hours``); ``issues``, ``changelog``,
``issue_field_history``, ``worklogs``, ``worklogs_deleted`` (merged on stable ids);
``issue_census`` and ``issue_census_runs`` (reconcile mode: id-only presence per project, to
detect deleted issues).
API changes: https://developer.atlassian.com/changelog/
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import dlt
from dlt.sources import DltResource

from connectors.jira import settings as cfg
from connectors.jira.client import JiraClient, JiraError, JiraRequestError
from connectors.jira.rows import (
    arrow,
    changelog_rows,
    comment_row,
    custom_value_row,
    field_history_rows,
    issue_row,
    link_row,
    naive_utc,
    parse_ts,
    timestamp_hints,
    user_id,
    worklog_row,
)
from connectors.jira.settings import JiraSettings
from pmo_hub import progress

__all__ = ["JiraSettings", "jira_resources", "jira_source"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _date_ms(value: date | None) -> int | None:
    if value is None:
        return None
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)


@contextmanager
def _pool(workers: int) -> Iterator[ThreadPoolExecutor | None]:
    """A bounded thread pool for one resource (None = run inline)."""
    if workers < 1:
        yield None
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jira") as pool:
        yield pool


def _ahead(
    pool: ThreadPoolExecutor | None, thunks: Iterable[Callable[[], T]], window: int
) -> Iterator[T]:
    """Results of ``thunks`` in order, with at most ``window`` of them running ahead in ``pool``.

    Bounded so memory stays flat however many projects or batches there are.
    """
    if pool is None:
        for thunk in thunks:
            yield thunk()
        return
    pending: deque[Future[T]] = deque()
    try:
        for thunk in thunks:
            pending.append(pool.submit(thunk))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


# Dimensions are declared "append" and every item they yield carries a "replace" hint: dlt
# truncates a *declared* "replace" table whose resource yields nothing, so this is what lets an
# unchanged dimension skip its load job and stay as it is. Nothing is ever appended.
_DIMENSION = "append"


def _dimension(rows: list[dict[str, Any]], typed: str | None = None) -> Iterator[Any]:
    """Yield ``rows`` (the whole table) only when they differ from the last loaded run's.

    The digest lives in the resource state, which dlt commits with the load package: a failed
    load keeps the old digest, so the next run writes the table again. With ``typed`` (a table
    of ``rows.SCHEMAS``) the rows go as Arrow, so even an empty table is created with its columns.
    """
    state = dlt.current.resource_state()
    payload = json.dumps(rows, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha256(payload.encode()).hexdigest()
    if state.get("digest") == digest:
        return
    state["digest"] = digest
    item = arrow(typed, rows) if typed else rows
    yield dlt.mark.with_hints(item, dlt.mark.make_hints(write_disposition="replace"))


def _listing_due(ctx: _Context, listed_for: Any) -> bool:
    """Whether a per-entity dimension listing is fetched this run (then it is marked as fetched).

    These listings (one request or more per project, board or option field) made most of an
    incremental run's requests although they rarely change; they are fetched on the first run,
    on a reconcile run, when what they are listed for (``listed_for``: the projects, scrum
    boards or option fields) changed, and otherwise once ``dimension_refresh_hours`` passed.
    The mark lives in the resource state, so a failed load fetches again next run.
    """
    state = dlt.current.resource_state()
    payload = json.dumps(listed_for, sort_keys=True, default=str, separators=(",", ":"))
    listed_digest = hashlib.sha256(payload.encode()).hexdigest()
    now = _utcnow().timestamp()
    last = state.get("listed_at")
    max_age = ctx.settings.dimension_refresh_hours * 3600
    due = (
        last is None
        or ctx.settings.reconcile
        or state.get("listed_for") != listed_digest
        or now - float(last) >= max_age
    )
    if due:
        state["listed_at"] = now
        state["listed_for"] = listed_digest
    return due


def _chain_first(first: list[T], rest: Iterator[list[T]]) -> Iterator[list[T]]:
    if first:
        yield first
    yield from rest


_EXHAUSTED = object()


def _project_group_label(group: list[str]) -> str:
    """``project 10001``, ``projects 10001, 10002, 10003`` or, for the one search an incremental
    run makes over many projects, ``100 projects (10100 … 10199)``: one readable console line."""
    if len(group) == 1:
        return f"project {group[0]}"
    if len(group) <= 3:
        return f"projects {', '.join(group)}"
    return f"{len(group)} projects ({group[0]} … {group[-1]})"


def _read_ahead(pages: Iterator[T], enabled: bool) -> Iterator[T]:
    """``pages``, with the next page downloading in a thread while this one is processed.

    Profiling a full tier-S sync showed the main thread idle on the search's HTTP answer for
    45 % of its time and building rows for 33 %: one page ahead overlaps the two. Still one
    request of this search in flight at a time, so the concurrency budget is unchanged.
    """
    if not enabled:
        yield from pages
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-search") as pool:
        pending = pool.submit(next, pages, _EXHAUSTED)
        while True:
            page = pending.result()
            if page is _EXHAUSTED:
                return
            pending = pool.submit(next, pages, _EXHAUSTED)
            yield page  # type: ignore[misc]


def _table_exists(name: str) -> bool:
    """Whether an earlier run already created ``name`` (then its marker item is not needed)."""
    table = dlt.current.source_schema().tables.get(name)
    return bool(table and table.get("columns"))


def _option_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The custom fields whose values are options (single, cascading or multi-select)."""
    out = []
    for f in fields:
        schema = f.get("schema") or {}
        kind = schema.get("items") if schema.get("type") == "array" else None
        if f.get("custom") and (
            schema.get("type") in cfg.OPTION_SCHEMA_TYPES or kind in cfg.OPTION_SCHEMA_TYPES
        ):
            out.append(f)
    return out


class _Context:
    """Per-run shared lookups (projects, custom field ids), fetched lazily inside resources."""

    def __init__(self, settings: JiraSettings) -> None:
        self.settings = settings
        self.client = JiraClient(
            settings.base_url,
            deployment=settings.deployment,
            email=settings.email,
            api_token=settings.api_token,
            pat=settings.pat,
            verify=settings.verify,
            timeout_seconds=settings.timeout_seconds,
            max_attempts=settings.max_attempts,
            max_retry_wait_seconds=settings.max_retry_wait_seconds,
            backoff_base_seconds=settings.backoff_base_seconds,
        )
        self._lock = threading.Lock()
        self._projects: list[dict[str, Any]] | None = None
        self._fields: list[dict[str, Any]] | None = None
        self._boards: list[dict[str, Any]] | None = None
        self._contexts: list[tuple[dict[str, Any], dict[str, Any]]] | None = None

    @property
    def workers(self) -> int:
        return self.settings.concurrency

    @property
    def overlap_ms(self) -> int:
        return self.settings.overlap_minutes * 60_000

    @property
    def cloud(self) -> bool:
        return self.settings.deployment == "cloud"

    def all_projects(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._projects is None:
                c = self.client
                if self.cloud:
                    self._projects = [
                        p
                        for page in c.offset_pages(c.path(cfg.PROJECT_SEARCH), {"expand": "lead"})
                        for p in page
                    ]
                else:
                    self._projects = c.get_json(c.path(cfg.PROJECTS_DC), {"expand": "lead"})
            return self._projects

    def projects(self) -> list[dict[str, Any]]:
        """The configured projects (all visible ones by default), sorted by id."""
        projects = self.all_projects()
        if self.settings.projects:
            wanted = {k.upper() for k in self.settings.projects}
            missing = wanted - {p["key"].upper() for p in projects}
            if missing:
                raise JiraError(
                    f"Jira projects not found or not visible to the sync account: {sorted(missing)} "
                    "(check [sources.jira] projects)"
                )
            projects = [p for p in projects if p["key"].upper() in wanted]
        return sorted(projects, key=lambda p: int(p["id"]))

    def boards(self) -> list[dict[str, Any]]:
        """Agile boards of the configured projects (one listing shared by boards and sprints)."""
        projects = self.projects()
        with self._lock:
            if self._boards is None:
                keys = {p["key"] for p in projects}
                boards = [b for page in self.client.offset_pages(cfg.BOARDS) for b in page]
                self._boards = [
                    b for b in boards if (b.get("location") or {}).get("projectKey") in keys
                ]
            return self._boards

    def fields(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._fields is None:
                self._fields = self.client.get_json(self.client.path(cfg.FIELDS))
            return self._fields

    def custom_field_meta(self) -> dict[str, tuple[str | None, str | None]]:
        """Custom field id -> (name, schema type) of every custom field on the site now."""
        return {
            f["id"]: (f.get("name"), (f.get("schema") or {}).get("type"))
            for f in self.fields()
            if f.get("custom") or str(f.get("id", "")).startswith("customfield_")
        }

    def field_contexts(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(field, context) of every option field (Cloud; Data Center has no such endpoint)."""
        fields = self.fields()  # takes the lock itself
        with self._lock:
            if self._contexts is None:
                self._contexts = []
                if self.cloud:
                    for f in _option_fields(fields):
                        path = self.client.path(cfg.FIELD_CONTEXTS, field=f["id"])
                        for page in self.client.offset_pages(path):
                            self._contexts.extend((f, c) for c in page)
            return self._contexts

    def option_fields(self) -> list[tuple[str, Any]]:
        """(id, schema) of every option field: what field contexts and options are listed for."""
        return [(f["id"], f.get("schema")) for f in _option_fields(self.fields())]

    def field_roles(self) -> list[dict[str, Any]]:
        """``[sources.jira.field_roles]`` resolved against the site's fields (by id, then name)."""
        fields = self.fields()
        by_id = {f["id"]: f for f in fields}
        rows = []
        for role, ref in sorted(self.settings.field_roles.items()):
            ref = str(ref).strip()
            match = [by_id[ref]] if ref in by_id else []
            match = match or [f for f in fields if (f.get("name") or "") == ref]
            match = match or [f for f in fields if (f.get("name") or "").lower() == ref.lower()]
            status = "resolved" if len(match) == 1 else ("ambiguous" if match else "missing")
            if status == "missing":
                log.warning(
                    "Jira field role %s = %r: the site has no such field (by id or name); the "
                    "%s column stays empty until [sources.jira.field_roles] names an existing "
                    "field",
                    role,
                    ref,
                    role,
                )
            elif status == "ambiguous":
                log.warning(
                    "Jira field role %s = %r matches %d fields (%s); using %s. Name the field by "
                    "id in [sources.jira.field_roles] to choose",
                    role,
                    ref,
                    len(match),
                    ", ".join(f["id"] for f in match),
                    match[0]["id"],
                )
            chosen = match[0] if match else {}
            rows.append(
                {
                    "role": role,
                    "configured_as": ref,
                    "field_id": chosen.get("id"),
                    "field_name": chosen.get("name"),
                    "schema_type": (chosen.get("schema") or {}).get("type"),
                    "status": status,
                }
            )
        return rows

    def custom_fields(self) -> dict[str, str | None]:
        """Resolve story points, sprint and team to this site's custom field ids, by type then name."""
        overrides = self.settings.custom_field_overrides
        fields = self.fields()
        resolved: dict[str, str | None] = {}
        for role, custom_type in cfg.CUSTOM_FIELD_TYPES.items():
            if overrides.get(role):
                resolved[role] = overrides[role]
                continue
            name = cfg.CUSTOM_FIELD_NAMES[role]
            typed = [f for f in fields if (f.get("schema") or {}).get("custom") == custom_type]
            named = [f for f in typed if f.get("name") == name] or typed
            named = named or [f for f in fields if f.get("custom") and f.get("name") == name]
            resolved[role] = named[0]["id"] if named else None
        log.info("Jira custom fields resolved: %s", resolved)
        return resolved


def _table(name: str, primary_key: str | list[str], item: Any = None) -> Any:
    """Route ``item`` to table ``name`` with its own merge key; with no item, just create it."""
    # An empty Arrow table (not dlt's materialize marker, which would add a NOT NULL _dlt_id
    # that Arrow rows never fill) creates the table with the same columns as later rows.
    return dlt.mark.with_hints(
        item if item is not None else arrow(name, []),
        dlt.mark.make_hints(
            table_name=name,
            write_disposition="merge",
            primary_key=primary_key,
            columns=timestamp_hints(name),
        ),
        create_table_variant=True,
    )


# ---- dimensions ----------------------------------------------------------------------------


@dlt.resource(
    name="projects",
    write_disposition=_DIMENSION,
    primary_key="id",
    columns={
        "category_id": {"data_type": "bigint"},
        "category_name": {"data_type": "text"},
        "category_description": {"data_type": "text"},
        "lead_account_id": {"data_type": "text"},
    },
)
def projects(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {
                "id": int(p["id"]),
                "key": p["key"],
                "name": p.get("name"),
                "project_type_key": p.get("projectTypeKey"),
                "category_id": int(p["projectCategory"]["id"])
                if p.get("projectCategory")
                else None,
                "category_name": (p.get("projectCategory") or {}).get("name"),
                "category_description": (p.get("projectCategory") or {}).get("description"),
                "lead_account_id": user_id(p.get("lead")),
                "is_private": p.get("isPrivate"),
            }
            for p in ctx.projects()
        ]
    )


@dlt.resource(name="fields", write_disposition=_DIMENSION, primary_key="id")
def fields(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {
                "id": f["id"],
                "key": f.get("key"),
                "name": f.get("name"),
                "is_custom": bool(f.get("custom")),
                "is_navigable": f.get("navigable"),
                "schema_type": (f.get("schema") or {}).get("type"),
                "schema_items": (f.get("schema") or {}).get("items"),
                "schema_custom": (f.get("schema") or {}).get("custom"),
                "clause_names": ",".join(f.get("clauseNames") or []),
            }
            for f in ctx.fields()
        ]
    )


@dlt.resource(
    name="field_contexts",
    write_disposition=_DIMENSION,
    primary_key=("field_id", "context_id"),
    columns={"description": {"data_type": "text"}},
)
def field_contexts(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    """Contexts of option fields (Cloud): which projects/issue types a field's options apply to."""
    if not _listing_due(ctx, ctx.option_fields()):
        return
    yield from _dimension(
        [
            {
                "field_id": f["id"],
                "context_id": str(c["id"]),
                "name": c.get("name"),
                "description": c.get("description") or None,
                "is_global_context": c.get("isGlobalContext"),
                "is_any_issue_type": c.get("isAnyIssueType"),
            }
            for f, c in ctx.field_contexts()
        ],
        "field_contexts",
    )


@dlt.resource(
    name="field_options",
    write_disposition=_DIMENSION,
    primary_key=("field_id", "context_id", "option_id"),
    columns={"parent_option_id": {"data_type": "text"}},
)
def field_options(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    """Options of every context of every option field (multi-selects may arrive as ids only)."""
    if not _listing_due(ctx, ctx.option_fields()):
        return
    rows = []
    for f, c in ctx.field_contexts():
        path = ctx.client.path(cfg.FIELD_OPTIONS, field=f["id"], context=c["id"])
        for page in ctx.client.offset_pages(path, page_size=cfg.OPTIONS_PAGE_SIZE):
            rows.extend(
                {
                    "field_id": f["id"],
                    "context_id": str(c["id"]),
                    "option_id": str(o["id"]),
                    "value": o.get("value"),
                    "parent_option_id": str(o["optionId"]) if o.get("optionId") else None,
                    "is_disabled": bool(o.get("disabled")),
                }
                for o in page
            )
    yield from _dimension(rows, "field_options")


@dlt.resource(
    name="field_roles",
    write_disposition=_DIMENSION,
    primary_key="role",
    columns={
        "field_id": {"data_type": "text"},
        "field_name": {"data_type": "text"},
        "schema_type": {"data_type": "text"},
    },
)
def field_roles(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    """``[sources.jira.field_roles]`` as resolved this run (staging pivots values by role)."""
    yield from _dimension(ctx.field_roles(), "field_roles")


@dlt.resource(name="statuses", write_disposition=_DIMENSION, primary_key="id")
def statuses(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {
                "id": int(s["id"]),
                "name": s["name"],
                "status_category_id": (s.get("statusCategory") or {}).get("id"),
                "status_category_key": (s.get("statusCategory") or {}).get("key"),
                "status_category_name": (s.get("statusCategory") or {}).get("name"),
            }
            for s in ctx.client.get_json(ctx.client.path(cfg.STATUSES))
        ]
    )


@dlt.resource(name="priorities", write_disposition=_DIMENSION, primary_key="id")
def priorities(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {"id": int(p["id"]), "name": p["name"]}
            for p in ctx.client.get_json(ctx.client.path(cfg.PRIORITIES))
        ]
    )


@dlt.resource(name="resolutions", write_disposition=_DIMENSION, primary_key="id")
def resolutions(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {"id": int(p["id"]), "name": p["name"]}
            for p in ctx.client.get_json(ctx.client.path(cfg.RESOLUTIONS))
        ]
    )


@dlt.resource(name="issue_types", write_disposition=_DIMENSION, primary_key="id")
def issue_types(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {
                "id": int(t["id"]),
                "name": t["name"],
                "is_subtask": bool(t.get("subtask")),
                "hierarchy_level": t.get("hierarchyLevel"),
            }
            for t in ctx.client.get_json(ctx.client.path(cfg.ISSUE_TYPES))
        ]
    )


@dlt.resource(
    name="users",
    write_disposition=_DIMENSION,
    primary_key="account_id",
    columns={
        "email": {"data_type": "text"},
        "user_name": {"data_type": "text"},
    },
)
def users(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    if not _listing_due(ctx, None):
        return
    if ctx.cloud:
        pages = ctx.client.array_pages(ctx.client.path(cfg.USERS_SEARCH))
    else:
        pages = ctx.client.array_pages(ctx.client.path(cfg.USERS_SEARCH_DC), {"username": "."})
    yield from _dimension(
        [
            {
                "account_id": user_id(u),
                "user_name": u.get("name"),
                "display_name": u.get("displayName"),
                "email": u.get("emailAddress"),
                "is_active": u.get("active"),
                "account_type": u.get("accountType", "atlassian"),
                "time_zone": u.get("timeZone"),
            }
            for page in pages
            for u in page
        ]
    )


@dlt.resource(name="boards", write_disposition=_DIMENSION, primary_key="id")
def boards(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    yield from _dimension(
        [
            {
                "id": int(b["id"]),
                "name": b.get("name"),
                "type": b.get("type"),
                "project_id": (b.get("location") or {}).get("projectId"),
                "project_key": (b.get("location") or {}).get("projectKey"),
            }
            for b in ctx.boards()
        ]
    )


def _board_sprints(ctx: _Context, board: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        return [
            s
            for page in ctx.client.offset_pages(cfg.BOARD_SPRINTS.format(board=board["id"]))
            for s in page
        ]
    except JiraRequestError as exc:
        # Exactly this 400 means "no sprints" (team-managed boards); any other 400 is a bug.
        if exc.status == 400 and cfg.NO_SPRINTS_MESSAGE in " ".join(exc.messages):
            return []
        raise


@dlt.resource(
    name="sprints",
    write_disposition=_DIMENSION,
    primary_key="id",
    columns={
        "start_at": {"data_type": "timestamp", "timezone": False},
        "end_at": {"data_type": "timestamp", "timezone": False},
        "complete_at": {"data_type": "timestamp", "timezone": False},
        "created_at": {"data_type": "timestamp", "timezone": False},
    },
)
def sprints(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    # Sprint state changes without touching issues: listed on the refresh interval, written
    # when changed.
    scrum = [b for b in ctx.boards() if b.get("type") == "scrum"]  # kanban has no sprints
    if not _listing_due(ctx, sorted(int(b["id"]) for b in scrum)):
        return
    seen: set[int] = set()
    rows = []
    with _pool(ctx.workers) as pool:
        thunks = ((lambda b=b: (b, _board_sprints(ctx, b))) for b in scrum)
        for board, items in _ahead(pool, thunks, ctx.workers):
            for s in items:
                if s["id"] in seen:
                    continue  # a sprint shared by several boards
                seen.add(s["id"])
                rows.append(
                    {
                        "id": int(s["id"]),
                        "board_id": int(s.get("originBoardId") or board["id"]),
                        "name": s.get("name"),
                        "state": s.get("state"),
                        "goal": s.get("goal") or None,
                        "start_at": naive_utc(parse_ts(s.get("startDate"))),
                        "end_at": naive_utc(parse_ts(s.get("endDate"))),
                        "complete_at": naive_utc(parse_ts(s.get("completeDate"))),
                        "created_at": naive_utc(parse_ts(s.get("createdDate"))),
                    }
                )
    yield from _dimension(rows)


def _project_versions(ctx: _Context, p: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": int(v["id"]),
            "project_id": int(v.get("projectId") or p["id"]),
            "name": v.get("name"),
            "description": v.get("description") or None,
            "is_released": bool(v.get("released")),
            "is_archived": bool(v.get("archived")),
            "is_overdue": bool(v.get("overdue")),
            "start_date": date.fromisoformat(v["startDate"]) if v.get("startDate") else None,
            "release_date": date.fromisoformat(v["releaseDate"]) if v.get("releaseDate") else None,
        }
        for page in ctx.client.offset_pages(ctx.client.path(cfg.VERSIONS, project=p["key"]))
        for v in page
    ]


@dlt.resource(
    name="versions",
    write_disposition=_DIMENSION,
    primary_key="id",
    columns={
        "start_date": {"data_type": "date"},
        "release_date": {"data_type": "date"},
        "description": {"data_type": "text"},
    },
)
def versions(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    # Release state changes without touching issues: listed on the refresh interval, written
    # when changed.
    if not _listing_due(ctx, [p["key"] for p in ctx.projects()]):
        return
    with _pool(ctx.workers) as pool:
        thunks = ((lambda p=p: _project_versions(ctx, p)) for p in ctx.projects())
        rows = [row for chunk in _ahead(pool, thunks, ctx.workers) for row in chunk]
    yield from _dimension(rows)


def _project_components(ctx: _Context, p: dict[str, Any]) -> list[dict[str, Any]]:
    if ctx.cloud:
        items = [
            c
            for page in ctx.client.offset_pages(ctx.client.path(cfg.COMPONENTS, project=p["key"]))
            for c in page
        ]
    else:
        items = ctx.client.get_json(ctx.client.path(cfg.COMPONENTS_DC, project=p["key"]))
    return [
        {
            "id": int(c["id"]),
            "project_id": int(c.get("projectId") or p["id"]),
            "name": c.get("name"),
            "lead_account_id": user_id(c.get("lead")),
        }
        for c in items
    ]


@dlt.resource(
    name="components",
    write_disposition=_DIMENSION,
    primary_key="id",
    columns={
        "lead_account_id": {"data_type": "text"},
    },
)
def components(ctx: _Context) -> Iterator[list[dict[str, Any]]]:
    if not _listing_due(ctx, [p["key"] for p in ctx.projects()]):
        return
    with _pool(ctx.workers) as pool:
        thunks = ((lambda p=p: _project_components(ctx, p)) for p in ctx.projects())
        rows = [row for chunk in _ahead(pool, thunks, ctx.workers) for row in chunk]
    yield from _dimension(rows)


# ---- issues, history, worklogs, census ------------------------------------------------------


def _history_unchanged(
    raw: dict[str, Any], row: dict[str, Any], since_ms: int | None
) -> bool | None:
    """Whether the embedded changelog tail proves the issue has no history since ``since_ms``.

    True: no history created at or after ``since_ms`` (the issue resurfaced for a worklog,
    comment or other change that writes no history): its changelog and field history are as
    the last run loaded them. False: it has new histories. None: no embedded changelog (a full
    read), or a tail too short to tell.

    Exact because histories are append-only and the tail is the *most recent* entries: if the
    oldest embedded history is older than ``since_ms`` and none is newer, none is newer at all.
    Every tracked field (status, assignee, priority, resolution, summary, story points, sprint)
    writes a history when it changes, so the field-history rows derived from the issue's current
    values cannot have moved either.
    """
    created_at = row.get("created_at")
    if since_ms is None or created_at is None or created_at.timestamp() * 1000 >= since_ms:
        return None  # a new issue: its creation rows of the field history are not loaded yet
    embedded = raw.get("changelog")
    if not isinstance(embedded, dict):
        return None
    histories = embedded.get("histories") or []
    created = [parse_ts(h.get("created")) for h in histories]
    created_ms = [int(c.timestamp() * 1000) for c in created if c is not None]
    if len(created_ms) != len(histories):
        return None
    if any(c >= since_ms for c in created_ms):
        return False
    complete = int(embedded.get("total", len(histories) + 1)) <= len(histories)
    if complete or (created_ms and min(created_ms) < since_ms):
        return True
    return None


def _search_jql(bounds: dict[str, int | None]) -> str:
    """JQL (without ORDER BY) for the projects of ``bounds``, each from its own lower bound.

    Projects sharing a bound share a clause: ``(project in (1, 2) AND updated >= 5) OR (...)``.
    Each project keeps its own bound, not the earliest of them, so a quiet project (its cursor
    days behind) costs no re-read of the others. Bounds are epoch milliseconds: a zone-less
    date literal would be read in the API user's profile time zone.
    """
    by_bound: dict[int | None, list[str]] = {}
    for pid, bound in bounds.items():
        by_bound.setdefault(bound, []).append(pid)
    clauses = []
    for bound, pids in by_bound.items():
        clause = f"project = {pids[0]}" if len(pids) == 1 else f"project in ({', '.join(pids)})"
        if bound is not None:
            clause += f" AND updated >= {bound}"
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else " OR ".join(f"({c})" for c in clauses)


def _fetch_histories(
    ctx: _Context,
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    since: dict[int, int] | None = None,
    threads: tuple[dict[str, list[int]], dict[str, list[int] | None]] | None = None,
) -> dict[int, list[dict[str, Any]] | None]:
    """Changelog rows of a batch of issues: bulk fetch on Cloud, embedded (+ fallback) on DC.

    An incremental search embeds each issue's most recent histories (Cloud; Data Center all of
    them); ``since`` maps the issue ids of such a search to its lower bound. An issue whose tail shows no history since
    then maps to None (nothing to fetch or rewrite); one whose embedded changelog is complete is
    read from it. Only the rest go to ``changelog/bulkfetch``.

    Runs in a worker thread (network only, plus flattening), so the next search pages and
    batches are fetched while this one downloads.
    """
    now = _utcnow()
    by_issue: dict[int, list[dict[str, Any]] | None] = {row["id"]: [] for _, row in batch}
    if ctx.cloud:
        bulk: list[str] = []
        for raw, row in batch:
            verdict = _history_unchanged(raw, row, (since or {}).get(row["id"]))
            embedded = raw.get("changelog") or {}
            histories = embedded.get("histories") or []
            if verdict:
                by_issue[row["id"]] = None
            elif "changelog" in raw and 0 <= int(embedded.get("total", -1)) <= len(histories):
                # A complete embedded changelog (new history, or a new issue): no bulk fetch.
                for history in histories:
                    by_issue[row["id"]].extend(changelog_rows(raw["id"], history, now))  # type: ignore[union-attr]
            else:
                bulk.append(str(row["id"]))
        for issue_id, history in ctx.client.bulk_changelogs(bulk) if bulk else ():
            rows = by_issue.setdefault(int(issue_id), [])
            assert rows is not None
            rows.extend(changelog_rows(issue_id, history, now))
    else:
        for raw, row in batch:
            if _history_unchanged(raw, row, (since or {}).get(row["id"])):
                by_issue[row["id"]] = None  # nothing new to rewrite
                continue
            embedded = raw.get("changelog") or {}
            histories = embedded.get("histories") or []
            if int(embedded.get("total", len(histories))) > len(histories):
                histories = list(ctx.client.issue_changelog(raw["id"]))
            for history in histories:
                by_issue[row["id"]].extend(changelog_rows(raw["id"], history, now))  # type: ignore[union-attr]
    _complete_threads(ctx, batch, threads or ({}, {}))
    return by_issue


def _complete_threads(
    ctx: _Context,
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    threads: tuple[dict[str, list[int]], dict[str, list[int] | None]],
) -> None:
    """Complete the comment threads longer than the page a search embeds, in place.

    Staging treats a comment the latest extraction of its issue did not carry as deleted, so
    every re-read issue needs its whole thread. A thread read before (``threads[0]``: issue id
    -> comment ids, oldest first) whose ``total`` and embedded page still match is re-read by
    id, all such threads of the batch in one Cloud ``comment/list`` call, instead of one
    ``issue/{id}/comment`` call per issue. Exact: a comment added or deleted changes ``total``
    or the page, or leaves one of the known ids missing from the answer (add + delete past the
    page), and any of those reads the thread from its own endpoint; edits come with the read.
    The thread ids read now go to ``threads[1]`` (None: no longer a long thread).
    """
    known, seen = threads
    long: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for raw, _ in batch:
        embedded = (raw.get("fields") or {}).get("comment")
        if not embedded:
            continue
        if int(embedded.get("total") or 0) > len(embedded.get("comments") or []):
            long.append((raw, embedded))
        elif str(raw["id"]) in known:
            seen[str(raw["id"])] = None
    rest: dict[str, list[int]] = {}
    if ctx.cloud:
        for raw, embedded in long:
            ids = known.get(str(raw["id"])) or []
            head = [int(c["id"]) for c in embedded.get("comments") or []]
            if len(ids) == int(embedded["total"]) and ids[: len(head)] == head:
                rest[str(raw["id"])] = ids[len(head) :]
    by_id = {
        int(c["id"]): c
        for c in ctx.client.comments_by_ids([i for ids in rest.values() for i in ids])
        if rest
    }
    for raw, embedded in long:
        ids = rest.get(str(raw["id"]))
        if ids is not None and all(i in by_id for i in ids):
            embedded["comments"] = list(embedded["comments"]) + [by_id[i] for i in ids]
        else:
            embedded["comments"] = ctx.client.issue_comments(raw["id"])
        seen[str(raw["id"])] = [int(c["id"]) for c in embedded["comments"]]


# Tables derived from the issues; each row carries its issue's _extracted_at, so staging can tell
# a row the latest extraction still saw (current) from one it no longer did (removed).
_ISSUE_CHILD_TABLES = {
    "issue_custom_field_values": ["issue_id", "field_id", "value_digest"],
    "issue_comments": "id",
    "issue_links": ["id", "issue_id"],
}


def _issue_child_rows(
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    meta: dict[str, tuple[str | None, str | None]],
) -> dict[str, list[dict[str, Any]]]:
    """Custom field values, comments and links of a batch of issues."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in _ISSUE_CHILD_TABLES}
    for raw, row in batch:
        f = raw.get("fields") or {}
        at = row["_extracted_at"]
        for field_id, value in f.items():
            if field_id.startswith("customfield_"):
                name, schema_type = meta.get(field_id, (None, None))
                value_row = custom_value_row(row["id"], field_id, name, schema_type, value, at)
                if value_row is not None:
                    out["issue_custom_field_values"].append(value_row)
        for comment in (f.get("comment") or {}).get("comments") or []:
            out["issue_comments"].append(comment_row(row["id"], comment, at))
        for link in f.get("issuelinks") or []:
            link_out = link_row(row["id"], link, at)
            if link_out is not None:
                out["issue_links"].append(link_out)
    return out


def _history_tables(
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    by_issue: dict[int, list[dict[str, Any]] | None],
    custom: dict[str, str | None],
    meta: dict[str, tuple[str | None, str | None]],
) -> Iterator[Any]:
    """The tables of a batch; issues whose history is unchanged (None) keep their loaded rows."""
    now = _utcnow()
    for name, rows in _issue_child_rows(batch, meta).items():
        if rows:
            yield _table(name, _ISSUE_CHILD_TABLES[name], arrow(name, rows))
    changes = [c for rows in by_issue.values() if rows for c in rows]
    field_history = [
        h
        for _, row in batch
        if by_issue.get(row["id"], []) is not None
        for h in field_history_rows(row, by_issue.get(row["id"]) or [], custom, now)
    ]
    if changes:
        yield _table("changelog", ["history_id", "item_index"], arrow("changelog", changes))
    if field_history:
        yield _table(
            "issue_field_history",
            ["issue_id", "field_id", "history_id"],
            arrow("issue_field_history", field_history),
        )
    yield arrow("issues", [row for _, row in batch])


@dlt.resource(
    name="issues",
    write_disposition="merge",
    primary_key="id",
    columns=timestamp_hints("issues"),
)
def issues(ctx: _Context) -> Iterator[Any]:
    """Issues by ``updated`` (epoch-ms JQL, overlap window; one search for all incrementally read
    projects), with full history.

    Every custom field the site has *this run* is requested, so a field added since the last
    run is picked up by the next incremental read, with no full reload.
    """
    state = dlt.current.resource_state()
    cursors: dict[str, int] = state.setdefault("cursors", {})
    # Comment ids of the threads longer than a search embeds (Cloud: re-read by id, in bulk).
    threads: dict[str, list[int]] = state.setdefault("threads", {}) if ctx.cloud else {}
    new_threads: dict[str, list[int] | None] = {}
    for name, key in _ISSUE_CHILD_TABLES.items():
        if not _table_exists(name):
            yield _table(name, key)  # exists before the first value, comment or link
    custom = ctx.custom_fields()
    meta = ctx.custom_field_meta()
    fields = list(cfg.ISSUE_SYSTEM_FIELDS) + sorted(
        set(meta) | {fid for fid in custom.values() if fid}
    )
    # A Cloud-sized default would cost Data Center ten times the search pages it needs.
    largest = cfg.SEARCH_PAGE_SIZE if ctx.cloud else cfg.DC_SEARCH_PAGE_SIZE
    page_size = min(ctx.settings.page_size or largest, largest)

    # Data Center embeds the whole changelog. An incremental Cloud search embeds the most
    # recent histories: most issues it returns only had worklogs (or comments) change, and the
    # tail proves their history did not, so they cost no changelog/bulkfetch (_fetch_histories).
    # A first (full) read embeds nothing: bulkfetch is cheaper for whole histories.
    def lower_bound(pid: str) -> int | None:
        since = cursors.get(pid)
        return since - ctx.overlap_ms if since is not None else _date_ms(ctx.settings.start_date)

    def searches() -> list[list[str]]:
        """Project groups, one search each: every project without a cursor alone (a first,
        full read), the projects with cursors together (one JQL, each project with its own
        bound), so an incremental run costs one search page however many projects there are."""
        pids = [str(p["id"]) for p in ctx.projects()]
        known = [pid for pid in pids if pid in cursors]
        size = cfg.SEARCH_PROJECTS_PER_QUERY
        return [[pid] for pid in pids if pid not in cursors] + [
            known[i : i + size] for i in range(0, len(known), size)
        ]

    def first_page(
        group: list[str],
    ) -> tuple[Iterator[list[dict[str, Any]]], list[dict[str, Any]]]:
        # The first page of each search is fetched ahead in the pool (most incremental runs
        # need only that page); later pages continue the same generator in this thread.
        jql = _search_jql({pid: lower_bound(pid) for pid in group}) + " ORDER BY updated ASC"
        expand = "changelog" if not ctx.cloud or group[0] in cursors else None
        pages = ctx.client.search(jql, fields, page_size=page_size, expand=expand)
        return pages, next(pages, [])

    def history_batches(pool: ThreadPoolExecutor | None) -> Iterator[Any]:
        batch: list[tuple[dict[str, Any], dict[str, Any]]] = []
        groups = searches()
        thunks = ((lambda g=g: (g, *first_page(g))) for g in groups)
        for group, pages, first in _ahead(pool, thunks, max(1, ctx.workers - 2)):
            incremental = group[0] in cursors
            tops: dict[str, int] = {}
            read = 0
            for page in _read_ahead(_chain_first(first, pages), ctx.workers >= 2):
                read += len(page)
                progress.report("jira", f"{_project_group_label(group)}: {read:,} issues read")
                now = _utcnow()
                for raw in page:
                    row = issue_row(raw, custom, now)
                    batch.append((raw, row))
                    pid = str(row["project_id"])
                    if incremental and pid in cursors:
                        # The bound the search used for the issue's project: everything
                        # before it is loaded, so a tail older than it proves no new history.
                        tail_since[row["id"]] = lower_bound(pid)  # type: ignore[assignment]
                    if row["updated_ms"] is not None:
                        tops[pid] = max(tops.get(pid, row["updated_ms"]), row["updated_ms"])
                    if len(batch) == cfg.CHANGELOG_BATCH:
                        # Exactly one bulkfetch call's worth: a larger batch costs a 2nd call.
                        yield batch
                        batch = []
            for pid, top in tops.items():
                new_cursors[pid] = max(top, cursors.get(pid, top))
        if batch:
            yield batch

    new_cursors: dict[str, int] = {}
    tail_since: dict[int, int] = {}  # issue id -> lower bound of the search that embedded a tail
    # Requests in flight never exceed ``concurrency``: this thread pages the searches, one
    # background thread downloads changelog batches (at most two batches in memory: one
    # downloading while the next is assembled) and the rest fetch first pages ahead. Two
    # pools, so a batch waiting on its changelogs cannot starve the searches feeding the next.
    changelog_workers = 1 if ctx.workers >= 2 else 0
    search_workers = ctx.workers - 1 - changelog_workers
    with _pool(search_workers) as search_pool, _pool(changelog_workers) as changelog_pool:
        thunks = (
            (lambda b=b: (b, _fetch_histories(ctx, b, tail_since, (threads, new_threads))))
            for b in history_batches(search_pool)
        )
        for batch, by_issue in _ahead(changelog_pool, thunks, 2):
            yield from _history_tables(batch, by_issue, custom, meta)
    # Only now: a failure above leaves every cursor where the last complete load put it.
    cursors.update(new_cursors)
    for issue_id, ids in new_threads.items():
        if ids is None:
            threads.pop(issue_id, None)
        else:
            threads[issue_id] = ids


@dlt.resource(
    name="worklogs",
    write_disposition="merge",
    primary_key="id",
    columns=timestamp_hints("worklogs"),
)
def worklogs(ctx: _Context) -> Iterator[Any]:
    """Global incremental worklogs (``worklog/updated`` + ``list``) and tombstones (``deleted``)."""
    state = dlt.current.resource_state()
    if not _table_exists("worklogs_deleted"):
        yield _table("worklogs_deleted", "worklog_id")  # exists before the first deletion
    start = _date_ms(ctx.settings.start_date) or 0
    results: dict[str, int] = {}
    for kind in ("updated", "deleted"):
        previous = state.get(f"{kind}_until")
        since = max(0, previous - ctx.overlap_ms) if previous is not None else start
        until = previous if previous is not None else start
        for values, page_until in ctx.client.worklog_changes(kind, since):
            until = max(until, page_until)
            if not values:
                continue
            now = _utcnow()
            if kind == "updated":
                bodies = ctx.client.worklogs_by_ids([int(v["worklogId"]) for v in values])
                yield arrow("worklogs", [worklog_row(w, now) for w in bodies])
            else:
                rows = [
                    {
                        "worklog_id": int(v["worklogId"]),
                        "deleted_at": parse_ts(v["updatedTime"]),
                        "_extracted_at": now,
                    }
                    for v in values
                ]
                yield _table("worklogs_deleted", "worklog_id", arrow("worklogs_deleted", rows))
        results[kind] = until
    for kind, until in results.items():
        state[f"{kind}_until"] = until


@dlt.resource(
    name="issue_census",
    write_disposition="merge",
    primary_key="issue_id",
    columns=timestamp_hints("issue_census"),
)
def issue_census(ctx: _Context) -> Iterator[Any]:
    """Id-only census per project; staging marks issues missing from the latest run deleted."""
    # Both tables exist from the first run on, so staging can always read them.
    for name, key in (
        ("issue_census", "issue_id"),
        ("issue_census_runs", ["census_run_id", "project_id"]),
    ):
        if not _table_exists(name):
            yield _table(name, key)
    if not ctx.settings.reconcile:
        return
    state = dlt.current.resource_state()
    counts: dict[str, int] = state.setdefault("counts", {})
    run_id = _utcnow().strftime("%Y%m%dT%H%M%S.%fZ")
    page_size = cfg.CENSUS_PAGE_SIZE if ctx.cloud else cfg.DC_CENSUS_PAGE_SIZE
    runs = []
    new_counts: dict[str, int] = {}
    for project in ctx.projects():
        pid = int(project["id"])
        census_at = _utcnow()
        ids = [
            int(i["id"])
            for page in ctx.client.search(f"project = {pid}", ["id"], page_size=page_size)
            for i in page
        ]
        previous = counts.get(str(pid))
        if previous and len(ids) < previous * (1 - ctx.settings.mass_delete_ratio):
            raise JiraError(
                f"Jira census of project {project['key']} found {len(ids)} issues, the previous "
                f"found {previous}: refusing to mark so many deleted (mass_delete_ratio="
                f"{ctx.settings.mass_delete_ratio}). Check the sync account's permissions."
            )
        new_counts[str(pid)] = len(ids)
        if ids:
            yield arrow(
                "issue_census",
                [
                    {
                        "issue_id": i,
                        "project_id": pid,
                        "census_run_id": run_id,
                        "seen_at": census_at,
                    }
                    for i in ids
                ],
            )
        runs.append(
            {
                "census_run_id": run_id,
                "project_id": pid,
                "census_at": census_at,
                "issue_count": len(ids),
            }
        )
    if runs:
        yield _table(
            "issue_census_runs",
            ["census_run_id", "project_id"],
            arrow("issue_census_runs", runs),
        )
    counts.update(new_counts)


# ---- the source ----------------------------------------------------------------------------


def jira_resources(settings: JiraSettings) -> list[DltResource]:
    """The Jira resources for ``settings`` (no I/O until they are iterated): the table of contents."""
    ctx = _Context(settings)
    return [
        # dimensions: rewritten only when changed; per-entity listings on an interval
        projects(ctx),
        fields(ctx),
        field_contexts(ctx),
        field_options(ctx),
        field_roles(ctx),
        statuses(ctx),
        priorities(ctx),
        resolutions(ctx),
        issue_types(ctx),
        users(ctx),
        boards(ctx),
        sprints(ctx),
        versions(ctx),
        components(ctx),
        # facts: incremental, merged on Jira ids
        issues(ctx),
        worklogs(ctx),
        issue_census(ctx),
    ]


@dlt.source(name="jira", max_table_nesting=0)
def jira_source(
    base_url: str = dlt.config.value,
    deployment: str = "cloud",
    email: str | None = dlt.secrets.value,
    api_token: str | None = dlt.secrets.value,
    pat: str | None = dlt.secrets.value,
    projects: list[str] | None = None,
    start_date: str | None = None,
    page_size: int | None = None,
    custom_field_overrides: dict[str, str] | None = None,
    overlap_minutes: int = 5,
    reconcile: bool = False,
    verify: Any = True,
    max_attempts: int = 8,
    max_retry_wait_seconds: float = 300.0,
    backoff_base_seconds: float = 0.5,
    mass_delete_ratio: float = 0.5,
    concurrency: int = 4,
    dimension_refresh_hours: float = 24.0,
    field_roles: dict[str, str] | None = None,
) -> list[DltResource]:
    """The Jira dlt source (config under ``sources.jira``; secrets ``SOURCES__JIRA__*``).

    Args:
        base_url: site root (``SOURCES__JIRA__BASE_URL``).
        deployment: ``cloud`` or ``datacenter``.
        email: Cloud account email (``SOURCES__JIRA__EMAIL``).
        api_token: Cloud API token (``SOURCES__JIRA__API_TOKEN``).
        pat: Data Center personal access token (``SOURCES__JIRA__PAT``).
        projects: project keys to sync; all visible projects when empty.
        start_date: ISO date; the first sync reads changes from this date on.
        page_size: issues per search page (default and cap: Cloud 100, Data Center 1000).
        custom_field_overrides: role -> field id, for ``story_points``, ``sprint``, ``team``.
        overlap_minutes: re-read window on the issue and worklog cursors.
        reconcile: run the id-only census that detects deleted issues (nightly).
        verify: TLS verification: true/false or a CA bundle path.
        max_attempts: attempts per request on 429/5xx.
        max_retry_wait_seconds: total retry wait per request.
        backoff_base_seconds: first backoff ceiling on 5xx without ``Retry-After``.
        mass_delete_ratio: largest share of a project's issues one census may find missing.
        concurrency: requests in flight at once (1 to 5; Atlassian advises 3-5).
        dimension_refresh_hours: largest age of the per-project/board/field listings and the
            users before an incremental run fetches them again (0: every run).
        field_roles: PMO role -> custom field name or id (``[sources.jira.field_roles]``).

    Returns:
        The resources; nothing is requested until they are iterated.
    """
    settings = JiraSettings(
        base_url=base_url,
        deployment=deployment,
        email=email,
        api_token=api_token,
        pat=pat,
        projects=tuple(projects or ()),
        start_date=date.fromisoformat(start_date) if start_date else None,
        page_size=page_size,
        custom_field_overrides=dict(custom_field_overrides or {}),
        overlap_minutes=overlap_minutes,
        reconcile=reconcile,
        verify=verify,
        max_attempts=max_attempts,
        max_retry_wait_seconds=max_retry_wait_seconds,
        backoff_base_seconds=backoff_base_seconds,
        mass_delete_ratio=mass_delete_ratio,
        concurrency=concurrency,
        dimension_refresh_hours=dimension_refresh_hours,
        field_roles=dict(field_roles or {}),
    )
    return jira_resources(settings)
