"""A faithful local Jira: Cloud REST v3 and v2, Agile 1.0, and a Data Center mode (REST v2).

It serves a :class:`~sandbox.jira.world.JiraWorld` the way Jira does, including the parts that
trip connectors up: ``search/jql`` with ``nextPageToken``/``isLast`` and ``fields`` defaulting to
``id``; page caps (100 with fields, 5000 for id/key only); the old ``/search`` answering 410 on
Cloud; embedded changelogs cut to the last 40 entries and embedded worklogs to 20; epoch numbers in
``changelog/bulkfetch``; ``worklog/updated`` hiding the last minute; kanban boards answering 400 to
a sprint request; JQL date literals read in the API user's time zone. Faults (429, 5xx, latency)
come from :class:`~sandbox.http.FaultConfig`.

Eventual consistency: with ``FaultConfig.consistency_lag_seconds`` set, a write to an issue with an
odd id stays invisible to search for that many (wall-clock) seconds after :meth:`JiraWorld.tick`,
while even ids are indexed at once. The index therefore runs out of ``updated`` order, which is
what makes a cursor skip changes unless the client re-reads an overlap window.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sandbox.http import (
    FaultConfig,
    Router,
    SandboxRequest,
    SandboxResponse,
    SandboxServer,
    json_response,
)
from sandbox.jira.site_routes import SiteRoutes
from sandbox.jira.world import (
    EPIC,
    ISSUE_TYPES,
    LEGACY_POINTS_FIELD,
    PRIORITIES,
    RESOLUTIONS,
    SPRINT_FIELD,
    STATUS_CATEGORIES,
    STATUSES,
    STORY_POINTS_FIELD,
    TEAM_FIELD,
    History,
    Issue,
    JiraUser,
    JiraWorld,
    Worklog,
)
from sandbox.tls import CertificatePair

API_VERSIONS_CLOUD = "(?P<v>[23])"
AUTH_FAILED = "Client must be authenticated to access this resource."
NOT_FOUND_ISSUE = "Issue does not exist or you do not have permission to see it."
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)

SYSTEM_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("summary", "Summary", {"type": "string", "system": "summary"}),
    ("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}),
    ("project", "Project", {"type": "project", "system": "project"}),
    ("status", "Status", {"type": "status", "system": "status"}),
    ("priority", "Priority", {"type": "priority", "system": "priority"}),
    ("resolution", "Resolution", {"type": "resolution", "system": "resolution"}),
    ("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}),
    ("assignee", "Assignee", {"type": "user", "system": "assignee"}),
    ("reporter", "Reporter", {"type": "user", "system": "reporter"}),
    ("creator", "Creator", {"type": "user", "system": "creator"}),
    ("created", "Created", {"type": "datetime", "system": "created"}),
    ("updated", "Updated", {"type": "datetime", "system": "updated"}),
    ("duedate", "Due date", {"type": "date", "system": "duedate"}),
    (
        "timeoriginalestimate",
        "Original Estimate",
        {"type": "number", "system": "timeoriginalestimate"},
    ),
    ("timespent", "Time Spent", {"type": "number", "system": "timespent"}),
    ("timetracking", "Time tracking", {"type": "timetracking", "system": "timetracking"}),
    ("parent", "Parent", {"type": "issuelink", "system": "parent"}),
    ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
    ("components", "Components", {"type": "array", "items": "component", "system": "components"}),
    ("fixVersions", "Fix versions", {"type": "array", "items": "version", "system": "fixVersions"}),
    ("description", "Description", {"type": "string", "system": "description"}),
    ("worklog", "Log Work", {"type": "array", "items": "worklog", "system": "worklog"}),
    ("comment", "Comment", {"type": "comments-page", "system": "comment"}),
    (
        "issuelinks",
        "Linked Issues",
        {"type": "array", "items": "issuelinks", "system": "issuelinks"},
    ),
]
CUSTOM_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    (
        STORY_POINTS_FIELD,
        "Story Points",
        {
            "type": "number",
            "custom": "com.pyxis.greenhopper.jira:jsw-story-points",
            "customId": 10837,
        },
    ),
    (
        SPRINT_FIELD,
        "Sprint",
        {
            "type": "array",
            "items": "json",
            "custom": "com.pyxis.greenhopper.jira:gh-sprint",
            "customId": 10412,
        },
    ),
    (
        TEAM_FIELD,
        "Team",
        {
            "type": "team",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
            "customId": 11203,
        },
    ),
    (
        LEGACY_POINTS_FIELD,
        "Story Points (legacy)",
        {
            "type": "number",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
            "customId": 10016,
        },
    ),
]
ALL_FIELD_IDS = [f[0] for f in SYSTEM_FIELDS] + [f[0] for f in CUSTOM_FIELDS]
NON_NAVIGABLE = {"worklog", "comment", "timetracking"}


class JqlError(ValueError):
    """A JQL query the sandbox (or Jira) rejects with 400."""


def _token_re() -> re.Pattern[str]:
    return re.compile(
        r"""\s*(?:(\()|(\))|(,)|(>=|<=|!=|=|>|<)|"([^"]*)"|'([^']*)'|([\w\-./:+*]+))"""
    )


_TOKEN = _token_re()


def _tokenize(jql: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    jql = jql.strip()
    while pos < len(jql):
        m = _TOKEN.match(jql, pos)
        if not m or m.end() == pos:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {pos}.")
        pos = m.end()
        groups = m.groups()
        if groups[4] is not None or groups[5] is not None:
            tokens.append("\x00" + (groups[4] if groups[4] is not None else groups[5]))
        else:
            tokens.append(next(g for g in groups if g is not None))
    return tokens


def _split_or(tokens: list[str]) -> list[list[str]]:
    """``tokens`` split at the ORs outside parentheses."""
    parts: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        depth += token == "("
        depth -= token == ")"
        if depth == 0 and token.lower() == "or":
            parts.append([])
        else:
            parts[-1].append(token)
    if any(not part for part in parts):
        raise JqlError("Error in the JQL Query: expecting a clause around 'or'.")
    return parts


def _unwrap(tokens: list[str]) -> list[str]:
    """``tokens`` without parentheses around all of them (``(a AND b)`` -> ``a AND b``)."""
    while len(tokens) >= 2 and tokens[0] == "(" and tokens[-1] == ")":
        depth = 0
        for n, token in enumerate(tokens):
            depth += token == "("
            depth -= token == ")"
            if depth == 0 and n < len(tokens) - 1:
                return tokens  # "(a) AND (b)": the first group closes early
        tokens = tokens[1:-1]
    return tokens


class Query:
    """A parsed JQL subset: AND-ed clauses, OR-ed groups of them (``(a AND b) OR (c)``) plus
    ORDER BY."""

    def __init__(
        self, jql: str, world: JiraWorld, zone: ZoneInfo, *, _tokens: list[str] | None = None
    ) -> None:
        self.world = world
        self.zone = zone
        self.project_ids: set[int] | None = None
        self.predicates: list[Callable[[Issue], bool]] = []
        self.order: list[tuple[str, bool]] = []
        self.branches: list[Query] = []
        tokens = _tokenize(jql) if _tokens is None else _tokens
        lowered = [t.lower() for t in tokens]
        if "order" in lowered:
            at = lowered.index("order")
            if at + 1 >= len(tokens) or lowered[at + 1] != "by":
                raise JqlError("Error in the JQL Query: expecting 'by' after 'order'.")
            self._parse_order(tokens[at + 2 :])
            tokens = tokens[:at]
        parts = _split_or(tokens)
        if len(parts) > 1:
            self.branches = [Query("", world, zone, _tokens=_unwrap(part)) for part in parts]
            return
        self._parse_clauses(_unwrap(tokens))
        if not self.predicates and self.project_ids is None:
            raise JqlError(UNBOUNDED)

    def _parse_order(self, tokens: list[str]) -> None:
        for part in " ".join(tokens).split(","):
            words = part.split()
            if not words:
                continue
            name = words[0].lower()
            if name not in ("updated", "created", "key", "id", "issuekey", "rank"):
                raise JqlError(f"Not able to sort using field '{words[0]}'.")
            desc = len(words) > 1 and words[1].lower() == "desc"
            self.order.append((name, desc))
        if len(self.order) > 7:
            raise JqlError("The ORDER BY clause may contain at most 7 fields.")

    def _parse_clauses(self, tokens: list[str]) -> None:
        i = 0
        while i < len(tokens):
            if tokens[i].lower() == "and":
                i += 1
                continue
            if tokens[i].lower() == "or":
                raise JqlError("The sandbox JQL subset supports OR only between groups.")
            name = tokens[i].lower()
            if i + 1 >= len(tokens):
                raise JqlError(
                    f"Error in the JQL Query: expecting an operator after '{tokens[i]}'."
                )
            op = tokens[i + 1].lower()
            i += 2
            values: list[str]
            if op in ("in", "not"):
                if op == "not":
                    raise JqlError("The sandbox JQL subset does not support NOT IN.")
                if tokens[i] != "(":
                    raise JqlError("Error in the JQL Query: expecting '(' after 'in'.")
                end = tokens.index(")", i)
                values = [t for t in tokens[i + 1 : end] if t != ","]
                i = end + 1
                op = "in"
            else:
                values = [tokens[i]]
                i += 1
            values = [v.lstrip("\x00") for v in values]
            self._add_clause(name, op, values)

    def _add_clause(self, name: str, op: str, values: list[str]) -> None:
        world = self.world
        if name == "project":
            if op not in ("=", "in"):
                raise JqlError(f"The operator '{op}' is not supported by the 'project' field.")
            ids: set[int] = set()
            for value in values:
                project = world.project_by_key.get(value.upper()) or (
                    world.project_by_id.get(int(value)) if value.isdigit() else None
                )
                if project is None:
                    project = next((p for p in world.projects if p.name == value), None)
                if project is None:
                    raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
                ids.add(project.id)
            self.project_ids = ids if self.project_ids is None else self.project_ids & ids
        elif name in ("updated", "created"):
            if op not in (">=", ">", "<=", "<"):
                raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
            bound = self._date_ms(values[0], name)
            attr = "updated_ms" if name == "updated" else "created_ms"
            compare = {
                ">=": lambda a, b: a >= b,
                ">": lambda a, b: a > b,
                "<=": lambda a, b: a <= b,
                "<": lambda a, b: a < b,
            }[op]
            self.predicates.append(
                lambda issue, a=attr, c=compare, b=bound: c(getattr(issue, a), b)
            )
        elif name in ("key", "issuekey", "id"):
            wanted: set[int] = set()
            for value in values:
                if value.isdigit():
                    wanted.add(int(value))
                elif value.upper() in world.issue_by_key:
                    wanted.add(world.issue_by_key[value.upper()])
            self.predicates.append(lambda issue, w=wanted: issue.id in w)
        elif name in ("issuetype", "type"):
            names = {v.lower() for v in values}
            type_ids = {tid for tid, (n, _, _) in ISSUE_TYPES.items() if n.lower() in names}
            self.predicates.append(lambda issue, t=type_ids: issue.type_id in t)
        else:
            raise JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it."
            )

    def _date_ms(self, value: str, name: str) -> int:
        if value.lstrip("-").isdigit():  # a bare number is epoch milliseconds
            return int(value)
        # Date literals are read in the API user's profile time zone, as Jira does.
        for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
            try:
                parsed = datetime.strptime(value, fmt).replace(tzinfo=self.zone)
            except ValueError:
                continue
            return int(parsed.timestamp() * 1000)
        raise JqlError(
            f"Date value '{value}' for field '{name}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format."
        )

    def _matches(self, visible: Callable[[Issue], bool]) -> list[Issue]:
        world = self.world
        if self.branches:
            found: dict[int, Issue] = {}
            for branch in self.branches:
                found.update((i.id, i) for i in branch._matches(visible))
            return list(found.values())
        project_ids = (
            self.project_ids if self.project_ids is not None else world.issues_by_project.keys()
        )
        ids = itertools.chain.from_iterable(
            world.issues_by_project.get(pid, ()) for pid in project_ids
        )
        issues = [world.issues[i] for i in ids]
        return [i for i in issues if all(p(i) for p in self.predicates) and visible(i)]

    def run(self, visible: Callable[[Issue], bool]) -> list[int]:
        issues = self._matches(visible)
        for name, desc in reversed(self.order or [("id", False)]):
            key: Callable[[Issue], Any]
            if name == "updated":
                key = _updated_key
            elif name == "created":
                key = _created_key
            elif name in ("key", "issuekey"):
                key = _issue_key_sort
            else:
                key = _id_key
            issues.sort(key=key, reverse=desc)
        return [i.id for i in issues]


def _updated_key(issue: Issue) -> int:
    return issue.updated_ms


def _created_key(issue: Issue) -> int:
    return issue.created_ms


def _id_key(issue: Issue) -> int:
    return issue.id


def _issue_key_sort(issue: Issue) -> tuple[str, int]:
    prefix, _, num = issue.key.rpartition("-")
    return prefix, int(num)


def _split_fields(values: Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


class JiraSandbox(SiteRoutes):
    """A running sandbox Jira. Use as a context manager or call :meth:`stop`."""

    def __init__(
        self,
        world: JiraWorld,
        *,
        mode: str = "cloud",
        tls: CertificatePair | None = None,
        faults: FaultConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if mode not in ("cloud", "dc"):
            raise ValueError(f"mode must be 'cloud' or 'dc', not {mode!r}")
        self.world = world
        self.mode = mode
        self.tls = tls
        self.faults = faults or FaultConfig()
        seed = f"{world.portfolio.seed}:{world.portfolio.tier}"
        self.email = world.api_user.email or "pmo-sync@example.com"
        self.api_token = "ATATT3x" + hashlib.sha256(f"token:{seed}".encode()).hexdigest()[:40]
        self.pat = "NjE" + hashlib.sha256(f"pat:{seed}".encode()).hexdigest()[:41]
        self.zone = ZoneInfo(world.api_user.time_zone)
        self._basic = (
            "Basic " + base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()
        )
        self._bearer = f"Bearer {self.pat}"
        # Data Center also takes basic auth with the user's name and password.
        self.username = world.api_user.dc_name
        self.password = "dc-" + hashlib.sha256(f"password:{seed}".encode()).hexdigest()[:20]
        self._dc_basic = (
            "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        )
        # The API version of the request being served (links in a v2 answer point to v2).
        self._request_local = threading.local()
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, list[int]] = OrderedDict()
        self._query_seq = itertools.count(1)
        self._change_cache: dict[str, tuple[int, list[tuple[int, int]]]] = {}
        router = Router()
        self._register(router)
        self.server = SandboxServer(
            router, name=f"jira-sandbox-{mode}", host=host, port=port, tls=tls, faults=self.faults
        )
        self.server.start()

    # ---- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api(self) -> str:
        """``{url}/rest/api/{v}`` for the version of the request being served."""
        version = getattr(self._request_local, "version", None) or (
            "3" if self.mode == "cloud" else "2"
        )
        return f"{self.url}/rest/api/{version}"

    @property
    def cert_path(self) -> str | None:
        return str(self.tls.cert_path) if self.tls else None

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> JiraSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- routing -------------------------------------------------------------------------

    def _register(self, router: Router) -> None:
        v = API_VERSIONS_CLOUD if self.mode == "cloud" else "(?P<v>2)"
        api = f"/rest/api/{v}"
        routes: list[tuple[str, str, Callable[[SandboxRequest], SandboxResponse], bool]] = [
            ("GET", f"{api}/serverInfo", self._server_info, False),
            ("GET", f"{api}/myself", self._myself, True),
            ("GET", f"{api}/field", self._fields, True),
            ("GET", f"{api}/status", self._statuses, True),
            ("GET", f"{api}/statuscategory", self._status_categories, True),
            ("GET", f"{api}/priority", self._priorities, True),
            ("GET", f"{api}/resolution", self._resolutions, True),
            ("GET", f"{api}/issuetype", self._issue_types, True),
            ("GET", f"{api}/project", self._projects_array, True),
            ("GET", f"{api}/project/search", self._project_search, True),
            ("GET", f"{api}/issue/(?P<issue>[^/]+)", self._issue, True),
            ("GET", f"{api}/issue/(?P<issue>[^/]+)/changelog", self._issue_changelog, True),
            ("GET", f"{api}/issue/(?P<issue>[^/]+)/worklog", self._issue_worklogs, True),
            ("GET", f"{api}/worklog/updated", self._worklog_updated, True),
            ("GET", f"{api}/worklog/deleted", self._worklog_deleted, True),
            ("POST", f"{api}/worklog/list", self._worklog_list, True),
            *self._project_listing_routes(api),
            *self._directory_routes(api),
            ("GET", "/rest/agile/1.0/board", self._boards, True),
            ("GET", r"/rest/agile/1.0/board/(?P<board>\d+)/sprint", self._sprints, True),
            *self._site_routes(api),  # custom fields, comments, links (site_routes.py)
        ]
        if self.mode == "cloud":
            routes += [
                ("GET", f"{api}/search/jql", self._search_jql, True),
                ("POST", f"{api}/search/jql", self._search_jql, True),
                ("POST", f"{api}/search/approximate-count", self._approximate_count, True),
                ("POST", f"{api}/changelog/bulkfetch", self._changelog_bulkfetch, True),
                ("GET", f"{api}/users/search", self._users_search, True),
                ("GET", f"{api}/search", self._search_gone, True),
                ("POST", f"{api}/search", self._search_gone, True),
            ]
        else:
            routes += [
                ("GET", f"{api}/search", self._search_dc, True),
                ("POST", f"{api}/search", self._search_dc, True),
                ("GET", f"{api}/user/search", self._users_search_dc, True),
            ]
        for method, pattern, handler, auth in routes:
            router.add(method, pattern, self._guard(handler) if auth else handler)

    def _guard(
        self, handler: Callable[[SandboxRequest], SandboxResponse]
    ) -> Callable[[SandboxRequest], SandboxResponse]:
        accepted = {self._basic} if self.mode == "cloud" else {self._bearer, self._dc_basic}

        def guarded(request: SandboxRequest) -> SandboxResponse:
            self._request_local.version = request.params.get("v")
            if request.header("authorization") not in accepted:
                # The body never echoes what the client sent.
                return json_response(
                    {"errorMessages": [AUTH_FAILED], "errors": {}},
                    401,
                    **{"WWW-Authenticate": 'Basic realm="protected-area"'},
                )
            try:
                response = handler(request)
            except JqlError as exc:
                response = json_response({"errorMessages": [str(exc)], "errors": {}}, 400)
            response.content_type = "application/json;charset=UTF-8"  # as Jira sends it
            return response

        return guarded

    # ---- rendering -----------------------------------------------------------------------

    def ts(self, ms: int | None) -> str | None:
        """Jira's timestamp shape: ``2022-12-08T02:22:18.889-0800`` in the API user's zone."""
        if ms is None:
            return None
        local = datetime.fromtimestamp(ms / 1000, tz=self.zone)
        return f"{local:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}{local:%z}"

    @staticmethod
    def utc(ms: int | None) -> str | None:
        if ms is None:
            return None
        return f"{datetime.fromtimestamp(ms / 1000, tz=UTC):%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"

    def user(self, account_id: str | None) -> dict[str, Any] | None:
        if account_id is None:
            return None
        u: JiraUser = self.world.user_by_id[account_id]
        return self._user_json(u)

    def _user_json(self, u: JiraUser) -> dict[str, Any]:
        if self.mode == "dc":
            body: dict[str, Any] = {
                "self": f"{self.api}/user?username={u.dc_name}",
                "name": u.dc_name,
                "key": u.dc_key,
                "displayName": u.display_name,
                "active": u.active,
                "timeZone": u.time_zone,
            }
        else:
            body = {
                "self": f"{self.api}/user?accountId={u.account_id}",
                "accountId": u.account_id,
                "accountType": u.account_type,
                "displayName": u.display_name,
                "active": u.active,
                "timeZone": u.time_zone,
                "avatarUrls": {"48x48": f"{self.url}/avatar/{u.account_id}.png"},
            }
        if u.email is not None:
            body["emailAddress"] = u.email
        return body

    def _rich_text(self, text: str, version: str) -> Any:
        if version == "2" or self.mode == "dc":
            return text
        return {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
        }

    def status_json(self, status_id: int) -> dict[str, Any]:
        name, category = STATUSES[status_id]
        return {
            "self": f"{self.api}/status/{status_id}",
            "id": str(status_id),
            "name": name,
            "description": "",
            "statusCategory": dict(STATUS_CATEGORIES[category]),
        }

    def issue_type_json(self, type_id: int) -> dict[str, Any]:
        name, level, subtask = ISSUE_TYPES[type_id]
        return {"id": str(type_id), "name": name, "subtask": subtask, "hierarchyLevel": level}

    def project_json(self, project_id: int, *, expand: str = "") -> dict[str, Any]:
        p = self.world.project_by_id[project_id]
        body: dict[str, Any] = {
            "self": f"{self.api}/project/{p.id}",
            "id": str(p.id),
            "key": p.key,
            "name": p.name,
            "projectTypeKey": "software",
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
        }
        if p.category_id is not None:
            body["projectCategory"] = {
                "self": f"{self.api}/projectCategory/{p.category_id}",
                "id": str(p.category_id),
                "name": p.category_name,
                "description": p.name,
            }
        wanted = set(expand.split(",")) if expand else set()
        # Every Jira project has a lead; the world's unmapped ones (no PM) just leave it out.
        if ("lead" in wanted or self.mode == "dc") and p.lead is not None:
            body["lead"] = self.user(p.lead)
        if "description" in wanted:
            body["description"] = f"{p.name} ({p.project_code or 'no finance code'})"
        if "url" in wanted:
            body["url"] = ""  # Jira's "project URL" setting, empty unless an admin set one
        if "projectKeys" in wanted:
            body["projectKeys"] = [p.key]
        if "issueTypes" in wanted:
            body["issueTypes"] = [self.issue_type_json(t) for t in ISSUE_TYPES]
        if wanted:
            body["expand"] = "description,lead,issueTypes,url,projectKeys,permissions,insight"
        return body

    def history_json(self, h: History, *, epoch: bool = False) -> dict[str, Any]:
        return {
            "id": str(h.id),
            "author": self.user(h.author),
            "created": h.created_ms if epoch else self.ts(h.created_ms),
            "items": [
                {
                    "field": f,
                    "fieldtype": ft,
                    "fieldId": fid,
                    "from": fr,
                    "fromString": frs,
                    "to": to,
                    "toString": tos,
                }
                for f, ft, fid, fr, frs, to, tos in h.items
            ],
        }

    def worklog_json(self, wl: Worklog, version: str) -> dict[str, Any]:
        hours, rest = divmod(wl.seconds, 3600)
        spent = " ".join(
            x for x in (f"{hours}h" if hours else "", f"{rest // 60}m" if rest else "") if x
        )
        body: dict[str, Any] = {
            "self": f"{self.url}/rest/api/{version}/issue/{wl.issue_id}/worklog/{wl.id}",
            "author": self.user(wl.author),
            "updateAuthor": self.user(wl.author),
            "created": self.ts(wl.created_ms),
            "updated": self.ts(wl.updated_ms),
            "started": self.ts(wl.started_ms),
            "timeSpent": spent or "0m",
            "timeSpentSeconds": wl.seconds,
            "id": str(wl.id),
            "issueId": str(wl.issue_id),
        }
        if wl.comment:
            body["comment"] = self._rich_text(wl.comment, version)
        return body

    def issue_json(
        self,
        issue: Issue,
        fields: list[str] | None,
        expand: str,
        version: str,
        *,
        changelog_cap: int | None = 40,
        names_in_issue: bool = True,
    ) -> dict[str, Any]:
        wanted = self._resolve_fields(fields)
        body: dict[str, Any] = {"id": str(issue.id)}
        if wanted is None:
            return body
        body = {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": str(issue.id),
            "self": f"{self.url}/rest/api/{version}/issue/{issue.id}",
            "key": issue.key,
        }
        if wanted:
            body["fields"] = {name: self._field(issue, name, version) for name in wanted}
        if "changelog" in expand:
            histories = self.world.histories(issue)
            shown = histories if changelog_cap is None else histories[-changelog_cap:]
            body["changelog"] = {
                "startAt": 0,
                "maxResults": len(shown),
                "total": len(histories),
                "histories": [self.history_json(h) for h in reversed(shown)],
            }
        self._expand_issue(body, issue, wanted or [], expand, version, names_in_issue)
        return body

    def _resolve_fields(self, fields: list[str] | None) -> list[str] | None:
        """None = id only; [] = id/key only; else the field ids to render."""
        if not fields:
            return None
        include: list[str] = []
        exclude = {f[1:] for f in fields if f.startswith("-")}
        for f in fields:
            if f.startswith("-"):
                continue
            if f == "*all":
                include.extend(ALL_FIELD_IDS + self._site_field_ids())
            elif f == "*navigable":
                include.extend(x for x in ALL_FIELD_IDS if x not in NON_NAVIGABLE)
                include.extend(self._site_field_ids())
            elif f in ("id",):
                continue
            elif f == "key":
                include.append("__key__")
            elif f in ALL_FIELD_IDS or f in self._site_field_ids():
                include.append(f)
        if not include:
            return None if fields == ["id"] else []
        seen: dict[str, None] = {}
        for f in include:
            if f != "__key__" and f not in exclude:
                seen[f] = None
        return list(seen)

    def _field(self, issue: Issue, name: str, version: str) -> Any:
        w = self.world
        if name == "summary":
            return issue.summary
        if name == "issuetype":
            return self.issue_type_json(issue.type_id)
        if name == "project":
            return self.project_json(issue.project_id)
        if name == "status":
            return self.status_json(issue.status_id)
        if name == "priority":
            return {"id": str(issue.priority_id), "name": PRIORITIES[issue.priority_id]}
        if name == "resolution":
            if issue.resolution_id is None:
                return None
            return {"id": str(issue.resolution_id), "name": RESOLUTIONS[issue.resolution_id]}
        if name == "resolutiondate":
            return self.ts(issue.resolved_ms)
        if name == "assignee":
            return self.user(issue.assignee)
        if name in ("reporter", "creator"):
            return self.user(issue.reporter)
        if name == "created":
            return self.ts(issue.created_ms)
        if name == "updated":
            return self.ts(issue.updated_ms)
        if name == "duedate":
            return issue.due_date.isoformat() if issue.due_date else None
        if name == "timeoriginalestimate":
            return issue.estimate_seconds
        if name == "timespent":
            return issue.time_spent_seconds or None
        if name == "timetracking":
            tt: dict[str, Any] = {}
            if issue.estimate_seconds:
                tt["originalEstimateSeconds"] = issue.estimate_seconds
            if issue.time_spent_seconds:
                tt["timeSpentSeconds"] = issue.time_spent_seconds
            return tt
        if name == "parent":
            if issue.parent_id is None or issue.parent_id not in w.issues:
                return None
            parent = w.issues[issue.parent_id]
            return {
                "id": str(parent.id),
                "key": parent.key,
                "self": f"{self.url}/rest/api/{version}/issue/{parent.id}",
                "fields": {
                    "summary": parent.summary,
                    "status": self.status_json(parent.status_id),
                    "issuetype": self.issue_type_json(parent.type_id),
                },
            }
        if name == "labels":
            return list(issue.labels)
        if name == "components":
            comps = w.component_by_id
            return [
                {"id": str(c), "name": comps[c].name} for c in issue.component_ids if c in comps
            ]
        if name == "fixVersions":
            vers = w.version_by_id
            return [
                {
                    "id": str(v),
                    "name": vers[v].name,
                    "released": vers[v].released,
                    "archived": vers[v].archived,
                    "releaseDate": vers[v].release_date.isoformat()
                    if vers[v].release_date
                    else None,
                }
                for v in issue.version_ids
                if v in vers
            ]
        if name == "description":
            if issue.type_id == EPIC:
                return None
            return self._rich_text(f"{issue.summary}. Acceptance criteria to be agreed.", version)
        if name == "worklog":
            logs = w.issue_worklogs(issue.id)
            return {
                "startAt": 0,
                "maxResults": 20,
                "total": len(logs),
                "worklogs": [self.worklog_json(x, version) for x in logs[:20]],
            }
        if name == "comment":
            return self._comment_field(issue, version)
        if name == "issuelinks":
            return self._issuelinks_field(issue, version)
        if name == STORY_POINTS_FIELD:
            return issue.story_points
        if name == SPRINT_FIELD:
            if not issue.sprint_ids:
                return None
            return [self.sprint_json(w.sprint_by_id[s], short=True) for s in issue.sprint_ids]
        if name == TEAM_FIELD:
            if issue.team_id is None:
                return None
            team = w.team_by_id[issue.team_id]
            return {"id": team.id, "name": team.name, "title": team.name, "isShared": True}
        if name == LEGACY_POINTS_FIELD:
            return None
        return self._site_field(issue, name, version)

    def sprint_json(self, s: Any, *, short: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": s.id,
            "name": s.name,
            "state": s.state,
            "boardId": s.board_id,
            "goal": s.goal,
            "startDate": self.utc(s.start_ms),
            "endDate": self.utc(s.end_ms),
        }
        if s.complete_ms is not None:
            body["completeDate"] = self.utc(s.complete_ms)
        if not short:
            body["self"] = f"{self.url}/rest/agile/1.0/sprint/{s.id}"
            body["originBoardId"] = body.pop("boardId")
            body["createdDate"] = self.utc(s.created_ms)
        return body

    # ---- helpers -------------------------------------------------------------------------

    def _visible(self) -> Callable[[Issue], bool]:
        lag = self.faults.consistency_lag_seconds
        if not lag:
            return lambda issue: True
        now = time.time()
        written = self.world.written_at

        def visible(issue: Issue) -> bool:
            return issue.id % 2 == 0 or now - written.get(issue.id, 0.0) >= lag

        return visible

    def _find_issue(self, id_or_key: str) -> Issue | None:
        w = self.world
        if id_or_key.isdigit():
            return w.issues.get(int(id_or_key))
        issue_id = w.issue_by_key.get(id_or_key.upper())
        return w.issues.get(issue_id) if issue_id is not None else None

    def _find_project(self, key_or_id: str) -> int | None:
        w = self.world
        if key_or_id.isdigit() and int(key_or_id) in w.project_by_id:
            return int(key_or_id)
        p = w.project_by_key.get(key_or_id.upper())
        return p.id if p else None

    def _offset_page(
        self, request: SandboxRequest, items: list[Any], *, default: int = 50, cap: int = 50
    ) -> dict[str, Any]:
        """Jira's offset page: platform pages carry absolute ``self``/``nextPage``, agile none."""
        start = request.int_arg("startAt", 0)
        size = max(1, min(request.int_arg("maxResults", default), cap))
        page = items[start : start + size]
        is_last = start + size >= len(items)
        body: dict[str, Any] = {}
        if not request.path.startswith("/rest/agile/"):
            body["self"] = self._page_url(request, start, size)
            if not is_last:
                body["nextPage"] = self._page_url(request, start + size, size)
        body.update(
            {
                "maxResults": size,
                "startAt": start,
                "total": len(items),
                "isLast": is_last,
                "values": page,
            }
        )
        return body

    def _page_url(self, request: SandboxRequest, start: int, size: int) -> str:
        params = [
            (k, v)
            for k, vs in request.query.items()
            if k not in ("startAt", "maxResults")
            for v in vs
        ]
        params += [("startAt", str(start)), ("maxResults", str(size))]
        return f"{self.url}{request.path}?{urlencode(params, safe=',')}"

    def _search_params(self, request: SandboxRequest) -> dict[str, Any]:
        if request.method == "POST":
            body = request.json() or {}
            fields = body.get("fields")
            if isinstance(fields, str):
                fields = [fields]
            expand = body.get("expand") or ""
            if isinstance(expand, list):
                expand = ",".join(expand)
            return {
                "jql": body.get("jql") or "",
                "fields": _split_fields(fields),
                "expand": expand,
                "maxResults": body.get("maxResults"),
                "nextPageToken": body.get("nextPageToken"),
                "startAt": body.get("startAt", 0),
            }
        return {
            "jql": request.arg("jql", "") or "",
            "fields": _split_fields(request.query.get("fields")),
            "expand": ",".join(request.query.get("expand", [])),
            "maxResults": request.arg("maxResults"),
            "nextPageToken": request.arg("nextPageToken"),
            "startAt": request.arg("startAt", "0"),
        }

    def _run_query(self, jql: str) -> list[int]:
        return Query(jql, self.world, self.zone).run(self._visible())

    # ---- handlers ------------------------------------------------------------------------

    def _server_info(self, request: SandboxRequest) -> SandboxResponse:
        if self.mode == "cloud":
            version, numbers, deployment = "1001.0.0-SNAPSHOT", [1001, 0, 0], "Cloud"
        else:
            version, numbers, deployment = "9.12.15", [9, 12, 15], "Server"
        return json_response(
            {
                "baseUrl": self.url,
                "version": version,
                "versionNumbers": numbers,
                "deploymentType": deployment,
                "buildNumber": 100294,
                "buildDate": "2026-11-01T00:00:00.000+0000",
                "serverTime": self.ts(self.world.now_ms),
                "serverTimeZone": str(self.zone),
                "scmInfo": "sandbox",
                "serverTitle": "pmo-hub sandbox Jira",
            }
        )

    def _myself(self, request: SandboxRequest) -> SandboxResponse:
        return json_response(self._user_json(self.world.api_user))

    def _fields(self, request: SandboxRequest) -> SandboxResponse:
        out = []
        for fid, name, schema in SYSTEM_FIELDS + CUSTOM_FIELDS + self._site_field_defs():
            custom = fid.startswith("customfield_")
            out.append(
                {
                    "id": fid,
                    "key": fid,
                    "name": name,
                    "custom": custom,
                    "orderable": True,
                    "navigable": fid not in NON_NAVIGABLE,
                    "searchable": True,
                    "clauseNames": [fid, f"cf[{fid.split('_')[1]}]", name] if custom else [fid],
                    "schema": schema,
                }
            )
        return json_response(out)

    def _statuses(self, request: SandboxRequest) -> SandboxResponse:
        return json_response([self.status_json(s) for s in STATUSES])

    def _status_categories(self, request: SandboxRequest) -> SandboxResponse:
        return json_response(list(STATUS_CATEGORIES.values()))

    def _priorities(self, request: SandboxRequest) -> SandboxResponse:
        return json_response(
            [{"id": str(k), "name": v, "description": v} for k, v in PRIORITIES.items()]
        )

    def _resolutions(self, request: SandboxRequest) -> SandboxResponse:
        return json_response(
            [{"id": str(k), "name": v, "description": v} for k, v in RESOLUTIONS.items()]
        )

    def _issue_types(self, request: SandboxRequest) -> SandboxResponse:
        return json_response([self.issue_type_json(t) for t in ISSUE_TYPES])

    def _projects_array(self, request: SandboxRequest) -> SandboxResponse:
        expand = request.arg("expand", "") or ""
        return json_response([self.project_json(p.id, expand=expand) for p in self.world.projects])

    def _project_search(self, request: SandboxRequest) -> SandboxResponse:
        expand = request.arg("expand", "") or ""
        items = [self.project_json(p.id, expand=expand) for p in self.world.projects]
        return json_response(self._offset_page(request, items, default=50, cap=100))

    def _project_versions(self, request: SandboxRequest) -> list[dict[str, Any]] | None:
        pid = self._find_project(request.params["project"])
        if pid is None:
            return None
        today = self.world.now.date()
        return [
            {
                "self": f"{self.api}/version/{v.id}",
                "id": str(v.id),
                "name": v.name,
                "description": v.description,
                "archived": v.archived,
                "released": v.released,
                "startDate": v.start_date.isoformat() if v.start_date else None,
                "releaseDate": v.release_date.isoformat() if v.release_date else None,
                "overdue": bool(not v.released and v.release_date and v.release_date < today),
                "projectId": v.project_id,
            }
            for v in self.world.versions
            if v.project_id == pid
        ]

    def _project_listing_routes(
        self, api: str
    ) -> list[tuple[str, str, Callable[[SandboxRequest], SandboxResponse], bool]]:
        """`/versions` and `/components` answer arrays; `/version` and `/component` pages."""
        routes = []
        for noun, items_of in (
            ("version", self._project_versions),
            ("component", self._project_components),
        ):
            for suffix, paged in (("s", False), ("", True)):
                routes.append(
                    (
                        "GET",
                        f"{api}/project/(?P<project>[^/]+)/{noun}{suffix}",
                        partial(self._project_listing, items_of=items_of, paged=paged),
                        True,
                    )
                )
        return routes

    def _project_listing(
        self,
        request: SandboxRequest,
        items_of: Callable[[SandboxRequest], list[dict[str, Any]] | None],
        paged: bool,
    ) -> SandboxResponse:
        """Jira serves project versions/components both as a bare array and as an offset page."""
        items = items_of(request)
        if items is None:
            return json_response({"errorMessages": ["No project could be found."]}, 404)
        if paged:
            return json_response(self._offset_page(request, items, default=50, cap=50))
        return json_response(items)

    def _project_components(self, request: SandboxRequest) -> list[dict[str, Any]] | None:
        pid = self._find_project(request.params["project"])
        if pid is None:
            return None
        key = self.world.project_by_id[pid].key
        return [
            {
                "self": f"{self.api}/component/{c.id}",
                "id": str(c.id),
                "name": c.name,
                "lead": self.user(c.lead),
                "projectId": c.project_id,
                "project": key,
            }
            for c in self.world.components
            if c.project_id == pid
        ]

    def _search_gone(self, request: SandboxRequest) -> SandboxResponse:
        return json_response(
            {
                "errorMessages": [
                    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
                    "API. A full migration guideline is available at "
                    "https://developer.atlassian.com/changelog/#CHANGE-2046"
                ],
                "errors": {},
            },
            410,
        )

    def _page_cap(self, fields: list[str] | None) -> int:
        if not fields or set(fields) <= {"id", "key"}:
            return 5000
        return 100

    def _search_jql(self, request: SandboxRequest) -> SandboxResponse:
        params = self._search_params(request)
        version = request.params["v"]
        token = params["nextPageToken"]
        offset = 0
        ids: list[int] | None = None
        if token:
            try:
                qid, _, raw_offset = (
                    base64.urlsafe_b64decode(token.encode()).decode().partition(":")
                )
                offset = int(raw_offset)
            except (ValueError, UnicodeDecodeError):
                return json_response(
                    {"errorMessages": ["The provided next page token is invalid."]}, 400
                )
            with self._lock:
                ids = self._queries.get(qid)
        if ids is None:
            ids = self._run_query(params["jql"])
            qid = str(next(self._query_seq))
            with self._lock:
                self._queries[qid] = ids
                while len(self._queries) > 64:
                    self._queries.popitem(last=False)
        size = int(params["maxResults"] or 50)
        size = max(1, min(size, self._page_cap(params["fields"])))
        page = ids[offset : offset + size]
        issues = self.world.issues
        body: dict[str, Any] = {
            "issues": [
                self.issue_json(
                    issues[i], params["fields"], params["expand"], version, names_in_issue=False
                )
                for i in page
                if i in issues
            ]
        }
        body.update(self._names_and_schema(params["fields"], params["expand"]))
        is_last = offset + size >= len(ids)
        if not is_last:
            body["nextPageToken"] = base64.urlsafe_b64encode(
                f"{qid}:{offset + size}".encode()
            ).decode()
        body["isLast"] = is_last
        return json_response(body)

    def _search_dc(self, request: SandboxRequest) -> SandboxResponse:
        params = self._search_params(request)
        fields = params["fields"] if params["fields"] is not None else ["*navigable"]
        ids = self._run_query(params["jql"])
        start = int(params["startAt"] or 0)
        size = max(1, min(int(params["maxResults"] or 50), 1000))
        page = ids[start : start + size]
        issues = self.world.issues
        return json_response(
            {
                "expand": "names,schema",
                "startAt": start,
                "maxResults": size,
                "total": len(ids),
                # Data Center does not cut the embedded changelog short.
                "issues": [
                    self.issue_json(
                        issues[i],
                        fields,
                        params["expand"],
                        "2",
                        changelog_cap=None,
                        names_in_issue=False,
                    )
                    for i in page
                ],
                **self._names_and_schema(fields, params["expand"]),
            }
        )

    def _approximate_count(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json() or {}
        return json_response({"count": len(self._run_query(body.get("jql") or ""))})

    def _issue(self, request: SandboxRequest) -> SandboxResponse:
        issue = self._find_issue(request.params["issue"])
        if issue is None:
            return json_response({"errorMessages": [NOT_FOUND_ISSUE], "errors": {}}, 404)
        fields = _split_fields(request.query.get("fields")) or ["*all"]
        expand = ",".join(request.query.get("expand", []))
        return json_response(
            self.issue_json(issue, fields, expand, request.params["v"], changelog_cap=100)
        )

    def _issue_changelog(self, request: SandboxRequest) -> SandboxResponse:
        issue = self._find_issue(request.params["issue"])
        if issue is None:
            return json_response({"errorMessages": [NOT_FOUND_ISSUE], "errors": {}}, 404)
        histories = [self.history_json(h) for h in self.world.histories(issue)]
        return json_response(self._offset_page(request, histories, default=100, cap=100))

    def _changelog_bulkfetch(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json() or {}
        wanted = body.get("issueIdsOrKeys") or []
        if not 1 <= len(wanted) <= 1000:
            return json_response(
                {"errorMessages": ["issueIdsOrKeys must contain 1 to 1000 items."]}, 400
            )
        field_ids = body.get("fieldIds") or []
        if len(field_ids) > 10:
            return json_response({"errorMessages": ["fieldIds may contain at most 10 items."]}, 400)
        size = max(1, min(int(body.get("maxResults") or 1000), 10000))
        offset = (
            int(base64.urlsafe_b64decode(body["nextPageToken"]).decode())
            if body.get("nextPageToken")
            else 0
        )
        entries: list[History] = []
        for ref in wanted:
            issue = self._find_issue(str(ref))
            if issue is None:
                continue
            for h in self.world.histories(issue):
                if field_ids:
                    items = tuple(i for i in h.items if i[2] in field_ids)
                    if not items:
                        continue
                    h = History(h.id, h.issue_id, h.author, h.created_ms, items)
                entries.append(h)
        entries.sort(key=lambda h: (h.created_ms, h.issue_id, h.id))
        page = entries[offset : offset + size]
        grouped: dict[int, list[dict[str, Any]]] = {}
        for h in page:
            grouped.setdefault(h.issue_id, []).append(self.history_json(h, epoch=True))
        out: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": str(issue_id), "changeHistories": histories}
                for issue_id, histories in grouped.items()
            ]
        }
        if offset + size < len(entries):
            out["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        return json_response(out)

    def _issue_worklogs(self, request: SandboxRequest) -> SandboxResponse:
        issue = self._find_issue(request.params["issue"])
        if issue is None:
            return json_response({"errorMessages": [NOT_FOUND_ISSUE], "errors": {}}, 404)
        logs = self.world.issue_worklogs(issue.id)
        after = request.arg("startedAfter")
        before = request.arg("startedBefore")
        if after:
            logs = [w for w in logs if w.started_ms >= int(after)]
        if before:
            logs = [w for w in logs if w.started_ms < int(before)]
        start = request.int_arg("startAt", 0)
        size = max(1, min(request.int_arg("maxResults", 5000), 5000))
        page = logs[start : start + size]
        return json_response(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(logs),
                "worklogs": [self.worklog_json(w, request.params["v"]) for w in page],
            }
        )

    def _sorted_changes(
        self, path: str, items: Callable[[], list[tuple[int, int]]]
    ) -> list[tuple[int, int]]:
        """(updatedTime, id) ascending, cached per world revision (paging stays linear)."""
        kind = path.rsplit("/", 1)[-1]
        with self._lock:
            cached = self._change_cache.get(kind)
            if cached is None or cached[0] != self.world.revision:
                cached = (self.world.revision, sorted(items()))
                self._change_cache[kind] = cached
            return cached[1]

    def _worklog_changes(
        self, request: SandboxRequest, items: Callable[[], list[tuple[int, int]]]
    ) -> SandboxResponse:
        """Shared paging of worklog/updated and worklog/deleted: (updatedTime, id) ascending.

        ``since`` is inclusive (Atlassian's example answers ``since=1438013671562`` with a value
        updated at exactly that time). A page holds at most 1000 entries and never splits one
        millisecond, so ``nextPage`` = ``?since=<until + 1>`` neither repeats nor skips an entry.
        """
        since = request.int_arg("since", 0)
        # Jira leaves out changes from the last minute: they may still be in flight.
        horizon = int(time.time() * 1000) - 60_000
        ordered = self._sorted_changes(request.path, items)
        lo = bisect.bisect_left(ordered, (since, -1))
        hi = bisect.bisect_right(ordered, (horizon, 1 << 62))
        # Index arithmetic, not a copy of everything after ``since``: one page must not cost
        # the whole change list (1.35M worklogs at tier M).
        page = ordered[lo : min(hi, lo + 1000)] if lo < hi else []
        last_page = hi - lo <= 1000
        if not last_page:
            cut = bisect.bisect_left(page, (page[-1][0], -1))  # first entry of the last ms
            if cut > 0:
                page = page[:cut]
            else:  # one millisecond holds more than 1000 changes: hand them over together
                end = bisect.bisect_right(ordered, (page[-1][0], 1 << 62), lo, hi)
                page = ordered[lo:end]
                last_page = end >= hi
        until = page[-1][0] if page else since
        body: dict[str, Any] = {
            "values": [{"worklogId": i, "updatedTime": t, "properties": []} for t, i in page],
            "since": since,
            "until": until,
            "self": f"{self.url}{request.path}?{urlencode({'since': since})}",
            "lastPage": last_page,
        }
        if not last_page:
            body["nextPage"] = f"{self.url}{request.path}?{urlencode({'since': until + 1})}"
        return json_response(body)

    def _worklog_updated(self, request: SandboxRequest) -> SandboxResponse:
        return self._worklog_changes(
            request, lambda: [(w.updated_ms, w.id) for w in self.world.worklogs.values()]
        )

    def _worklog_deleted(self, request: SandboxRequest) -> SandboxResponse:
        return self._worklog_changes(
            request, lambda: [(t, i) for i, t in self.world.deleted_worklogs.items()]
        )

    def _worklog_list(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json() or {}
        ids = body.get("ids") or []
        if len(ids) > 1000:
            return json_response(
                {"errorMessages": ["The number of worklog ids must be at most 1000."]}, 400
            )
        version = request.params["v"]
        found = (self.world.worklogs.get(int(i)) for i in ids)
        return json_response([self.worklog_json(w, version) for w in found if w is not None])

    def _users_search(self, request: SandboxRequest) -> SandboxResponse:
        start = request.int_arg("startAt", 0)
        size = max(1, min(request.int_arg("maxResults", 50), 1000))
        users = self.world.users[start : start + size]
        return json_response([self._user_json(u) for u in users])

    def _users_search_dc(self, request: SandboxRequest) -> SandboxResponse:
        if not request.arg("username"):
            return json_response(
                {"errorMessages": ["The username query parameter was not provided"]}, 400
            )
        start = request.int_arg("startAt", 0)
        size = max(1, min(request.int_arg("maxResults", 50), 1000))
        users = self.world.users[start : start + size]
        return json_response([self._user_json(u) for u in users])

    def _boards(self, request: SandboxRequest) -> SandboxResponse:
        wanted_type = request.arg("type")
        project = request.arg("projectKeyOrId")
        pid = self._find_project(project) if project else None
        items = []
        for b in self.world.boards:
            if wanted_type and b.type != wanted_type:
                continue
            if project and b.project_id != pid:
                continue
            p = self.world.project_by_id[b.project_id]
            items.append(
                {
                    "id": b.id,
                    "self": f"{self.url}/rest/agile/1.0/board/{b.id}",
                    "name": b.name,
                    "type": b.type,
                    "location": {
                        "projectId": p.id,
                        "projectKey": p.key,
                        "projectName": p.name,
                        "displayName": f"{p.name} ({p.key})",
                        "projectTypeKey": "software",
                    },
                }
            )
        return json_response(self._offset_page(request, items, default=50, cap=50))

    def _sprints(self, request: SandboxRequest) -> SandboxResponse:
        board_id = int(request.params["board"])
        board = next((b for b in self.world.boards if b.id == board_id), None)
        if board is None:
            return json_response(
                {
                    "errorMessages": [
                        "Board does not exist or you do not have permission to see it."
                    ]
                },
                404,
            )
        if board.type != "scrum":
            return json_response(
                {"errorMessages": ["The board does not support sprints"], "errors": {}}, 400
            )
        states = set((request.arg("state") or "future,active,closed").split(","))
        items = [
            self.sprint_json(s)
            for s in self.world.sprints
            if s.board_id == board_id and s.state in states
        ]
        return json_response(self._offset_page(request, items, default=50, cap=50))

    # ---- directory, roles, transitions and expansions (issue 12) ---------------------------
    # Kept in one block, apart from the handlers above, so parallel edits merge cleanly.

    def _directory_routes(
        self, api: str
    ) -> list[tuple[str, str, Callable[[SandboxRequest], SandboxResponse], bool]]:
        """Routes real clients (pycontribs `jira`, Jira's own UI links) call besides the sync."""
        return [
            ("GET", rf"{api}/status/(?P<status>[^/]+)", self._status, True),
            ("GET", f"{api}/project/type", self._project_types, True),
            ("GET", f"{api}/project/type/(?P<type>[^/]+)", self._project_type, True),
            ("GET", f"{api}/project/(?P<project>[^/]+)", self._project, True),
            ("GET", f"{api}/projectCategory", self._project_categories, True),
            ("GET", rf"{api}/projectCategory/(?P<category>\d+)", self._project_category, True),
            ("GET", f"{api}/project/(?P<project>[^/]+)/role", self._project_roles, True),
            (
                "GET",
                rf"{api}/project/(?P<project>[^/]+)/role/(?P<role>\d+)",
                self._project_role,
                True,
            ),
            ("GET", f"{api}/role", self._roles, True),
            ("GET", rf"{api}/role/(?P<role>\d+)", self._role, True),
            ("GET", f"{api}/group", self._group, True),
            ("GET", f"{api}/group/member", self._group_members, True),
            ("GET", f"{api}/group/bulk", self._groups_bulk, True),
            ("GET", f"{api}/user", self._user_by_id, True),
            ("GET", f"{api}/issue/(?P<issue>[^/]+)/transitions", self._issue_transitions, True),
            ("GET", rf"{api}/version/(?P<id>\d+)", self._version, True),
            ("GET", rf"{api}/component/(?P<id>\d+)", self._component, True),
        ]

    def _one_of_project(
        self,
        request: SandboxRequest,
        project_id: int | None,
        items_of: Callable[[SandboxRequest], list[dict[str, Any]] | None],
        noun: str,
    ) -> SandboxResponse:
        """A version or component by id, rendered exactly as its project's listing renders it."""
        wanted = request.params["id"]
        if project_id is not None:
            scoped = SandboxRequest("GET", request.path, {}, {}, b"", {"project": str(project_id)})
            found = next((i for i in items_of(scoped) or [] if i["id"] == wanted), None)
            if found is not None:
                return json_response(found)
        return json_response(
            {"errorMessages": [f"Could not find {noun} for id '{wanted}'."], "errors": {}}, 404
        )

    def _version(self, request: SandboxRequest) -> SandboxResponse:
        version = self.world.version_by_id.get(int(request.params["id"]))
        pid = version.project_id if version else None
        return self._one_of_project(request, pid, self._project_versions, "version")

    def _component(self, request: SandboxRequest) -> SandboxResponse:
        component = self.world.component_by_id.get(int(request.params["id"]))
        pid = component.project_id if component else None
        return self._one_of_project(request, pid, self._project_components, "component")

    # Project roles as a new Jira Cloud site ships them.
    ROLES = {
        10002: ("Administrators", "A project role that represents administrators in a project"),
        10100: ("Member", "A project role that represents members in a project"),
        10101: ("Viewer", "A project role that represents viewers in a project"),
    }
    PROJECT_TYPES = {
        "software": ("Software", "#8777D9"),
        "business": ("Business", "#1D7AFC"),
        "service_desk": ("Service management", "#2ABB7F"),
    }

    def groups(self) -> dict[str, list[JiraUser]]:
        """Group name -> members: every licensed user is in ``jira-software-users``."""
        return {
            "jira-software-users": list(self.world.users),
            "jira-administrators": [self.world.api_user],
            "site-admins": [self.world.api_user],
        }

    def _group_id(self, name: str) -> str:
        digest = hashlib.sha256(f"group:{name}".encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def _group_json(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "groupId": self._group_id(name),
            "self": f"{self.api}/group?groupId={self._group_id(name)}",
        }

    def _find_group(self, request: SandboxRequest) -> tuple[str, list[JiraUser]] | None:
        groups = self.groups()
        wanted_id = request.arg("groupId")
        name = request.arg("groupname")
        if wanted_id:
            name = next((n for n in groups if self._group_id(n) == wanted_id), None)
        if not name or name not in groups:
            return None
        return name, groups[name]

    @staticmethod
    def _no_group() -> SandboxResponse:
        return json_response(
            {"errorMessages": ["Specified group does not exist."], "errors": {}}, 404
        )

    def _group(self, request: SandboxRequest) -> SandboxResponse:
        """Deprecated ``GET /group?expand=users[a:b]`` (what pycontribs' group_members calls)."""
        found = self._find_group(request)
        if found is None:
            return self._no_group()
        name, members = found
        body = {**self._group_json(name), "expand": "users"}
        expand = request.arg("expand", "") or ""
        match = re.search(r"users\[(\d+):(\d+)\]", expand)
        start, end = (int(match.group(1)), int(match.group(2))) if match else (0, 49)
        end = min(end, start + 49, len(members) - 1)
        items = [self._user_json(u) for u in members[start : end + 1]]
        body["users"] = {
            "size": len(members),
            "items": items if "users" in expand else [],
            "max-results": 50,
            "start-index": start,
            "end-index": end,
        }
        return json_response(body)

    def _group_members(self, request: SandboxRequest) -> SandboxResponse:
        found = self._find_group(request)
        if found is None:
            return self._no_group()
        _, members = found
        if request.arg("includeInactiveUsers", "false") != "true":
            members = [u for u in members if u.active]
        users = [self._user_json(u) for u in members]
        return json_response(self._offset_page(request, users, default=50, cap=50))

    def _groups_bulk(self, request: SandboxRequest) -> SandboxResponse:
        items = [{"name": n, "groupId": self._group_id(n)} for n in self.groups()]
        return json_response(self._offset_page(request, items, default=50, cap=50))

    def _user_by_id(self, request: SandboxRequest) -> SandboxResponse:
        wanted = request.arg("accountId") or request.arg("username") or request.arg("key")
        users = [*self.world.users, self.world.api_user]
        user = next(
            (u for u in users if wanted in (u.account_id, u.dc_name, u.dc_key)),
            None,
        )
        if user is None:
            return json_response(
                {"errorMessages": [f"User '{wanted}' does not exist."], "errors": {}}, 404
            )
        return json_response(self._user_json(user))

    def _status(self, request: SandboxRequest) -> SandboxResponse:
        ref = request.params["status"]
        status_id = next(
            (s for s, (name, _) in STATUSES.items() if ref in (str(s), name)),
            None,
        )
        if status_id is None:
            return json_response(
                {"errorMessages": [f"The status with id '{ref}' does not exist"], "errors": {}},
                404,
            )
        return json_response(self.status_json(status_id))

    def _project(self, request: SandboxRequest) -> SandboxResponse:
        pid = self._find_project(request.params["project"])
        if pid is None:
            return json_response(
                {
                    "errorMessages": [
                        f"No project could be found with key '{request.params['project']}'."
                    ],
                    "errors": {},
                },
                404,
            )
        expand = request.arg("expand", "") or ""
        return json_response(self.project_json(pid, expand=f"lead,{expand}"))

    def _project_type_json(self, key: str) -> dict[str, Any]:
        name, color = self.PROJECT_TYPES[key]
        return {
            "key": key,
            "formattedKey": name,
            "descriptionI18nKey": f"jira.project.type.{key}.description",
            "icon": "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
            "color": color,
        }

    def _project_types(self, request: SandboxRequest) -> SandboxResponse:
        return json_response([self._project_type_json(k) for k in self.PROJECT_TYPES])

    def _project_type(self, request: SandboxRequest) -> SandboxResponse:
        key = request.params["type"]
        if key not in self.PROJECT_TYPES:
            return json_response(
                {"errorMessages": [f"Project type '{key}' does not exist."], "errors": {}}, 404
            )
        return json_response(self._project_type_json(key))

    def _categories(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for p in self.world.projects:
            if p.category_id is not None and p.category_id not in out:
                out[p.category_id] = {
                    "self": f"{self.api}/projectCategory/{p.category_id}",
                    "id": str(p.category_id),
                    "name": p.category_name,
                    "description": p.name,
                }
        return out

    def _project_categories(self, request: SandboxRequest) -> SandboxResponse:
        return json_response(list(self._categories().values()))

    def _project_category(self, request: SandboxRequest) -> SandboxResponse:
        category = self._categories().get(int(request.params["category"]))
        if category is None:
            return json_response(
                {
                    "errorMessages": [
                        f"No project category with id {request.params['category']} exists."
                    ],
                    "errors": {},
                },
                404,
            )
        return json_response(category)

    def _role_json(self, role_id: int, project: Any | None) -> dict[str, Any]:
        name, description = self.ROLES[role_id]
        base = f"{self.api}/project/{project.id}/role" if project else f"{self.api}/role"
        body: dict[str, Any] = {
            "self": f"{base}/{role_id}",
            "name": name,
            "id": role_id,
            "description": description,
        }
        actors: list[dict[str, Any]] = []
        if project is None:
            group = "jira-administrators" if role_id == 10002 else "jira-software-users"
            actors.append(
                {
                    "id": 10000 + role_id,
                    "displayName": group,
                    "type": "atlassian-group-role-actor",
                    "name": group,
                    "actorGroup": {
                        "name": group,
                        "displayName": group,
                        "groupId": self._group_id(group),
                    },
                }
            )
        else:
            if role_id == 10002:
                account_ids = [project.lead] if project.lead else []
            elif role_id == 10100:
                account_ids = list(project.members)
            else:
                account_ids = []
            for n, account_id in enumerate(account_ids):
                user = self.world.user_by_id[account_id]
                actor: dict[str, Any] = {
                    "id": project.id * 100 + n,
                    "displayName": user.display_name,
                    "type": "atlassian-user-role-actor",
                    "actorUser": {"accountId": user.account_id},
                }
                if self.mode == "dc":
                    actor["name"] = user.dc_name
                actors.append(actor)
            body["scope"] = {"type": "PROJECT", "project": {"id": str(project.id)}}
        body["actors"] = actors
        return body

    def _roles(self, request: SandboxRequest) -> SandboxResponse:
        return json_response([self._role_json(r, None) for r in self.ROLES])

    def _role(self, request: SandboxRequest) -> SandboxResponse:
        role_id = int(request.params["role"])
        if role_id not in self.ROLES:
            return json_response(
                {"errorMessages": [f"Role with id {role_id} does not exist."], "errors": {}}, 404
            )
        return json_response(self._role_json(role_id, None))

    def _no_project(self, key: str) -> SandboxResponse:
        return json_response(
            {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}, 404
        )

    def _project_roles(self, request: SandboxRequest) -> SandboxResponse:
        pid = self._find_project(request.params["project"])
        if pid is None:
            return self._no_project(request.params["project"])
        return json_response(
            {name: f"{self.api}/project/{pid}/role/{rid}" for rid, (name, _) in self.ROLES.items()}
        )

    def _project_role(self, request: SandboxRequest) -> SandboxResponse:
        pid = self._find_project(request.params["project"])
        if pid is None:
            return self._no_project(request.params["project"])
        role_id = int(request.params["role"])
        if role_id not in self.ROLES:
            return json_response(
                {"errorMessages": [f"Role with id {role_id} does not exist."], "errors": {}}, 404
            )
        return json_response(self._role_json(role_id, self.world.project_by_id[pid]))

    def transitions_json(self, issue: Issue) -> list[dict[str, Any]]:
        """Jira Software's simplified workflow: every status is reachable from every other."""
        out = []
        for n, status_id in enumerate(STATUSES, start=1):
            if status_id == issue.status_id:
                continue
            out.append(
                {
                    "id": str(n * 10 + 1),
                    "name": STATUSES[status_id][0],
                    "to": self.status_json(status_id),
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        return out

    def _issue_transitions(self, request: SandboxRequest) -> SandboxResponse:
        issue = self._find_issue(request.params["issue"])
        if issue is None:
            return json_response({"errorMessages": [NOT_FOUND_ISSUE], "errors": {}}, 404)
        return json_response({"expand": "transitions", "transitions": self.transitions_json(issue)})

    def _field_meta(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return {fid: (name, schema) for fid, name, schema in SYSTEM_FIELDS + CUSTOM_FIELDS}

    def _names_and_schema(self, fields: list[str] | None, expand: str) -> dict[str, Any]:
        """Top-level ``names``/``schema`` of a search answer, for the fields it returns."""
        wanted = set(expand.split(",")) if expand else set()
        if not wanted & {"names", "schema"}:
            return {}
        meta = self._field_meta()
        ids = [f for f in (self._resolve_fields(fields) or []) if f in meta]
        out: dict[str, Any] = {}
        if "names" in wanted:
            out["names"] = {f: meta[f][0] for f in ids}
        if "schema" in wanted:
            out["schema"] = {f: dict(meta[f][1]) for f in ids}
        return out

    def _rendered(self, issue: Issue, name: str, version: str) -> Any:
        """renderedFields: HTML for text, Jira's display format for dates, null otherwise."""
        if name == "description":
            text = self._field(issue, name, "2")
            return f"<p>{text}</p>" if text else None
        if name in ("created", "updated", "resolutiondate"):
            ms = {
                "created": issue.created_ms,
                "updated": issue.updated_ms,
                "resolutiondate": issue.resolved_ms,
            }[name]
            if ms is None:
                return None
            local = datetime.fromtimestamp(ms / 1000, tz=self.zone)
            return f"{local:%d/%b/%y} {local:%I:%M %p}".replace(" 0", " ")
        if name == "duedate":
            return f"{issue.due_date:%d/%b/%y}" if issue.due_date else None
        return None

    def _expand_issue(
        self,
        body: dict[str, Any],
        issue: Issue,
        wanted: list[str],
        expand: str,
        version: str,
        names_in_issue: bool,
    ) -> None:
        options = set(expand.split(",")) if expand else set()
        if "transitions" in options:
            body["transitions"] = self.transitions_json(issue)
        if "renderedFields" in options and "fields" in body:
            body["renderedFields"] = {f: self._rendered(issue, f, version) for f in wanted}
        if names_in_issue and options & {"names", "schema"}:
            meta = self._field_meta()
            if "names" in options:
                body["names"] = {f: meta[f][0] for f in wanted if f in meta}
            if "schema" in options:
                body["schema"] = {f: dict(meta[f][1]) for f in wanted if f in meta}


def start_jira_server(
    world: JiraWorld,
    *,
    mode: str = "cloud",
    tls: CertificatePair | None = None,
    faults: FaultConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> JiraSandbox:
    """Start a sandbox Jira serving ``world`` on a free loopback port.

    Args:
        world: the generated Jira world (shared by reference: ``world.tick`` shows up at once).
        mode: ``cloud`` (REST v3 + v2, basic email/token) or ``dc`` (REST v2, bearer PAT).
        tls: a certificate pair to serve HTTPS (clients verify against ``tls.cert_path``).
        faults: 429/5xx/latency/consistency-lag injection.
        host: interface to bind.
        port: 0 for a free port.

    Returns:
        The running sandbox; credentials in ``.email``/``.api_token`` (Cloud) or ``.pat`` (DC).
    """
    return JiraSandbox(world, mode=mode, tls=tls, faults=faults, host=host, port=port)
