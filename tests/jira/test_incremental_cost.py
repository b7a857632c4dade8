"""What the incremental sync refetches after the standard tick, and that it loses nothing.

Machine-independent cost: requests and rows (items in the response bodies: issues, histories,
worklogs, comments, dimension entries) per endpoint, incremental as a share of the full sync.
Issue 17 item 2 sets the goal at <= 5 % of the full sync; this test measures and bounds today's
figures so a change that makes the incremental dearer fails, and it checks every issue-derived
table of the incremental warehouse against a fresh full sync of the same world.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from jira_helpers import Warehouse, cloud_settings, dc_settings

from connectors.jira import client as jira_client

_ISSUE_KEY = re.compile(r"/\d+(?=/|$)")


def _rows_in(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if "issueChangeLogs" in body:
            return sum(len(log.get("changeHistories") or []) for log in body["issueChangeLogs"])
        if isinstance(body.get("issues"), list):  # a search page: issues + embedded histories
            return len(body["issues"]) + sum(
                len((i.get("changelog") or {}).get("histories") or []) for i in body["issues"]
            )
        for key in ("values", "comments", "histories"):
            if isinstance(body.get(key), list):
                return len(body[key])
    return 1


@pytest.fixture
def row_counts(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Rows per endpoint (ids folded to N), counted on the client's decoded bodies."""
    counts: Counter[str] = Counter()
    get_json, post_json = jira_client.JiraClient.get_json, jira_client.JiraClient.post_json

    def endpoint(method: str, path: str) -> str:
        return f"{method} " + _ISSUE_KEY.sub("/N", re.sub(r"^https?://[^/]+", "", path))

    def counted_get(self: Any, path: str, params: Any = None) -> Any:
        body = get_json(self, path, params)
        counts[endpoint("GET", path.split("?")[0])] += _rows_in(body)
        return body

    def counted_post(self: Any, path: str, body: Any) -> Any:
        answer = post_json(self, path, body)
        counts[endpoint("POST", path)] += _rows_in(answer)
        return answer

    monkeypatch.setattr(jira_client.JiraClient, "get_json", counted_get)
    monkeypatch.setattr(jira_client.JiraClient, "post_json", counted_post)
    return counts


# Current rows of each issue-derived table, without extraction metadata. Child tables keep rows
# an issue no longer has; the current ones carry the issue's latest _extracted_at.
_CURRENT = {
    "issues": "select * from raw_jira.issues",
    "changelog": "select * from raw_jira.changelog",
    "issue_field_history": "select * from raw_jira.issue_field_history",
    **{
        name: f"select c.* from raw_jira.{name} as c"
        " join raw_jira.issues as i on i.id = c.issue_id and i._extracted_at = c._extracted_at"
        for name in ("issue_custom_field_values", "issue_comments", "issue_links")
    },
    "worklogs": "select * from raw_jira.worklogs"
    " where id not in (select worklog_id from raw_jira.worklogs_deleted)",
}


_WRITTEN = (
    "select issue_id, _extracted_at from raw_jira.changelog"
    " union all select issue_id, _extracted_at from raw_jira.issue_field_history"
)


def _table(wh: Warehouse, name: str, live: set[int]) -> list[tuple[Any, ...]]:
    sql = _CURRENT[name]
    cols = [c[0] for c in wh.rows(f"describe ({sql})")]
    keep = [n for n, c in enumerate(cols) if not c.startswith("_")]  # _extracted_at, _dlt_*
    ends = [cols.index("id" if name == "issues" else "issue_id")]
    if name == "issue_links":
        # Deleting an issue drops its links without touching the issue at the other end (Jira
        # writes no history there), so no search can show it; only the reconcile census knows
        # the deletion, and staging drops links to census-deleted issues (test_dbt_and_postgres).
        # The raw comparison therefore treats a link to a deleted issue like the deleted issue.
        ends.append(cols.index("linked_issue_id"))
    return sorted(
        (tuple(r[n] for n in keep) for r in wh.rows(sql) if all(r[e] in live for e in ends)),
        key=repr,
    )


@pytest.mark.parametrize("deployment", ["cloud", "dc"])
def test_incremental_after_standard_tick_costs_and_equals_full(
    world, start_server, warehouse, row_counts, record_property, deployment
):
    cloud = deployment == "cloud"
    sandbox = start_server(world, mode=deployment)
    settings = cloud_settings(sandbox) if cloud else dc_settings(sandbox)
    inc = warehouse("incremental")
    inc.load(settings)
    full_requests = sum(sandbox.server.request_counts.values())
    full_rows = dict(row_counts)

    loaded_until = inc.scalar("select max(_extracted_at) from raw_jira.issue_field_history")
    previous_now = world.now_ms
    before = {i.id: i.updated_ms for i in world.live_issues()}
    changes = world.tick(change_fraction=0.01)  # the standard tick of the benchmark
    resurfaced = {i.id for i in world.live_issues() if before.get(i.id) != i.updated_ms}
    edited_or_created = changes["issues_updated"] + changes["issues_created"]
    sandbox.server.reset_counts()
    row_counts.clear()
    inc.load(settings)
    inc_counts = dict(sandbox.server.request_counts)
    inc_requests = sum(inc_counts.values())
    inc_bulk_calls = sum(n for k, n in sandbox.server.request_counts.items() if "bulkfetch" in k)
    inc_rows = dict(row_counts)

    # Nothing lost: every issue-derived table equals a fresh full sync of the ticked world.
    fresh = warehouse("fresh")
    fresh.load(settings)
    live = {i.id for i in world.live_issues()}
    for name in _CURRENT:
        assert _table(inc, name, live) == _table(fresh, name, live), name

    # What the incremental refetches: every resurfaced issue (one search page for all projects).
    # Worklog changes bump ``updated``, so most resurfaced issues only had worklogs change; the
    # search embeds their most recent histories, which prove no history is new, so their
    # changelog is neither bulk-fetched nor rewritten.
    bulk = "POST /rest/api/N/changelog/bulkfetch"
    search = "POST /rest/api/N/search/jql" if cloud else "POST /rest/api/N/search"
    assert inc_rows[search] >= len(resurfaced)  # plus the overlap window's re-reads
    search_path = "/rest/api/3/search/jql" if cloud else "/rest/api/2/search"
    assert inc_counts[f"POST {search_path}"] == 1
    assert len(resurfaced) > 3 * edited_or_created  # worklog-only issues dominate
    with_new_history = {
        i.id
        for i in world.live_issues()
        if any(h.created_ms >= previous_now for h in world.histories(i))
    }
    assert with_new_history and with_new_history <= resurfaced
    rewritten = {i for i, at in inc.rows(_WRITTEN) if at > loaded_until}
    # Rewritten: the issues with a new history, new issues (their creation rows) and the ones
    # the overlap window re-reads with a history inside it; never the worklog-only ones.
    overlap_ms = settings.overlap_minutes * 60_000
    since = {
        pid: max(before[i] for i in ids if i in before) - overlap_ms
        for pid, ids in world.issues_by_project.items()
        if any(i in before for i in ids)
    }
    in_overlap = {
        i.id
        for i in world.live_issues()
        if any(h.created_ms >= since.get(i.project_id, 0) for h in world.histories(i))
    }
    created = {i.id for i in world.live_issues() if i.created_ms >= previous_now}
    assert with_new_history <= rewritten <= with_new_history | created | in_overlap
    assert len(rewritten) < len(resurfaced) / 2
    # Embedded histories were complete or decisive for every issue at XS: no bulk fetch.
    assert inc_rows.get(bulk, 0) == 0 == inc_bulk_calls
    assert full_rows.get(bulk, 0) > 0 if cloud else bulk not in full_rows
    ratio_requests = inc_requests / full_requests
    ratio_rows = sum(inc_rows.values()) / sum(full_rows.values())
    record_property(
        "incremental_cost",
        f"incremental after standard tick (XS): requests {inc_requests}/{full_requests} = "
        f"{ratio_requests:.1%}, rows {sum(inc_rows.values())}/{sum(full_rows.values())} = "
        f"{ratio_rows:.1%}; resurfaced {len(resurfaced)} issues ({edited_or_created} edited or "
        f"created), {len(rewritten)} with changelog and field history rewritten",
    )
    # Regression bounds on today's figures (Cloud XS: requests 12/54 = 22 %: the site-wide lists,
    # one search page for all projects and one comment/list call for the long threads read
    # before, as the per-project/board/field listings wait for dimension_refresh_hours; 16/54
    # with a search per project and a request per long thread, 41/54 before that; rows 6.6 %,
    # mostly the embedded history tails, counted as rows). Issue 17's goal is <= 5 % at tier S
    # (benchmarks/results/2026-11-30-S-jira-incremental.md); XS has too few issues for it.
    assert ratio_rows < 0.08
    assert ratio_requests < (0.25 if cloud else 0.32)
    listings = ("/version", "/component", "/sprint", "/context", "/option", "/users/search")
    assert not [k for k, n in inc_counts.items() if n and k.endswith(listings)]
