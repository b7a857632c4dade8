"""Jira sandbox semantics a real client relies on (beyond the schema): expand options, links,
pagination as Jira writes it, the world clock, Data Center authentication."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests

from sandbox.jira.server import JiraSandbox, start_jira_server
from sandbox.jira.world import STATUSES, JiraWorld, generate_jira
from sandbox.portfolio import generate_portfolio


@pytest.fixture(scope="module")
def world() -> JiraWorld:
    return generate_jira(generate_portfolio("XS", 42))


@pytest.fixture(scope="module")
def cloud(world: JiraWorld) -> Iterator[JiraSandbox]:
    sandbox = start_jira_server(world)
    yield sandbox
    sandbox.stop()


def _s(sandbox: JiraSandbox) -> requests.Session:
    session = requests.Session()
    session.auth = (sandbox.email, sandbox.api_token)
    return session


def test_search_expands_transitions_rendered_fields_names_and_schema(cloud, world) -> None:
    project = world.projects[0]
    body = (
        _s(cloud)
        .get(
            f"{cloud.url}/rest/api/2/search/jql",
            params={
                "jql": f"project = {project.key}",
                "fields": "summary,status,description,created",
                "expand": "changelog,transitions,renderedFields,names,schema",
                "maxResults": 5,
            },
        )
        .json()
    )
    issue = body["issues"][0]
    current = issue["fields"]["status"]["id"]
    targets = {t["to"]["id"] for t in issue["transitions"]}
    assert targets == {str(s) for s in STATUSES} - {current}
    assert set(issue["renderedFields"]) == {"summary", "status", "description", "created"}
    assert body["names"]["summary"] == "Summary" and body["schema"]["status"]["type"] == "status"
    assert len(issue["changelog"]["histories"]) <= 40


def test_issue_transitions_route_and_v2_self_links(cloud, world) -> None:
    issue = next(iter(world.issues.values()))
    s = _s(cloud)
    transitions = s.get(f"{cloud.url}/rest/api/2/issue/{issue.key}/transitions").json()
    assert len(transitions["transitions"]) == len(STATUSES) - 1
    body = s.get(f"{cloud.url}/rest/api/2/issue/{issue.key}", params={"fields": "*all"}).text
    assert "/rest/api/3/" not in body and "/rest/api/2/" in body
    assert "/rest/api/3/" not in s.get(f"{cloud.url}/rest/api/2/project").text


def test_every_self_link_resolves(cloud, world) -> None:
    s = _s(cloud)
    project = next(p for p in world.projects if p.category_id is not None and p.lead)
    body = s.get(f"{cloud.url}/rest/api/3/project/{project.key}").json()
    links = [body["self"], body["projectCategory"]["self"], body["lead"]["self"]]
    for noun in ("version", "component"):
        listing = s.get(f"{cloud.url}/rest/api/3/project/{project.key}/{noun}s").json()
        links += [item["self"] for item in listing[:3]]
    issue = s.get(
        f"{cloud.url}/rest/api/3/issue/{world.issues_by_project[project.id][0]}",
        params={"fields": "status,assignee,project"},
    ).json()
    links += [issue["self"], issue["fields"]["status"]["self"]]
    for link in links:
        assert s.get(link).status_code == 200, link


def test_pages_carry_absolute_self_and_next_page(cloud) -> None:
    body = _s(cloud).get(f"{cloud.url}/rest/api/3/project/search", params={"maxResults": 2}).json()
    assert body["self"].startswith(cloud.url + "/rest/api/3/project/search")
    assert body["nextPage"].startswith(cloud.url) and "startAt=2" in body["nextPage"]


def test_project_search_expands_description_url_and_keys(cloud, world) -> None:
    body = (
        _s(cloud)
        .get(
            f"{cloud.url}/rest/api/3/project/search",
            params={"expand": "description,url,projectKeys"},
        )
        .json()
    )
    first = body["values"][0]
    assert first["projectKeys"] == [first["key"]]
    assert "description" in first and "url" in first


def test_server_time_is_the_world_clock(cloud, world) -> None:
    info = requests.get(f"{cloud.url}/rest/api/3/serverInfo").json()
    assert info["serverTime"] == cloud.ts(world.now_ms)


def test_worklog_next_page_uses_since_only(cloud, world) -> None:
    s = _s(cloud)
    url = f"{cloud.url}/rest/api/3/worklog/updated?since=0"
    seen: list[int] = []
    while url:
        body = s.get(url).json()
        seen += [v["worklogId"] for v in body["values"]]
        if body["lastPage"]:
            break
        url = body["nextPage"]
        assert "cursor" not in url and f"since={body['until'] + 1}" in url
    assert sorted(seen) == sorted(world.worklogs)


def test_group_members_page_like_jira(cloud, world) -> None:
    s = _s(cloud)
    members: list[str] = []
    start = 0
    while True:
        page = s.get(
            f"{cloud.url}/rest/api/3/group/member",
            params={"groupname": "jira-software-users", "startAt": start, "maxResults": 50},
        ).json()
        members += [u["accountId"] for u in page["values"]]
        if page["isLast"]:
            break
        assert page["nextPage"].startswith(cloud.url)
        start += page["maxResults"]
    assert sorted(members) == sorted(u.account_id for u in world.users)
    # The deprecated /group pages its users with expand=users[a:b] (what pycontribs follows).
    group = s.get(
        f"{cloud.url}/rest/api/3/group",
        params={"groupname": "jira-software-users", "expand": "users[5:9]"},
    ).json()["users"]
    assert (group["size"], group["start-index"], group["end-index"]) == (len(world.users), 5, 9)
    assert [u["accountId"] for u in group["items"]] == [u.account_id for u in world.users[5:10]]


def test_data_center_accepts_basic_and_bearer(world) -> None:
    with start_jira_server(world, mode="dc") as dc:
        basic = requests.get(f"{dc.url}/rest/api/2/myself", auth=(dc.username, dc.password))
        bearer = requests.get(
            f"{dc.url}/rest/api/2/myself", headers={"Authorization": f"Bearer {dc.pat}"}
        )
        wrong = requests.get(
            f"{dc.url}/rest/api/2/myself",
            headers={"Authorization": "Basic " + base64.b64encode(b"someone:wrong").decode()},
        )
    assert basic.status_code == bearer.status_code == 200
    assert basic.json()["name"] == world.api_user.dc_name
    assert wrong.status_code == 401


def test_sandbox_up_serves_data_center_on_request(tmp_path) -> None:
    import tomllib

    from pmo_hub.cli import build_parser
    from sandbox.runtime import start_sandbox

    args = build_parser().parse_args(["sandbox", "up", "--jira-deployment", "datacenter"])
    assert args.jira_deployment == "datacenter"
    sandbox = start_sandbox(tmp_path, "XS", 42, jira_mode="dc")
    try:
        jira = tomllib.loads(sandbox.config_toml())["sources"]["jira"]
        assert jira["deployment"] == "datacenter" and "email" not in jira
        pat = sandbox.secrets()["PMO_HUB_JIRA_PAT"]
        info = requests.get(
            f"{jira['base_url']}/rest/api/2/serverInfo", verify=jira["verify"], timeout=10
        ).json()
        me = requests.get(
            f"{jira['base_url']}/rest/api/2/myself",
            headers={"Authorization": f"Bearer {pat}"},
            verify=jira["verify"],
            timeout=10,
        )
    finally:
        sandbox.stop()
    assert info["deploymentType"] == "Server" and me.status_code == 200
