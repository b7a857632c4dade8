"""The pycontribs `jira` client (3.10.5), unchanged, walks the Jira sandbox over HTTPS.

Nobody here wrote that client: if it reads the same counts the world holds, the sandbox answers the
way Jira Cloud does for the calls it makes (serverInfo-based Cloud detection, search/jql paging,
expand options, group members through the deprecated /group, project roles).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jira import JIRA

from sandbox.jira.server import JiraSandbox, start_jira_server
from sandbox.jira.world import JiraWorld, generate_jira
from sandbox.portfolio import generate_portfolio
from sandbox.tls import write_self_signed_certificate


@pytest.fixture(scope="module")
def world() -> JiraWorld:
    return generate_jira(generate_portfolio("XS", 42))


@pytest.fixture(scope="module")
def sandbox(world: JiraWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JiraSandbox]:
    tls = write_self_signed_certificate(tmp_path_factory.mktemp("jira-client-tls"))
    server = start_jira_server(world, tls=tls)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(sandbox: JiraSandbox, monkeypatch_module: pytest.MonkeyPatch) -> JIRA:
    # The CA the sandbox's certificate is signed with, as a user would trust it.
    monkeypatch_module.setenv("REQUESTS_CA_BUNDLE", str(sandbox.cert_path))
    return JIRA(
        server=sandbox.url,
        basic_auth=(sandbox.email, sandbox.api_token),
        options={"verify": sandbox.cert_path},
        max_retries=0,
    )


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_identity_and_deployment(client: JIRA, world: JiraWorld) -> None:
    assert client.server_info()["deploymentType"] == "Cloud"
    assert client._is_cloud
    assert client.myself()["accountId"] == world.api_user.account_id


def test_projects_with_categories_and_types(client: JIRA, world: JiraWorld) -> None:
    projects = client.projects()
    assert sorted(p.key for p in projects) == sorted(p.key for p in world.projects)
    categories = {c["id"]: c["name"] for c in client.projectcategories()}
    mapped = {str(p.category_id): p.category_name for p in world.projects if p.category_id}
    assert categories == mapped
    for project in projects:
        category = getattr(project, "projectCategory", None)
        if category is not None:
            assert categories[category.id] == category.name
    types = {t["key"] for t in client._get_json("project/type")}
    assert {p.projectTypeKey for p in projects} <= types


def test_search_with_changelog_and_transitions(client: JIRA, world: JiraWorld) -> None:
    project = world.projects[0]
    issues = client.enhanced_search_issues(
        f"project = {project.key} ORDER BY key ASC",
        maxResults=0,
        fields="summary,status",
        expand="changelog,transitions",
    )
    assert sorted(int(i.id) for i in issues) == sorted(world.issues_by_project[project.id])
    for issue in issues[:10]:
        histories = world.histories(world.issues[int(issue.id)])
        assert issue.changelog.total == len(histories)
        assert len(issue.changelog.histories) == min(40, len(histories))
        names = {t["to"]["name"] for t in issue.raw["transitions"]}
        assert issue.fields.status.name not in names and len(names) == 4
    first = issues[0]
    assert [t["id"] for t in client.transitions(first)] == [
        t["id"] for t in first.raw["transitions"]
    ]


def test_worklogs(client: JIRA, world: JiraWorld) -> None:
    issue_id = next(i for i, logs in world.worklogs_by_issue.items() if len(logs) > 1)
    worklogs = client.worklogs(world.issues[issue_id].key)
    assert sorted(int(w.id) for w in worklogs) == sorted(
        w.id for w in world.issue_worklogs(issue_id)
    )
    assert sum(w.timeSpentSeconds for w in worklogs) == sum(
        w.seconds for w in world.issue_worklogs(issue_id)
    )


def test_users_via_group_members(client: JIRA, world: JiraWorld) -> None:
    members = client.group_members("jira-software-users")
    assert sorted(m["accountId"] for m in members.values()) == sorted(
        u.account_id for u in world.users
    )


def test_roles(client: JIRA, world: JiraWorld) -> None:
    project = next(p for p in world.projects if p.members)
    roles = client.project_roles(project.key)
    assert {"Administrators", "Member", "Viewer"} <= set(roles)
    member = client.project_role(project.key, roles["Member"]["id"])
    assert sorted(a.actorUser.accountId for a in member.actors) == sorted(project.members)
    admins = client.project_role(project.key, roles["Administrators"]["id"])
    assert [a.actorUser.accountId for a in admins.actors] == (
        [project.lead] if project.lead else []
    )
    assert {r["name"] for r in client._get_json("role")} == set(roles)
