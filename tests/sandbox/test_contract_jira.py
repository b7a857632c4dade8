"""The Jira sandbox against Atlassian's published OpenAPI documents (Cloud platform + Software).

Every route the sandbox serves is replayed and each exchange (status, media type, body, declared
headers) is validated with ``openapi-core``; every route the connector or the pycontribs ``jira``
client calls must exist in the spec and be served. The specs are parsed once per module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from vendor_specs import JiraSpecs

from connectors.jira import settings as jira_settings
from sandbox.jira.server import JiraSandbox, start_jira_server
from sandbox.jira.world import JiraWorld, generate_jira
from sandbox.portfolio import generate_portfolio

# (method, path, query, JSON body). Placeholders come from the world: {project} key, {pid} id,
# {issue} key, {iid} id, {board} scrum board, {kanban}, {category}, {role}, {v} API version.
CLOUD_CASES: list[tuple[str, str, dict[str, Any], Any]] = [
    ("GET", "/rest/api/{v}/serverInfo", {}, None),
    ("GET", "/rest/api/{v}/myself", {}, None),
    ("GET", "/rest/api/{v}/field", {}, None),
    ("GET", "/rest/api/{v}/status", {}, None),
    ("GET", "/rest/api/{v}/status/10000", {}, None),
    ("GET", "/rest/api/{v}/statuscategory", {}, None),
    ("GET", "/rest/api/{v}/priority", {}, None),
    ("GET", "/rest/api/{v}/resolution", {}, None),
    ("GET", "/rest/api/{v}/issuetype", {}, None),
    ("GET", "/rest/api/{v}/project", {"expand": "description,lead,url,projectKeys"}, None),
    ("GET", "/rest/api/{v}/project/{project}", {"expand": "description,lead"}, None),
    ("GET", "/rest/api/{v}/project/search", {"maxResults": 3}, None),
    (
        "GET",
        "/rest/api/{v}/project/search",
        {"expand": "description,url,projectKeys,lead,issueTypes"},
        None,
    ),
    ("GET", "/rest/api/{v}/project/type", {}, None),
    ("GET", "/rest/api/{v}/project/type/software", {}, None),
    ("GET", "/rest/api/{v}/projectCategory", {}, None),
    ("GET", "/rest/api/{v}/projectCategory/{category}", {}, None),
    ("GET", "/rest/api/{v}/project/{project}/version", {"maxResults": 2}, None),
    ("GET", "/rest/api/{v}/project/{project}/versions", {}, None),
    ("GET", "/rest/api/{v}/project/{project}/component", {}, None),
    ("GET", "/rest/api/{v}/project/{project}/components", {}, None),
    ("GET", "/rest/api/{v}/project/{project}/role", {}, None),
    ("GET", "/rest/api/{v}/project/{project}/role/{role}", {}, None),
    ("GET", "/rest/api/{v}/role", {}, None),
    ("GET", "/rest/api/{v}/role/{role}", {}, None),
    ("GET", "/rest/api/{v}/group/member", {"groupname": "jira-software-users"}, None),
    (
        "GET",
        "/rest/api/{v}/group/member",
        {"groupname": "jira-software-users", "startAt": 50, "maxResults": 50},
        None,
    ),
    ("GET", "/rest/api/{v}/group", {"groupname": "jira-software-users", "expand": "users"}, None),
    ("GET", "/rest/api/{v}/group/bulk", {}, None),
    ("GET", "/rest/api/{v}/user", {"accountId": "{account}"}, None),
    ("GET", "/rest/api/{v}/version/{version}", {}, None),
    ("GET", "/rest/api/{v}/component/{component}", {}, None),
    ("GET", "/rest/api/{v}/users/search", {"maxResults": 10}, None),
    (
        "GET",
        "/rest/api/{v}/search/jql",
        {
            "jql": "project = {project} ORDER BY updated ASC",
            "fields": "*all",
            "expand": "changelog,transitions,renderedFields,names,schema",
            "maxResults": 3,
        },
        None,
    ),
    (
        "POST",
        "/rest/api/{v}/search/jql",
        None,
        {"jql": "project = {project}", "fields": ["id"], "maxResults": 20},
    ),
    ("POST", "/rest/api/{v}/search/approximate-count", None, {"jql": "project = {project}"}),
    ("GET", "/rest/api/{v}/issue/{issue}", {"expand": "changelog,transitions,names,schema"}, None),
    ("GET", "/rest/api/{v}/issue/{issue}/transitions", {}, None),
    ("GET", "/rest/api/{v}/issue/{issue}/changelog", {"maxResults": 5}, None),
    ("GET", "/rest/api/{v}/issue/{issue}/worklog", {}, None),
    (
        "POST",
        "/rest/api/{v}/changelog/bulkfetch",
        None,
        {"issueIdsOrKeys": ["{iid}"], "maxResults": 50},
    ),
    ("GET", "/rest/api/{v}/worklog/updated", {"since": 0}, None),
    ("GET", "/rest/api/{v}/worklog/deleted", {"since": 0}, None),
    ("POST", "/rest/api/{v}/worklog/list", None, {"ids": [1]}),
    ("POST", "/rest/api/{v}/comment/list", None, {"ids": [1]}),
    ("GET", "/rest/agile/1.0/board", {"maxResults": 5}, None),
    ("GET", "/rest/agile/1.0/board/{board}/sprint", {}, None),
    ("GET", "/rest/api/{v}/issue/{issue}/comment", {"maxResults": 5}, None),
    ("GET", "/rest/api/{v}/issueLinkType", {}, None),
    ("GET", "/rest/api/{v}/field/{field}/context", {}, None),
    ("GET", "/rest/api/{v}/field/{field}/context/{context}/option", {}, None),
]
# Data Center serves the same routes under v2 except the Cloud-only search/jql family.
DC_CASES: list[tuple[str, str, dict[str, Any], Any]] = [
    c
    for c in CLOUD_CASES
    # Field contexts and options are Cloud-only routes.
    if not re.search(
        r"search/jql|approximate-count|changelog/bulkfetch|users/search|field/\{field\}/context"
        r"|comment/list",
        c[1],
    )
] + [
    (
        "GET",
        "/rest/api/{v}/search",
        {"jql": "project = {project}", "expand": "changelog,transitions", "maxResults": 3},
        None,
    ),
    ("POST", "/rest/api/{v}/search", None, {"jql": "project = {project}", "maxResults": 3}),
    ("GET", "/rest/api/{v}/user/search", {"username": "."}, None),
]
# Exchanges whose status is an error the spec declares.
ERROR_CASES: list[tuple[str, str, dict[str, Any], Any, int, bool]] = [
    # method, path, query, body, expected status, authenticated
    ("GET", "/rest/api/3/myself", {}, None, 401, False),
    ("GET", "/rest/api/3/issue/NOPE-999999", {}, None, 404, True),
    ("GET", "/rest/api/3/search/jql", {"jql": "ORDER BY updated"}, None, 400, True),
    ("GET", "/rest/api/3/group/member", {"groupname": "no-such-group"}, None, 404, True),
    ("GET", "/rest/api/3/project/NOPE/role", {}, None, 404, True),
]

# Routes the pycontribs `jira` client (3.10.5) calls in the walk of test_third_party_jira.py.
PYCONTRIBS_ROUTES = [
    ("GET", "/rest/api/2/serverInfo"),
    ("GET", "/rest/api/2/myself"),
    ("GET", "/rest/api/2/field"),
    ("GET", "/rest/api/2/project"),
    ("GET", "/rest/api/2/project/{project}"),
    ("GET", "/rest/api/2/projectCategory"),
    ("GET", "/rest/api/2/project/type"),
    ("GET", "/rest/api/2/search/jql"),
    ("GET", "/rest/api/2/issue/{issue}/worklog"),
    ("GET", "/rest/api/2/issue/{issue}/transitions"),
    ("GET", "/rest/api/2/group"),
    ("GET", "/rest/api/2/project/{project}/role"),
    ("GET", "/rest/api/2/project/{project}/role/{role}"),
    ("GET", "/rest/api/2/role"),
]


@pytest.fixture(scope="module")
def specs() -> JiraSpecs:
    return JiraSpecs()


@pytest.fixture(scope="module")
def world() -> JiraWorld:
    return generate_jira(generate_portfolio("XS", 42))


@pytest.fixture(scope="module")
def cloud(world: JiraWorld) -> Iterator[JiraSandbox]:
    sandbox = start_jira_server(world, mode="cloud")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def dc(world: JiraWorld) -> Iterator[JiraSandbox]:
    sandbox = start_jira_server(world, mode="dc")
    yield sandbox
    sandbox.stop()


def _values(world: JiraWorld, version: str) -> dict[str, str]:
    project = next(p for p in world.projects if p.category_id is not None)
    issue_id = world.issues_by_project[project.id][0]
    return {
        "v": version,
        "project": project.key,
        "pid": str(project.id),
        "issue": world.issues[issue_id].key,
        "iid": str(issue_id),
        "board": str(next(b.id for b in world.boards if b.type == "scrum")),
        "category": str(project.category_id),
        "role": "10002",
        "account": world.users[0].account_id,
        "version": str(next(v.id for v in world.versions if v.project_id == project.id)),
        "component": str(next(c.id for c in world.components if c.project_id == project.id)),
        # An option field of the site (sandbox/jira/site.py) and its one context.
        "field": "customfield_12003",
        "context": str(world.site.fields["customfield_12003"].context_id) if world.site else "1",
    }


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, list | tuple):
        return type(value)(_fill(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _session(sandbox: JiraSandbox) -> requests.Session:
    session = requests.Session()
    if sandbox.mode == "cloud":
        session.auth = (sandbox.email, sandbox.api_token)
    else:
        session.headers["Authorization"] = f"Bearer {sandbox.pat}"
    return session


def _exchange(
    sandbox: JiraSandbox,
    specs: JiraSpecs,
    case: tuple[str, str, Any, Any],
    version: str,
    session: requests.Session | None = None,
) -> tuple[requests.Response, list[str]]:
    method, path, query, body = _fill(case, _values(sandbox.world, version))
    session = session if session is not None else _session(sandbox)
    response = session.request(method, sandbox.url + path, params=query, json=body, timeout=30)
    outcome = specs.validate(
        method,
        response.url,
        status=response.status_code,
        headers=dict(response.headers),
        body=response.content,
        request_body=response.request.body if isinstance(response.request.body, bytes) else None,
    )
    return response, outcome.errors


def _case_id(case: tuple[str, str, Any, Any]) -> str:
    return f"{case[0]} {case[1]} {sorted((case[2] or {}).keys())}"


@pytest.mark.parametrize("version", ["3", "2"])
@pytest.mark.parametrize("case", CLOUD_CASES, ids=_case_id)
def test_cloud_route_conforms_to_spec(cloud, specs, case, version) -> None:
    response, errors = _exchange(cloud, specs, case, version)
    assert response.status_code == 200, response.text[:300]
    assert errors == [], f"{case[0]} {response.url}: {errors[:10]}"


@pytest.mark.parametrize("case", DC_CASES, ids=_case_id)
def test_data_center_route_conforms_to_spec(dc, specs, case) -> None:
    response, errors = _exchange(dc, specs, case, "2")
    assert response.status_code == 200, response.text[:300]
    assert errors == [], f"{case[0]} {response.url}: {errors[:10]}"


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: f"{c[4]} {c[1]}")
def test_error_statuses_are_declared_by_the_spec(cloud, specs, case) -> None:
    method, path, query, body, status, authenticated = case
    session = _session(cloud) if authenticated else requests.Session()
    response, errors = _exchange(cloud, specs, (method, path, query, body), "3", session)
    assert response.status_code == status
    assert errors == []
    assert response.json()["errorMessages"]


def test_removed_search_answers_410_on_cloud(cloud) -> None:
    # Not in the spec any more as a working route: Jira Cloud answers 410 since CHANGE-2046.
    response = _session(cloud).get(f"{cloud.url}/rest/api/3/search", params={"jql": "key = X-1"})
    assert response.status_code == 410 and "search/jql" in response.json()["errorMessages"][0]


def _served_patterns(sandbox: JiraSandbox) -> list[tuple[str, re.Pattern[str]]]:
    return [(method, pattern) for method, pattern, _ in sandbox.server.router._routes]


@pytest.mark.parametrize("mode", ["cloud", "dc"])
def test_every_served_route_is_replayed_and_in_the_spec(mode, cloud, dc, specs) -> None:
    sandbox = cloud if mode == "cloud" else dc
    cases = CLOUD_CASES if mode == "cloud" else DC_CASES
    versions = ["3", "2"] if mode == "cloud" else ["2"]
    replayed = [(c[0], _fill(c[1], _values(sandbox.world, v))) for c in cases for v in versions] + [
        ("GET", "/rest/api/3/search"),
        ("POST", "/rest/api/3/search"),
    ]
    unreplayed = [
        f"{method} {pattern.pattern}"
        for method, pattern in _served_patterns(sandbox)
        if not any(m == method and pattern.match(p) for m, p in replayed)
    ]
    assert unreplayed == []
    missing = [f"{m} {p}" for m, p in replayed if specs.operation(m, p) is None]
    assert missing == []


def test_connector_and_client_routes_exist_in_spec_and_are_served(cloud, dc, specs) -> None:
    connector_routes = [
        ("POST" if name in ("CHANGELOG_BULK", "WORKLOG_LIST", "COMMENTS_BY_IDS") else "GET", value)
        for name, value in vars(jira_settings).items()
        if name.isupper() and isinstance(value, str) and value.startswith("/rest/")
    ]
    assert len(connector_routes) >= 20
    values = {**_values(cloud.world, "3"), "board": _values(cloud.world, "3")["board"]}
    problems = []
    # The pycontribs walk runs against Cloud (on Data Center it would call /search instead).
    client_routes = [(m, p.replace("/rest/api/2/", "/rest/api/{v}/")) for m, p in PYCONTRIBS_ROUTES]
    for method, template in connector_routes + client_routes:
        dc_only = template in (jira_settings.SEARCH_DC, jira_settings.USERS_SEARCH_DC)
        cloud_only = (method, template) in client_routes or template in (
            jira_settings.SEARCH_JQL,
            jira_settings.CHANGELOG_BULK,
            jira_settings.USERS_SEARCH,
            jira_settings.FIELD_CONTEXTS,
            jira_settings.FIELD_OPTIONS,
            jira_settings.COMMENTS_BY_IDS,
        )
        for sandbox, version in ((cloud, "3"), (dc, "2")):
            if (dc_only and sandbox is cloud) or (cloud_only and sandbox is dc):
                continue
            path = _fill(template, {**values, "v": version})
            if specs.operation(method, path) is None:
                problems.append(f"not in the spec: {method} {path}")
            if not any(m == method and p.match(path) for m, p in _served_patterns(sandbox)):
                problems.append(f"not served ({sandbox.mode}): {method} {path}")
    assert problems == []


@pytest.mark.slow  # a full XS sync per deployment (~15-30 s each on a shared 2-core box)
@pytest.mark.parametrize("mode", ["cloud", "dc"])
def test_connector_sync_requests_and_answers_conform_to_spec(world, specs, mode, tmp_path) -> None:
    """A full connector sync against the sandbox: every request it sends is valid for its
    operation (parameters, body), and one answer per operation is validated too."""
    import json as jsonlib

    from connectors.jira import JiraSettings
    from pipelines.destinations import make_destination
    from pipelines.jira_pipeline import load

    exchanges: list[tuple[str, str, dict[str, list[str]], bytes, int, bytes]] = []
    with start_jira_server(world, mode=mode) as sandbox:

        def record(request, response) -> None:
            body = response.body
            raw = body if isinstance(body, bytes) else jsonlib.dumps(body).encode()
            exchanges.append(
                (request.method, request.path, request.query, request.body, response.status, raw)
            )

        sandbox.server.response_hook = record
        credentials = (
            {"email": sandbox.email, "api_token": sandbox.api_token}
            if mode == "cloud"
            else {"deployment": "datacenter", "pat": sandbox.pat}
        )
        settings = JiraSettings(base_url=sandbox.url, backoff_base_seconds=0.01, **credentials)
        load(
            settings,
            make_destination("duckdb", duckdb_path=tmp_path / "jira.duckdb"),
            pipelines_dir=tmp_path / "pipelines",
            pipeline_name=f"contract_{mode}",
        )
    assert len(exchanges) > 20
    problems: list[str] = []
    smallest: dict[str, tuple[str, str, dict[str, list[str]], bytes, int, bytes]] = {}
    for method, path, query, body, status, raw in exchanges:
        assert status == 200, f"{method} {path} answered {status}"
        outcome = specs.validate_request(method, path, query, body)
        problems += [f"request {outcome.operation}: {e}" for e in outcome.errors]
        key = outcome.operation
        if key not in smallest or len(raw) < len(smallest[key][5]):
            smallest[key] = (method, path, query, body, status, raw)
    for method, path, query, body, status, raw in smallest.values():
        query_string = "&".join(f"{k}={v}" for k, vs in query.items() for v in vs)
        outcome = specs.validate(
            method,
            f"https://x{path}?{query_string}",
            status=status,
            headers={"Content-Type": "application/json"},
            body=raw,
            request_body=body or None,
        )
        problems += [f"answer {outcome.operation}: {e}" for e in outcome.errors]
    assert problems == []
