"""The Jira half of the sandbox: deterministic world, manifest ground truth, faithful server."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from jira import JIRA

from sandbox.http import FaultConfig
from sandbox.jira.world import (
    DAY_MS,
    ISSUE,
    RISK,
    _apply_item,
    generate_jira,
    ms_to_datetime,
    person_days,
)
from sandbox.portfolio import generate_portfolio


def _digest(world) -> str:
    h = hashlib.sha256()
    for issue in sorted(world.live_issues(), key=lambda i: i.id):
        h.update(
            f"{issue.id}{issue.key}{issue.status_id}{issue.assignee}{issue.updated_ms}".encode()
        )
        for history in world.histories(issue):
            h.update(repr((history.id, history.created_ms, history.items)).encode())
    for wl in sorted(world.worklogs.values(), key=lambda w: w.id):
        h.update(f"{wl.id}{wl.issue_id}{wl.author}{wl.started_ms}{wl.seconds}".encode())
    return h.hexdigest()


def test_world_is_deterministic_and_sized_by_tier():
    a = generate_jira(generate_portfolio("XS", 42))
    b = generate_jira(generate_portfolio("XS", 42))
    c = generate_jira(generate_portfolio("XS", 43))
    assert _digest(a) == _digest(b) != _digest(c)
    issues = list(a.live_issues())
    assert len(issues) == 397
    assert sum(len(a.histories(i)) for i in issues) == 4623  # tier XS asks for about 5,000
    # Worklogs add up to each project's planned labour to date, not to the tier's 2,000 rows.
    assert len(a.worklogs) == 1340
    # The last project is the planted unmapped one; all others carry a finance code category.
    assert [p.category_name is None for p in a.projects].count(True) == 1


def test_changelog_replays_from_creation_state_to_current_state(world):
    world.tick()
    for issue in world.live_issues():
        state = world.initial_state(issue)
        for history in world.histories(issue):
            for item in history.items:
                _apply_item(state, item)
        assert (state.status_id, state.assignee, state.priority_id, state.story_points) == (
            issue.status_id,
            issue.assignee,
            issue.priority_id,
            issue.story_points,
        )
        times = [h.created_ms for h in world.histories(issue)]
        assert times == sorted(times) and all(t >= issue.created_ms for t in times)


def test_manifest_keys_exist_in_the_world(world):
    faults = [f for f in world.portfolio.manifest.faults if f.system == "jira"]
    rules = {f.rule_id for f in faults}
    assert rules == {"TS-03", "TS-04", "TS-05", "TS-11", "GV-04", "GV-08", "GV-10"}
    days = person_days(world)
    now = world.now_ms
    for fault in faults:
        if fault.rule_id in ("TS-03", "TS-11"):
            account, day = fault.key.split("|")
            logs = days[(account, datetime.fromisoformat(day).date())]
            assert sum(w.seconds for w in logs) > 8 * 3600
            if fault.rule_id == "TS-11":
                assert all(not w.comment for w in logs)
        elif fault.rule_id == "TS-04":
            assert world.worklogs[int(fault.key)].started_ms > now
        elif fault.rule_id == "TS-05":
            wl = world.worklogs[int(fault.key)]
            project = world.project_by_id[world.issues[wl.issue_id].project_id]
            assert project.closed_ms is not None and wl.started_ms > project.closed_ms + DAY_MS - 1
        elif fault.rule_id == "GV-04":
            version = next(v for v in world.versions if v.id == int(fault.key))
            assert not version.released and version.release_date < world.now.date()
        elif fault.rule_id == "GV-08":
            issue = world.issues[world.issue_by_key[fault.key]]
            assert issue.type_id in (RISK, ISSUE) and issue.assignee is None and not issue.is_done
        elif fault.rule_id == "GV-10":
            assert world.project_by_key[fault.key].category_name is None
    # The ground truth is complete: no over-8h day is missing from the manifest.
    over = {
        f"{a}|{d.isoformat()}"
        for (a, d), logs in days.items()
        if sum(w.seconds for w in logs) > 8 * 3600
    }
    assert over == {f.key for f in faults if f.rule_id == "TS-03"}


def test_tick_edits_creates_and_deletes(world):
    before = {i.id: i.updated_ms for i in world.live_issues()}
    counts = world.tick(change_fraction=0.05)
    site_counts = {
        k: counts.pop(k) for k in ("comments_created", "comments_updated", "links_created")
    }
    assert sum(site_counts.values()) > 0  # the site's comments and links move with the issues
    assert counts == {
        "issues_updated": 19,
        "issues_created": 3,
        "issues_deleted": 1,
        "worklogs_updated": 66,
        "worklogs_created": 33,
        "worklogs_deleted": 13,
    }
    after = {i.id: i.updated_ms for i in world.live_issues()}
    assert set(before) - set(after) == set(world.deleted_issues)
    assert len(set(after) - set(before)) == 3
    assert all(after[i] >= before[i] for i in after if i in before)
    assert world.now == datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        world.tick(world.now - timedelta(days=1))


def test_pycontribs_jira_works_unchanged_over_https(world, start_server, tls_pair):
    sandbox = start_server(world, tls=tls_pair)
    client = JIRA(
        sandbox.url,
        basic_auth=(sandbox.email, sandbox.api_token),
        options={"verify": str(tls_pair.cert_path), "check_update": False},
    )
    assert client._is_cloud
    project = world.projects[0]
    issues = client.enhanced_search_issues(f"project = {project.key} ORDER BY key", maxResults=0)
    assert [i.key for i in issues] == [f"{project.key}-{n}" for n in range(1, len(issues) + 1)]
    assert len(issues) == len(world.issues_by_project[project.id])
    first = world.issues[int(issues[0].id)]
    assert issues[0].fields.summary == first.summary
    assert (
        issues[0].fields.status.name
        == {
            10000: "To Do",
            3: "In Progress",
            10001: "In Review",
            10002: "Done",
            10003: "Cancelled",
        }[first.status_id]
    )
    page = client.enhanced_search_issues(
        f"project = {project.key}", maxResults=10, fields="summary"
    )
    assert len(page) == 10 and page.nextPageToken
    busiest = max(world.live_issues(), key=lambda i: len(world.issue_worklogs(i.id)))
    worklogs = client.worklogs(busiest.key)
    assert sorted(int(w.id) for w in worklogs) == sorted(
        w.id for w in world.issue_worklogs(busiest.id)
    )
    assert client.approximate_issue_count(f"project = {project.key}") == len(issues)


def _session(sandbox):
    s = requests.Session()
    s.auth = (sandbox.email, sandbox.api_token)
    return s


def test_search_jql_defaults_limits_and_truncation(world, start_server):
    sandbox = start_server(world)
    s = _session(sandbox)
    url = f"{sandbox.url}/rest/api/3/search/jql"
    jql = " AND ".join([f"project in ({','.join(p.key for p in world.projects)})", "updated >= 0"])
    body = s.post(url, json={"jql": jql, "maxResults": 1000}).json()
    assert set(body["issues"][0]) == {"id"}  # fields default to id only
    assert len(body["issues"]) == 397 and body["isLast"] is True
    body = s.post(url, json={"jql": jql, "maxResults": 1000, "fields": ["summary"]}).json()
    assert len(body["issues"]) == 100 and body["isLast"] is False and body["nextPageToken"]
    long_issue = max(world.live_issues(), key=lambda i: len(world.histories(i)))
    body = s.get(
        url, params={"jql": f"key = {long_issue.key}", "fields": "worklog", "expand": "changelog"}
    ).json()
    changelog = body["issues"][0]["changelog"]
    assert (
        changelog["total"] == len(world.histories(long_issue)) > 40 == len(changelog["histories"])
    )
    wl_issue = max(world.live_issues(), key=lambda i: len(world.issue_worklogs(i.id)))
    body = s.get(url, params={"jql": f"key = {wl_issue.key}", "fields": "worklog"}).json()
    embedded = body["issues"][0]["fields"]["worklog"]
    assert (
        embedded["total"]
        == len(world.issue_worklogs(wl_issue.id))
        > 20
        == len(embedded["worklogs"])
    )
    # v3 renders rich text as ADF, v2 as a plain string.
    v3 = s.get(url, params={"jql": f"key = {wl_issue.key}", "fields": "description"}).json()
    v2 = s.get(
        url.replace("/3/", "/2/"), params={"jql": f"key = {wl_issue.key}", "fields": "description"}
    ).json()
    assert v3["issues"][0]["fields"]["description"]["type"] == "doc"
    assert isinstance(v2["issues"][0]["fields"]["description"], str)
    # Errors are loud: unbounded JQL and unknown fields answer 400; the old search answers 410.
    assert s.get(url, params={"jql": "order by updated"}).status_code == 400
    assert s.get(url, params={"jql": "bogus = 1"}).status_code == 400
    assert s.get(f"{sandbox.url}/rest/api/3/search", params={"jql": jql}).status_code == 410


def test_jql_date_literals_use_the_api_users_time_zone(world, start_server):
    sandbox = start_server(world)
    s = _session(sandbox)
    project = world.projects[0]
    issue = max(
        (world.issues[i] for i in world.issues_by_project[project.id]), key=lambda i: i.updated_ms
    )
    local = ms_to_datetime(issue.updated_ms).astimezone(sandbox.zone)
    literal = local.strftime("%Y-%m-%d %H:%M")
    utc_literal = ms_to_datetime(issue.updated_ms).strftime("%Y-%m-%d %H:%M")
    url = f"{sandbox.url}/rest/api/3/search/jql"

    def count(bound: str) -> int:
        body = s.get(
            url, params={"jql": f'project = {project.key} AND updated >= "{bound}"'}
        ).json()
        assert "issues" in body, body
        return len(body["issues"])

    assert count(literal) == 1  # read in America/Los_Angeles, as Jira does
    assert count(utc_literal) == 0  # a UTC literal lands hours later: the classic time-zone trap
    assert count(str(issue.updated_ms)) == 1  # epoch ms is unambiguous


def test_auth_rejects_wrong_credentials_without_echoing_them(world, start_server):
    sandbox = start_server(world)
    r = requests.get(f"{sandbox.url}/rest/api/3/myself", auth=(sandbox.email, "not-the-token"))
    assert r.status_code == 401 and "not-the-token" not in r.text
    assert requests.get(f"{sandbox.url}/rest/api/3/serverInfo").json()["deploymentType"] == "Cloud"


def test_worklog_feeds_page_with_next_page_and_hide_the_last_minute(world, start_server):
    sandbox = start_server(world)
    s = _session(sandbox)
    ids: list[int] = []
    url = f"{sandbox.url}/rest/api/3/worklog/updated?since=0"
    pages = 0
    while url:
        body = s.get(url).json()
        ids += [v["worklogId"] for v in body["values"]]
        pages += 1
        url = None if body["lastPage"] else body["nextPage"]
    assert pages == 2 and sorted(ids) == sorted(world.worklogs)
    listed = s.post(f"{sandbox.url}/rest/api/3/worklog/list", json={"ids": ids[:5]}).json()
    assert [int(w["id"]) for w in listed] == ids[:5]
    # A change younger than a minute is not listed yet.
    world.tick(datetime.now(UTC), spread=timedelta(seconds=5))
    body = s.get(
        f"{sandbox.url}/rest/api/3/worklog/updated",
        params={"since": int(time.time() * 1000) - 30_000},
    ).json()
    assert body["values"] == []
    deleted = s.get(f"{sandbox.url}/rest/api/3/worklog/deleted", params={"since": 0}).json()
    assert deleted["values"] == []  # also within the last minute


def test_agile_boards_sprints_versions_and_bulk_changelog(world, start_server):
    sandbox = start_server(world)
    s = _session(sandbox)
    kanban = next(b for b in world.boards if b.type == "kanban")
    scrum = next(b for b in world.boards if b.type == "scrum")
    r = s.get(f"{sandbox.url}/rest/agile/1.0/board/{kanban.id}/sprint")
    assert r.status_code == 400 and r.json()["errorMessages"] == [
        "The board does not support sprints"
    ]
    sprints = s.get(
        f"{sandbox.url}/rest/agile/1.0/board/{scrum.id}/sprint", params={"maxResults": 50}
    ).json()
    assert sprints["total"] == sum(1 for sp in world.sprints if sp.board_id == scrum.id)
    assert sprints["values"][0]["startDate"].endswith("Z")
    project = world.projects[0]
    versions = s.get(f"{sandbox.url}/rest/api/3/project/{project.key}/version").json()
    assert versions["total"] == sum(1 for v in world.versions if v.project_id == project.id)
    ids = [str(i) for i in world.issues_by_project[project.id][:50]]
    body = s.post(
        f"{sandbox.url}/rest/api/3/changelog/bulkfetch",
        json={"issueIdsOrKeys": ids, "maxResults": 100},
    ).json()
    first = body["issueChangeLogs"][0]["changeHistories"][0]
    assert isinstance(first["created"], int)  # epoch ms here, ISO strings elsewhere
    assert body["nextPageToken"]


def test_data_center_mode_uses_v2_offset_paging_and_bearer_pat(world, start_server):
    sandbox = start_server(world, mode="dc")
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {sandbox.pat}"
    project = world.projects[0]
    body = s.get(
        f"{sandbox.url}/rest/api/2/search",
        params={"jql": f"project = {project.key}", "startAt": 10, "maxResults": 5},
    ).json()
    assert body["total"] == len(world.issues_by_project[project.id]) and body["startAt"] == 10
    assert len(body["issues"]) == 5 and "fields" in body["issues"][0]
    assert s.get(f"{sandbox.url}/rest/api/3/myself").status_code == 404
    assert (
        requests.get(
            f"{sandbox.url}/rest/api/2/myself", auth=(sandbox.email, sandbox.api_token)
        ).status_code
        == 401
    )
    assert requests.get(f"{sandbox.url}/rest/api/2/serverInfo").json()["deploymentType"] == "Server"


def test_faults_are_injected_deterministically(world, start_server):
    sandbox = start_server(world, faults=FaultConfig(rate_limit_every=3, retry_after_seconds=2))
    s = _session(sandbox)
    statuses = [s.get(f"{sandbox.url}/rest/api/3/myself").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    r = s.get(f"{sandbox.url}/rest/api/3/myself")
    assert r.status_code == 200
    limited = [s.get(f"{sandbox.url}/rest/api/3/myself") for _ in range(2)][1]
    assert limited.headers["Retry-After"] == "2" and limited.headers["X-RateLimit-Remaining"] == "0"


def test_jql_or_groups_and_comments_by_ids(world, start_server):
    sandbox = start_server(world)
    s = _session(sandbox)
    a, b = world.projects[0], world.projects[1]
    newest = {
        p.id: max(world.issues[i].updated_ms for i in world.issues_by_project[p.id]) for p in (a, b)
    }
    jql = (
        f"(project = {a.id} AND updated >= {newest[a.id]}) OR "
        f"(project in ({b.id}) AND updated >= {newest[b.id] - 1}) ORDER BY updated ASC"
    )
    body = s.post(
        f"{sandbox.url}/rest/api/3/search/jql", json={"jql": jql, "fields": ["project"]}
    ).json()
    expected = {
        i
        for p in (a, b)
        for i in world.issues_by_project[p.id]
        if world.issues[i].updated_ms >= newest[p.id] - (p is b)
    }
    assert {int(i["id"]) for i in body["issues"]} == expected and len(expected) >= 2
    bad = s.post(f"{sandbox.url}/rest/api/3/search/jql", json={"jql": f"project = {a.id} OR"})
    assert bad.status_code == 400

    ids = sorted(world.site.comments)[:3] + [999_999_999]  # one that does not exist
    page = s.post(f"{sandbox.url}/rest/api/3/comment/list", json={"ids": ids}).json()
    assert [int(c["id"]) for c in page["values"]] == ids[:3] and page["isLast"]
    too_many = s.post(f"{sandbox.url}/rest/api/3/comment/list", json={"ids": list(range(1001))})
    assert too_many.status_code == 400
