"""The Graph sandbox against Microsoft Graph's v1.0 metadata (CSDL) and Graph's protocol rules.

Every Graph route the sandbox serves is replayed; each entity it returns is checked against the
CSDL entity type (every property declared, JSON type compatible). Protocol behaviour real clients
depend on (error shape, request ids, ETag/If-Match, $select, $count, $expand, $batch) is checked
against what Graph documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from vendor_specs import GraphMetadata

from sandbox.microsoft.graph_schema import ENTITY_PROPERTIES
from sandbox.microsoft.server import MicrosoftSandbox, start_microsoft_server
from sandbox.microsoft.world import PlannerWorld, generate_planner
from sandbox.portfolio import generate_portfolio
from sandbox.tls import write_self_signed_certificate

G = "microsoft.graph."
# (path template, query, entity type of the body or of each item of "value")
CASES: list[tuple[str, dict[str, str], str]] = [
    ("/groups", {}, "group"),
    ("/groups", {"$filter": "groupTypes/any(c:c eq 'Unified')"}, "group"),
    ("/groups/{group}", {}, "group"),
    ("/groups/{group}/planner/plans", {}, "plannerPlan"),
    ("/planner/plans/{plan}", {}, "plannerPlan"),
    ("/planner/plans/{plan}/details", {}, "plannerPlanDetails"),
    ("/planner/plans/{plan}/buckets", {}, "plannerBucket"),
    ("/planner/plans/{plan}/tasks", {}, "plannerTask"),
    ("/planner/plans/{plan}/tasks", {"$expand": "details"}, "plannerTask"),
    ("/planner/buckets/{bucket}", {}, "plannerBucket"),
    ("/planner/buckets/{bucket}/tasks", {}, "plannerTask"),
    ("/planner/tasks/{task}", {}, "plannerTask"),
    ("/planner/tasks/{task}", {"$expand": "details"}, "plannerTask"),
    ("/planner/tasks/{task}/details", {}, "plannerTaskDetails"),
    ("/planner/tasks/{task}/details", {"$select": "description,checklist"}, "plannerTaskDetails"),
    ("/users", {}, "user"),
    ("/users/{user}", {}, "user"),
]


@pytest.fixture(scope="module")
def metadata() -> GraphMetadata:
    return GraphMetadata()


@pytest.fixture(scope="module")
def world() -> PlannerWorld:
    return generate_planner(generate_portfolio("XS", 42))


@pytest.fixture(scope="module")
def graph(
    world: PlannerWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MicrosoftSandbox]:
    tls = write_self_signed_certificate(tmp_path_factory.mktemp("graph-contract"))
    sandbox = start_microsoft_server(world, tls=tls)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def session(graph: MicrosoftSandbox) -> requests.Session:
    token = requests.post(
        f"{graph.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": graph.client_id,
            "client_secret": graph.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=str(graph.cert_path),
        timeout=10,
    ).json()["access_token"]
    s = requests.Session()
    s.trust_env = False
    s.verify = str(graph.cert_path)
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def _ids(world: PlannerWorld) -> dict[str, str]:
    plan_id = next(iter(world.plans))
    task = world.tasks_for_plan(plan_id)[0]
    return {
        "group": world.plans[plan_id]["container"]["containerId"],
        "plan": plan_id,
        "bucket": task["bucketId"],
        "task": task["id"],
        "user": world.users[0]["id"],
    }


def _fill(template: str, world: PlannerWorld) -> str:
    ids = _ids(world)
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]} {sorted(c[1])}")
def test_served_entities_conform_to_the_csdl(graph, session, world, metadata, case) -> None:
    template, query, entity = case
    response = session.get(graph.graph_url + _fill(template, world), params=query)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["request-id"] and response.headers["client-request-id"]
    body = response.json()
    assert body["@odata.context"].startswith(f"{graph.graph_url}/$metadata#")
    items = body["value"] if "value" in body else [body]
    assert items, "the replay must validate at least one entity"
    errors = [e for item in items for e in metadata.validate(item, G + entity)]
    assert errors == []
    if query.get("$expand") == "details":
        assert all("details" in item for item in items)
    if "$select" in query:
        wanted = set(query["$select"].split(","))
        assert all(set(k for k in i if not k.startswith("@")) <= wanted | {"id"} for i in items)


def test_every_served_graph_route_is_replayed(graph, world) -> None:
    replayed = [graph.graph_url.removeprefix(graph.base_url) + _fill(c[0], world) for c in CASES]
    # $batch, and the error routes replayed by test_errors_are_graph_shaped.
    replayed += ["/v1.0/$batch", "/v1.0/me", "/v1.0/groups/not-a-guid", "/v1.0/planner/tasks/short"]
    served = [
        pattern
        for method, pattern, _ in graph.router._routes
        if pattern.pattern.startswith("^/v1\\.0") or pattern.pattern.startswith("^/v1.0")
    ]
    assert served
    missing = [p.pattern for p in served if not any(p.match(r) for r in replayed)]
    assert missing == []  # PATCH routes share the task paths; test_patch_... replays them


def test_the_csdl_check_catches_wrong_bodies(metadata) -> None:
    wrong = {
        "id": "x",
        "title": 5,
        "percentComplete": "half",
        "bogus": 1,
        "createdBy": {"user": "x"},
    }
    errors = metadata.validate(wrong, G + "plannerTask")
    assert len(errors) == 4, errors
    assert metadata.validate({"assignments": {"any-user-id": {}}}, G + "plannerTask") == []


def test_select_property_lists_match_the_csdl(metadata) -> None:
    for entity, names in ENTITY_PROPERTIES.items():
        assert names == metadata.property_names(G + entity), entity


def _graph_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert response.headers["request-id"] == error["innerError"]["request-id"]
    return error


def test_errors_are_graph_shaped(graph, session) -> None:
    base = graph.graph_url
    _graph_error(session.get(f"{base}/nothing/here"), 400, "BadRequest")
    _graph_error(session.get(f"{base}/groups/not-a-guid"), 400, "Request_BadRequest")
    _graph_error(session.get(f"{base}/planner/tasks/short"), 400, "BadRequest")
    _graph_error(session.delete(f"{base}/groups"), 405, "Request_BadRequest")
    error = _graph_error(session.get(f"{base}/me"), 400, "BadRequest")
    assert "delegated" in error["message"]
    _graph_error(session.get(f"{base}/users", params={"$select": "id,nope"}), 400, "BadRequest")


def test_client_request_id_is_echoed(graph, session, world) -> None:
    r = session.get(f"{graph.graph_url}/users", headers={"client-request-id": "abc-123"})
    assert r.headers["client-request-id"] == "abc-123"


def test_count_needs_consistency_level_on_directory_objects(graph, session, world) -> None:
    plain = session.get(f"{graph.graph_url}/groups", params={"$count": "true"})
    _graph_error(plain, 400, "Request_BadRequest")
    eventual = session.get(
        f"{graph.graph_url}/groups",
        params={"$count": "true"},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert eventual.json()["@odata.count"] == len(world.groups)
    plan = _ids(world)["plan"]
    tasks = session.get(f"{graph.graph_url}/planner/plans/{plan}/tasks", params={"$count": "true"})
    assert tasks.json()["@odata.count"] == len(world.tasks_for_plan(plan))


def test_patch_with_if_match_is_optimistic(graph, session, world) -> None:
    task_id = _ids(world)["task"]
    url = f"{graph.graph_url}/planner/tasks/{task_id}"
    current = session.get(url)
    etag = current.headers["ETag"]
    assert etag == current.json()["@odata.etag"]
    _graph_error(session.patch(url, json={"title": "x"}), 400, "BadRequest")  # no If-Match
    ok = session.patch(url, json={"percentComplete": 50}, headers={"If-Match": etag})
    assert ok.status_code == 204
    assert world.tasks[task_id]["percentComplete"] == 50
    assert world.tasks[task_id]["@odata.etag"] != etag
    stale = session.patch(url, json={"percentComplete": 100}, headers={"If-Match": etag})
    _graph_error(stale, 412, "PreconditionFailed")
    assert world.tasks[task_id]["percentComplete"] == 50
    fresh = session.get(url).headers["ETag"]
    shown = session.patch(
        url,
        json={"title": "Renamed"},
        headers={"If-Match": fresh, "Prefer": "return=representation"},
    )
    assert shown.status_code == 200 and shown.json()["title"] == "Renamed"
    _graph_error(
        session.patch(url, json={"nope": 1}, headers={"If-Match": shown.headers["ETag"]}),
        400,
        "BadRequest",
    )


def test_batch_accepts_relative_and_absolute_urls_and_rejects_duplicate_ids(
    graph, session, world
) -> None:
    ids = _ids(world)
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/planner/tasks/{ids['task']}/details"},
            {"id": "2", "method": "GET", "url": f"planner/plans/{ids['plan']}"},
            {"id": "3", "method": "GET", "url": f"{graph.graph_url}/groups/{ids['group']}"},
            {"id": "4", "method": "GET", "url": "/nothing"},
        ]
    }
    answer = session.post(f"{graph.graph_url}/$batch", json=body).json()
    statuses = {r["id"]: r["status"] for r in answer["responses"]}
    assert statuses == {"1": 200, "2": 200, "3": 200, "4": 400}
    bad = next(r for r in answer["responses"] if r["id"] == "4")
    assert bad["body"]["error"]["code"] == "BadRequest"
    duplicate = {"requests": [{"id": "1", "method": "GET", "url": "/users"}] * 2}
    _graph_error(session.post(f"{graph.graph_url}/$batch", json=duplicate), 400, "BadRequest")


def test_connector_paths_and_selects_are_served_and_valid(graph, session, world, metadata) -> None:
    from connectors.planner import settings as planner_settings

    ids = _ids(world)
    values = {"group_id": ids["group"], "plan_id": ids["plan"], "task_id": ids["task"]}
    paths = [
        value.format(**values)
        for name, value in vars(planner_settings).items()
        if name.endswith("_PATH") and isinstance(value, str)
    ]
    assert len(paths) >= 9
    for path in paths:
        method = "POST" if path == "/$batch" else "GET"
        assert any(m == method and p.match("/v1.0" + path) for m, p, _ in graph.router._routes), (
            path
        )
    for entity, select in (
        ("user", planner_settings.USER_SELECT),
        ("group", planner_settings.GROUP_SELECT),
    ):
        assert set(select.split(",")) <= metadata.property_names(G + entity)
        response = session.get(f"{graph.graph_url}/{entity}s", params={"$select": select})
        assert response.status_code == 200
        assert all(metadata.validate(i, G + entity) == [] for i in response.json()["value"])
