"""The Jira connector against the sandbox: full, incremental, deletes, faults, crashes, DC mode."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from jira_helpers import (
    Warehouse,
    assert_equals_world,
    cloud_settings,
    dc_settings,
    expected_issues,
    expected_sprints,
    expected_versions,
    loaded_issues,
    loaded_sprints,
    loaded_versions,
    loaded_worklogs,
)

from connectors.jira.client import (
    JiraAuthError,
    JiraClient,
    JiraRetryExhausted,
    JiraUnreachableError,
)
from pipelines.destinations import make_destination
from pipelines.jira_pipeline import build_pipeline, build_source
from sandbox.http import FaultConfig


def test_full_sync_over_https_equals_world(world, start_server, tls_pair, warehouse):
    sandbox = start_server(world, tls=tls_pair)
    wh = warehouse()
    wh.load(cloud_settings(sandbox))

    assert_equals_world(wh, world)
    assert wh.scalar("select count(*) from raw_jira.issues") == 397
    # Custom fields resolved by name although their ids are not the usual 10016/10020.
    assert wh.scalar("select count(*) from raw_jira.issues where story_points is not null") == sum(
        1 for i in world.live_issues() if i.story_points is not None
    )
    assert wh.scalar("select count(*) from raw_jira.issues where team_name is not null") == sum(
        1 for i in world.live_issues() if i.team_id is not None
    )
    # Complete history although 40+ entries exist for some issues (the embedded cap).
    assert max(len(world.histories(i)) for i in world.live_issues()) > 40
    # No per-issue requests in the hot path, except comment threads longer than the page that
    # search embeds (one request each).
    counts = sandbox.server.request_counts
    long_threads = sum(1 for i in world.live_issues() if len(world.site.issue_comments(i.id)) > 20)
    assert long_threads > 0
    per_issue = [k for k in counts if "/issue/" in k]
    assert all(k.endswith("/comment") for k in per_issue)
    assert len(per_issue) == long_threads
    assert counts["POST /rest/api/3/changelog/bulkfetch"] == 1
    assert counts["POST /rest/api/3/search/jql"] == sum(
        -(-len(ids) // 100) for ids in world.issues_by_project.values()
    )
    # Kanban boards answered 400 "does not support sprints" and were skipped, not fatal.
    assert any(b.type == "kanban" for b in world.boards)
    # Every raw row carries its load id.
    assert wh.scalar("select count(*) from raw_jira.issues where _dlt_load_id is null") == 0


def test_field_history_has_creation_rows_that_replay_to_current_state(
    world, start_server, warehouse
):
    sandbox = start_server(world)
    wh = warehouse()
    wh.load(cloud_settings(sandbox))
    creation = dict(
        ((issue_id, field), value)
        for issue_id, field, value in wh.rows(
            "select issue_id, field_id, value from raw_jira.issue_field_history where is_creation"
        )
    )
    mismatches = 0
    for issue in world.live_issues():
        initial = world.initial_state(issue)
        if creation.get((issue.id, "status")) != str(initial.status_id):
            mismatches += 1
        if creation.get((issue.id, "assignee")) != initial.assignee:
            mismatches += 1
        if creation.get((issue.id, "priority")) != str(initial.priority_id):
            mismatches += 1
    assert mismatches == 0
    assert wh.scalar(
        "select count(*) from raw_jira.issue_field_history where not is_creation"
    ) == wh.scalar("select count(*) from raw_jira.changelog")


def test_incremental_after_tick_equals_fresh_full_sync_with_far_fewer_requests(
    world, start_server, warehouse
):
    sandbox = start_server(world)
    inc = warehouse("incremental")
    # Small pages so that even tier XS needs several search pages per project.
    settings = cloud_settings(sandbox, page_size=25)
    sizes = {pid: len(ids) for pid, ids in world.issues_by_project.items()}
    inc.load(settings)
    full_requests = sandbox.server.request_counts.copy()
    # Each project's cursor: its newest issue (the incremental search reads from it - overlap).
    bound = {
        pid: max(world.issues[i].updated_ms for i in ids) - settings.overlap_minutes * 60_000
        for pid, ids in world.issues_by_project.items()
    }
    threads = {i.id: len(world.site.issue_comments(i.id)) for i in world.live_issues()}

    changes = world.tick(change_fraction=0.02)
    # The seeded XS world's tick (worklogs follow planned labour since the issue-10 portfolio).
    assert changes["issues_updated"] == 7 and changes["worklogs_created"] == 13
    sandbox.server.reset_counts()
    inc.load(settings)
    inc_requests = sandbox.server.request_counts.copy()

    fresh = warehouse("fresh")
    fresh.load(settings)

    live = {i.id for i in world.live_issues()}
    assert loaded_issues(inc, live) == loaded_issues(fresh) == expected_issues(world)
    assert loaded_worklogs(inc) == loaded_worklogs(fresh)
    assert_equals_world(inc, world)
    # Deleted issues are still in the incremental warehouse (until reconcile marks them).
    assert {r[0] for r in inc.rows("select id from raw_jira.issues")} - live == set(
        world.deleted_issues
    )

    search = "POST /rest/api/3/search/jql"
    # 18 pages: the XS world's projects hold 97, 53, 122, 106 and 19 issues since the portfolio
    # of issue 10 (the earlier 17 was a world-size pin, not a connector property).
    assert full_requests[search] == sum(-(-n // 25) for n in sizes.values()) == 18
    # One search for all five projects, each from its own bound: its pages, not one per project.
    resurfaced = [i for i in world.live_issues() if i.updated_ms >= bound[i.project_id]]
    assert inc_requests[search] == -(-len(resurfaced) // 25) < len(world.projects)
    # Long comment threads read before are re-read by id, together; only a thread whose total
    # moved (or a new one) is read from its own endpoint.
    long_now = [i for i in resurfaced if len(world.site.issue_comments(i.id)) > 20]
    moved = [i for i in long_now if threads.get(i.id) != len(world.site.issue_comments(i.id))]
    per_issue = sum(n for k, n in inc_requests.items() if k.endswith("/comment"))
    assert per_issue == len(moved) < len(long_now)
    assert inc_requests["POST /rest/api/3/comment/list"] == 1
    assert inc_requests["POST /rest/api/3/changelog/bulkfetch"] == 1
    assert inc_requests["POST /rest/api/3/worklog/list"] == 1
    assert full_requests["POST /rest/api/3/worklog/list"] == 2
    hot = ("search/jql", "changelog", "worklog")
    inc_hot = sum(n for k, n in inc_requests.items() if any(h in k for h in hot))
    full_hot = sum(n for k, n in full_requests.items() if any(h in k for h in hot))
    assert inc_hot == 7 and full_hot >= 3 * inc_hot, (inc_hot, full_hot)  # 3 search pages + 4


def test_reconcile_marks_deleted_issues_and_worklogs(world, start_server, warehouse):
    sandbox = start_server(world)
    wh = warehouse()
    wh.load(cloud_settings(sandbox, reconcile=True))
    assert wh.scalar("select count(*) from raw_jira.issue_census") == 397
    world.tick()
    wh.load(cloud_settings(sandbox, reconcile=True))
    runs = wh.rows("select project_id, max(census_at) from raw_jira.issue_census_runs group by 1")
    latest = dict(runs)
    missing = {
        issue_id
        for issue_id, project_id, seen_at in wh.rows(
            "select i.id, i.project_id, c.seen_at from raw_jira.issues as i"
            " left join raw_jira.issue_census as c on i.id = c.issue_id"
        )
        if seen_at is None or seen_at < latest[project_id]
    }
    assert missing == set(world.deleted_issues) and len(missing) == 1
    tombstones = {r[0] for r in wh.rows("select worklog_id from raw_jira.worklogs_deleted")}
    assert tombstones == set(world.deleted_worklogs)
    # Nothing else is lost: the deleted issue keeps its row and its history.
    (deleted_id,) = missing
    assert wh.scalar(
        f"select count(*) from raw_jira.changelog where issue_id = {deleted_id}"
    ) == wh.scalar(f"select count(*) from raw_jira.changelog where issue_id = {deleted_id}")
    assert wh.scalar(f"select count(*) from raw_jira.issues where id = {deleted_id}") == 1


def test_mass_deletion_guard_stops_the_census(world, start_server, warehouse):
    sandbox = start_server(world)
    wh = warehouse()
    wh.load(cloud_settings(sandbox, reconcile=True))
    project = world.projects[0]
    for issue_id in list(world.issues_by_project[project.id]):
        world._delete_issue(issue_id, world.now_ms)
    with pytest.raises(PipelineStepFailed, match="refusing to mark so many deleted"):
        wh.load(cloud_settings(sandbox, reconcile=True))


def test_storm_of_429_and_503_completes_with_exact_counts(world, start_server, warehouse):
    faults = FaultConfig(
        rate_limit_every=5, retry_after_seconds=0.01, error_burst_every=13, error_burst_length=2
    )
    sandbox = start_server(world, faults=faults)
    wh = warehouse()
    wh.load(cloud_settings(sandbox))
    assert sandbox.server.faults.injected[429] >= 5
    assert sandbox.server.faults.injected[503] >= 4
    assert_equals_world(wh, world)


def test_storm_of_500_without_retry_after_completes(world, start_server, warehouse):
    faults = FaultConfig(error_burst_every=9, error_burst_length=3, error_status=500)
    sandbox = start_server(world, faults=faults)
    wh = warehouse()
    wh.load(cloud_settings(sandbox))
    assert sandbox.server.faults.injected[500] >= 9
    assert_equals_world(wh, world)


def test_retry_budget_is_bounded():
    waits: list[float] = []
    client = JiraClient(
        "http://127.0.0.1:9", email="a@b.c", api_token="x", max_attempts=3, sleep=waits.append
    )
    client._reached = True  # a refused connection after the host has answered is a blip
    with pytest.raises(JiraRetryExhausted, match="after 3 attempts"):
        client.get_json("/rest/api/3/myself")
    assert len(waits) == 2


def test_unreachable_host_on_first_contact_fails_at_once_naming_the_url():
    waits: list[float] = []
    client = JiraClient(
        "http://127.0.0.1:9", email="a@b.c", api_token="x", max_attempts=3, sleep=waits.append
    )
    with pytest.raises(JiraUnreachableError, match=r"http://127\.0\.0\.1:9.*refused"):
        client.get_json("/rest/api/3/myself")
    assert waits == [] and client.requests_made == 1


def test_wrong_token_fails_fast_with_clear_message_and_no_secret_in_logs(
    world, start_server, warehouse, caplog
):
    sandbox = start_server(world)
    wrong = "ATATT3xWRONG-token-value-123"
    settings = cloud_settings(sandbox)
    settings.api_token = wrong
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with pytest.raises(PipelineStepFailed) as failure:
        warehouse().load(settings)
    assert time.monotonic() - started < 10
    cause = failure.value.__context__
    while cause is not None and not isinstance(cause, JiraAuthError):
        cause = cause.__context__
    assert isinstance(cause, JiraAuthError)
    assert "SOURCES__JIRA__API_TOKEN" in str(cause) and "HTTP 401" in str(cause)
    assert sandbox.server.total_requests <= 3  # no retries on 401
    for text in [str(failure.value), str(cause), *(r.getMessage() for r in caplog.records)]:
        assert wrong not in text
        assert sandbox.api_token not in text
    assert wrong not in repr(settings)


def test_crash_mid_extract_then_rerun_has_no_duplicates_or_gaps(
    world, start_server, warehouse, monkeypatch
):
    sandbox = start_server(world)
    wh = warehouse()
    original = JiraClient.post_json
    calls = {"search": 0}

    def crashing(self, path, body):
        if path.endswith("/search/jql"):
            calls["search"] += 1
            if calls["search"] == 3:
                raise RuntimeError("killed mid-load")
        return original(self, path, body)

    monkeypatch.setattr(JiraClient, "post_json", crashing)
    with pytest.raises(PipelineStepFailed, match="killed mid-load"):
        wh.load(cloud_settings(sandbox))
    monkeypatch.setattr(JiraClient, "post_json", original)
    world.tick()
    wh.load(cloud_settings(sandbox))
    assert_equals_world(wh, world)


def test_crash_in_load_step_then_rerun_has_no_duplicates_or_gaps(
    world, start_server, warehouse, monkeypatch
):
    from dlt.destinations.impl.duckdb import duck

    sandbox = start_server(world)
    wh = warehouse()
    wh.load(cloud_settings(sandbox))
    world.tick(change_fraction=0.05)
    original_run = duck.DuckDbCopyJob.run

    def failing_run(self):
        if "worklogs" in self._file_path:
            raise RuntimeError("disk gone during load")
        return original_run(self)

    monkeypatch.setattr(duck.DuckDbCopyJob, "run", failing_run)
    with pytest.raises(PipelineStepFailed):
        wh.load(cloud_settings(sandbox))
    monkeypatch.setattr(duck.DuckDbCopyJob, "run", original_run)
    world.tick()
    wh.load(cloud_settings(sandbox))
    assert_equals_world(wh, world)


def test_data_center_full_sync_equals_world(world, start_server, warehouse):
    sandbox = start_server(world, mode="dc")
    wh = warehouse()
    wh.load(dc_settings(sandbox))
    assert_equals_world(wh, world, dc=True)
    counts = sandbox.server.request_counts
    assert counts["POST /rest/api/2/search"] == len(world.projects)  # 1000 per page
    assert not [k for k in counts if "search/jql" in k or "bulkfetch" in k]


def test_overlap_window_catches_changes_the_search_index_showed_late(world, start_server, tmp_path):
    # Long enough for two incremental syncs on a busy 2-core machine (an issues sync writes
    # issues, history, custom field values, comments and links).
    lag = 20.0
    sandbox = start_server(world, faults=FaultConfig(consistency_lag_seconds=lag))
    pipelines = {}
    for name, overlap in (("overlap", 5), ("no_overlap", 0)):
        dest = make_destination("duckdb", duckdb_path=tmp_path / f"{name}.duckdb")
        pipelines[name] = (
            build_pipeline(dest, tmp_path / "p", name),
            cloud_settings(sandbox, overlap_minutes=overlap),
        )

    def sync_issues() -> None:
        for pipeline, settings in pipelines.values():
            pipeline.run(
                build_source(settings).with_resources("issues"), loader_file_format="parquet"
            )

    sync_issues()
    world.tick(change_fraction=0.1, spread=timedelta(seconds=2))
    ticked = time.time()
    sync_issues()
    assert time.time() - ticked < lag  # both syncs ran while odd ids were still unindexed
    time.sleep(max(0.0, lag - (time.time() - ticked)) + 0.2)
    sync_issues()

    live = {i.id for i in world.live_issues()}
    with_overlap = Warehouse(tmp_path, "overlap")
    without = Warehouse(tmp_path, "no_overlap")
    assert loaded_issues(with_overlap, live) == expected_issues(world)
    stale = set(loaded_issues(without, live)) - set(expected_issues(world))
    assert len(stale) >= 1 and all(row[0] % 2 == 1 for row in stale)


def test_project_filter_and_start_date(world, start_server, warehouse):
    sandbox = start_server(world)
    key = world.projects[1].key
    wh = warehouse()
    wh.load(cloud_settings(sandbox, projects=(key,)))
    assert {r[0] for r in wh.rows("select distinct project_key from raw_jira.issues")} == {key}
    assert wh.scalar("select count(*) from raw_jira.issues") == len(
        world.issues_by_project[world.projects[1].id]
    )
    with pytest.raises(PipelineStepFailed, match="NOPE"):
        warehouse("bad").load(cloud_settings(sandbox, projects=("NOPE",)))


DIMENSIONS = {
    "projects",
    "fields",
    "statuses",
    "priorities",
    "resolutions",
    "issue_types",
    "users",
    "boards",
    "sprints",
    "versions",
    "components",
}


def _loaded_tables(info) -> set[str]:
    return {
        job.job_file_info.table_name
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
        if not job.job_file_info.table_name.startswith("_dlt")
    }


def test_unchanged_dimensions_skip_their_load_but_sprint_and_release_changes_land(
    world, start_server, warehouse
):
    sandbox = start_server(world)
    wh = warehouse()
    settings = cloud_settings(sandbox, dimension_refresh_hours=0)  # every listing, every run
    first = _loaded_tables(wh.load(settings))
    assert DIMENSIONS <= first
    counts = {t: wh.scalar(f"select count(*) from raw_jira.{t}") for t in DIMENSIONS}
    assert min(counts.values()) > 0

    sandbox.server.reset_counts()
    second = wh.load(settings)
    # Still fetched every run (one listing per project / scrum board) ...
    calls = sandbox.server.request_counts
    assert sum(n for k, n in calls.items() if k.endswith("/version")) == len(world.projects)
    scrum = sum(1 for b in world.boards if b.type == "scrum")
    assert sum(n for k, n in calls.items() if k.endswith("/sprint")) == scrum > 0
    assert calls["GET /rest/agile/1.0/board"] == 1  # one listing shared by boards and sprints
    # ... but nothing changed, so no dimension is rewritten, and none was truncated either.
    assert _loaded_tables(second) & DIMENSIONS == set()
    assert {t: wh.scalar(f"select count(*) from raw_jira.{t}") for t in DIMENSIONS} == counts

    active = next(s for s in world.sprints if s.state == "active")
    active.state, active.complete_ms = "closed", active.end_ms
    version = next(v for v in world.versions if not v.released)
    version.released = True
    third = _loaded_tables(wh.load(settings))
    assert third & DIMENSIONS == {"sprints", "versions"}
    assert loaded_sprints(wh) == expected_sprints(world)
    assert loaded_versions(wh) == expected_versions(world)
    assert {t: wh.scalar(f"select count(*) from raw_jira.{t}") for t in DIMENSIONS} == counts


# One or more requests per project, scrum board or option field, and the paged user list.
_LISTINGS = ("/version", "/component", "/sprint", "/context", "/option", "/users/search")


def _listing_requests(sandbox) -> int:
    return sum(n for k, n in sandbox.server.request_counts.items() if k.endswith(_LISTINGS))


def test_dimension_listings_wait_for_their_refresh_interval_reconcile_or_a_change(
    world, start_server, warehouse, monkeypatch
):
    import connectors.jira as jira_source_module

    sandbox = start_server(world)
    wh = warehouse()
    settings = cloud_settings(sandbox)  # the default interval: 24 h
    wh.load(settings)
    assert _listing_requests(sandbox) > 3 * len(world.projects)

    # A release and a closed sprint: not listed again within the interval ...
    version = next(v for v in world.versions if not v.released)
    version.released = True
    active = next(s for s in world.sprints if s.state == "active")
    active.state, active.complete_ms = "closed", active.end_ms
    sandbox.server.reset_counts()
    assert _loaded_tables(wh.load(settings)) & DIMENSIONS == set()
    assert _listing_requests(sandbox) == 0
    assert sandbox.server.request_counts["GET /rest/api/3/project/search"] == 1  # still read
    assert loaded_versions(wh) != expected_versions(world)

    # ... but once it has passed, both land (and nothing else is rewritten).
    later = jira_source_module._utcnow() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(jira_source_module, "_utcnow", lambda: later)
    sandbox.server.reset_counts()
    assert _loaded_tables(wh.load(settings)) & DIMENSIONS == {"sprints", "versions"}
    assert _listing_requests(sandbox) > 3 * len(world.projects)
    assert loaded_versions(wh) == expected_versions(world)
    assert loaded_sprints(wh) == expected_sprints(world)

    # A reconcile run lists them whatever their age; a new option field lists contexts at once.
    sandbox.server.reset_counts()
    wh.load(cloud_settings(sandbox, reconcile=True))
    assert _listing_requests(sandbox) > 3 * len(world.projects)
    world.tick(drift=[{"op": "add_field", "name": "Delivery Risk", "kind": "select"}])
    sandbox.server.reset_counts()
    wh.load(settings)
    listed = {k for k, n in sandbox.server.request_counts.items() if k.endswith(_LISTINGS) and n}
    assert listed and all(k.endswith(("/context", "/option")) for k in listed), listed
    options = wh.scalar("select count(distinct field_id) from raw_jira.field_options")
    assert options == sum(
        1 for f in world.site.fields.values() if f.kind in ("select", "multiselect")
    )


@pytest.mark.parametrize("concurrency", [1, 5])
def test_threaded_fetching_loads_exactly_the_world(
    world, start_server, warehouse, monkeypatch, concurrency
):
    """Many small pages and changelog batches, in flight together or one at a time: same data."""
    from connectors.jira import settings as jira_cfg

    monkeypatch.setattr(jira_cfg, "CHANGELOG_BATCH", 50)
    sandbox = start_server(world)
    wh = warehouse()
    wh.load(cloud_settings(sandbox, page_size=10, concurrency=concurrency))
    assert_equals_world(wh, world)
    assert wh.rows("select count(*), count(distinct id) from raw_jira.issues") == [(397, 397)]
    counts = sandbox.server.request_counts
    assert counts["POST /rest/api/3/changelog/bulkfetch"] == -(-397 // 50) == 8
    assert counts["POST /rest/api/3/search/jql"] == sum(
        -(-len(ids) // 10) for ids in world.issues_by_project.values()
    )
