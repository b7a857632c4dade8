"""The Planner connector end to end against the sandbox: tables equal the world."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.planner import planner_source
from connectors.planner.client import GraphClient, GraphThrottledError, PlannerAuthError
from connectors.planner.rows import priority_label, status_category
from connectors.planner.settings import PlannerSettings
from pipelines.destinations import make_destination
from pipelines.planner_pipeline import build_pipeline, load
from sandbox.http import FaultConfig
from sandbox.microsoft.server import MicrosoftSandbox
from sandbox.microsoft.world import PlannerWorld
from tests.planner.conftest import settings_for

DETAILS = r"^GET /v1\.0/planner/tasks/[^/]+/details$"


def sync(settings: PlannerSettings, tmp_path: Path) -> Any:
    destination = make_destination("duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    return load(settings, destination, pipelines_dir=tmp_path / "dlt")


def query(tmp_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def live_tasks(tmp_path: Path) -> dict[str, tuple]:
    rows = query(
        tmp_path,
        "select id, etag, plan_id, percent_complete, status_category, priority, priority_label "
        "from raw_planner.tasks where not is_deleted",
    )
    return {row[0]: row[1:] for row in rows}


def test_full_sync_equals_world(
    world_s: PlannerWorld, server_s: MicrosoftSandbox, tmp_path: Path
) -> None:
    sync(settings_for(server_s), tmp_path)
    tasks = live_tasks(tmp_path)
    assert set(tasks) == set(world_s.tasks)
    for task_id, (etag, plan_id, pct, status, priority, label) in tasks.items():
        source = world_s.tasks[task_id]
        assert (etag, plan_id, pct, priority) == (
            source["@odata.etag"],
            source["planId"],
            source["percentComplete"],
            source["priority"],
        )
        assert status == status_category(pct) and label == priority_label(priority)
    assignments = set(query(tmp_path, "select task_id, user_id from raw_planner.task_assignments"))
    assert assignments == {(t["id"], u) for t in world_s.tasks.values() for u in t["assignments"]}
    assert dict(query(tmp_path, "select id, title from raw_planner.plans")) == {
        p["id"]: p["title"] for p in world_s.plans.values()
    }
    users = set(query(tmp_path, "select id, mail from raw_planner.users"))
    assert users == {(u["id"], u["mail"]) for u in world_s.users}
    labels = query(tmp_path, "select count(*) from raw_planner.plan_details")[0][0]
    assert labels == sum(
        1 for d in world_s.plan_details.values() for v in d["categoryDescriptions"].values() if v
    )
    assert query(tmp_path, "select count(*) from raw_planner.buckets")[0][0] == 4 * len(
        world_s.plans
    )
    # Only Unified groups are listed; the empty one is there, the security group is not.
    groups = {row[0] for row in query(tmp_path, "select id from raw_planner.groups")}
    assert groups == {g["id"] for g in world_s.groups if g["groupTypes"]}
    details = dict(query(tmp_path, "select task_id, etag from raw_planner.task_details"))
    assert details == {tid: d["@odata.etag"] for tid, d in world_s.task_details.items()}
    checklist = query(tmp_path, "select count(*) from raw_planner.task_details__checklist")[0][0]
    assert checklist == sum(len(d["checklist"]) for d in world_s.task_details.values())
    # Every task's details were read once, through $batch (20 per request).
    assert server_s.request_count(DETAILS) == world_s.task_count
    assert server_s.request_count(r"^POST /v1\.0/\$batch$") == -(-world_s.task_count // 20)
    # The big plan was paged: more task-list requests than plans.
    assert server_s.request_count(r"^GET /v1\.0/planner/plans/[^/]+/tasks$") > len(world_s.plans)


def test_tick_picks_up_changes_and_marks_deleted(
    world_s: PlannerWorld, server_s: MicrosoftSandbox, tmp_path: Path
) -> None:
    settings = settings_for(server_s)
    sync(settings, tmp_path)
    result = world_s.tick()
    server_s.server.reset_counts()
    sync(settings, tmp_path)
    # Details were fetched for exactly the tasks whose etag changed.
    assert server_s.request_count(DETAILS) == len(result.changed_task_ids)
    for task_id in result.changed_task_ids:
        assert server_s.request_count(rf"^GET /v1\.0/planner/tasks/{task_id}/details$") == 1
    tasks = live_tasks(tmp_path)
    assert set(tasks) == set(world_s.tasks)
    assert {tid: row[0] for tid, row in tasks.items()} == {
        tid: t["@odata.etag"] for tid, t in world_s.tasks.items()
    }
    deleted = query(
        tmp_path,
        "select id, plan_id, deleted_at from raw_planner.tasks where is_deleted order by id",
    )
    assert [row[0] for row in deleted] == sorted(result.deleted_task_ids)
    assert all(row[1] is not None and row[2] is not None for row in deleted)
    # Only changed tasks and tombstones were rewritten by the second load.
    rewritten = query(
        tmp_path,
        "select count(*) from raw_planner.tasks "
        "where _dlt_load_id = (select max(load_id) from raw_planner._dlt_loads)",
    )[0][0]
    assert rewritten == len(result.changed_task_ids) + len(result.deleted_task_ids)
    details = dict(query(tmp_path, "select task_id, etag from raw_planner.task_details"))
    for task_id in result.details_changed_task_ids:
        assert details[task_id] == world_s.task_details[task_id]["@odata.etag"]
    # A third run with no change reads no details and marks nothing new.
    server_s.server.reset_counts()
    sync(settings, tmp_path)
    assert server_s.request_count(DETAILS) == 0
    assert query(tmp_path, "select count(*) from raw_planner.tasks where is_deleted")[0][0] == len(
        result.deleted_task_ids
    )


def test_certificate_credential_and_ca_bundle_trap(
    world_xs: PlannerWorld,
    start_server: Callable[..., MicrosoftSandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A CA bundle in the environment must not override the configured one (microsoft-api.md 2.2).
    bogus = tmp_path / "bogus-ca.pem"
    bogus.write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bogus))
    sandbox = start_server(world_xs, page_size=50)
    sync(settings_for(sandbox, certificate=True), tmp_path)
    assert set(live_tasks(tmp_path)) == set(world_xs.tasks)
    assert sandbox.tokens_issued == 1


def test_rate_limits_honour_retry_after(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox], tmp_path: Path
) -> None:
    sandbox = start_server(
        world_xs, FaultConfig(rate_limit_every=10, retry_after_seconds=0.05), page_size=50
    )
    started = time.monotonic()
    # One GET per task detail, so every 429 costs exactly one wait.
    sync(settings_for(sandbox, details_batch_size=1), tmp_path)
    elapsed = time.monotonic() - started
    throttled = sandbox.server.faults.injected[429]
    assert throttled >= world_xs.task_count // 10
    assert elapsed >= throttled * 0.05
    assert set(live_tasks(tmp_path)) == set(world_xs.tasks)
    # The client waited exactly Retry-After on each throttled attempt.
    client_sandbox = start_server(
        world_xs, FaultConfig(rate_limit_every=3, retry_after_seconds=0.1)
    )
    waits: list[float] = []
    client = GraphClient(settings_for(client_sandbox), sleep=waits.append)
    users = list(client.paginate("/users", {"$top": 7}))
    assert len(users) == len(world_xs.users)
    assert waits == [0.1] * client_sandbox.server.faults.injected[429]
    assert client.requests_sent == -(-len(users) // 7) + len(waits)


def test_retry_after_beyond_bound_stops_and_next_run_resumes(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox], tmp_path: Path
) -> None:
    sandbox = start_server(world_xs, FaultConfig(rate_limit_every=4, retry_after_seconds=315))
    settings = settings_for(sandbox, max_retry_after_seconds=60)
    started = time.monotonic()
    with pytest.raises(PipelineStepFailed) as failure:
        sync(settings, tmp_path)
    assert time.monotonic() - started < 10
    assert isinstance(failure.value.__cause__ or failure.value.exception, Exception)
    assert "max_retry_after_seconds=60" in _chain_text(failure.value)
    assert any(isinstance(e, GraphThrottledError) for e in _chain(failure.value))
    sandbox.faults.rate_limit_every = 0
    sync(settings, tmp_path)
    assert set(live_tasks(tmp_path)) == set(world_xs.tasks)
    assert (
        query(tmp_path, "select count(*) from raw_planner.task_details")[0][0]
        == world_xs.task_count
    )


def test_server_errors_back_off_then_succeed(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox], tmp_path: Path
) -> None:
    faults = FaultConfig(error_burst_every=9, error_burst_length=2, error_status=500)
    sandbox = start_server(world_xs, faults, page_size=50)
    sync(settings_for(sandbox), tmp_path)
    assert sandbox.server.faults.injected[500] >= 4
    assert set(live_tasks(tmp_path)) == set(world_xs.tasks)


def test_token_expired_mid_sync_reacquires_once(
    world_s: PlannerWorld,
    server_s: MicrosoftSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    original = world_s.tasks_for_plan
    calls = {"n": 0}

    def expire_after_second_plan(plan_id: str) -> list[dict[str, Any]]:
        calls["n"] += 1
        if calls["n"] == 2:
            server_s.expire_all_tokens()  # the token dies while the sync is running
        return original(plan_id)

    monkeypatch.setattr(world_s, "tasks_for_plan", expire_after_second_plan)
    sync(settings_for(server_s), tmp_path)
    assert calls["n"] > 2
    assert server_s.tokens_issued == 2
    assert server_s.request_count(r"^POST /.*/oauth2/v2\.0/token$") == 2
    assert set(live_tasks(tmp_path)) == set(world_s.tasks)
    # Neither the secret nor any access token reaches a log line, msal's DEBUG lines included.
    secrets_ = [server_s.client_secret, *server_s._tokens]
    assert len(secrets_) == 3 and caplog.records
    assert not [r for r in caplog.records for x in secrets_ if x in r.getMessage()]


def test_wrong_secret_is_clear_and_never_logged(
    world_xs: PlannerWorld,
    start_server: Callable[..., MicrosoftSandbox],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sandbox = start_server(world_xs)
    wrong = "Wr0ng8Q~" + "s3cr3t-value-that-must-not-leak"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PipelineStepFailed) as failure:
        sync(settings_for(sandbox, client_secret=wrong), tmp_path)
    auth_errors = [e for e in _chain(failure.value) if isinstance(e, PlannerAuthError)]
    assert auth_errors
    message = str(auth_errors[0])
    assert "invalid_client" in message and "AADSTS7000215" in message
    assert "PMO_HUB_PLANNER_CLIENT_SECRET" in message
    assert wrong not in _chain_text(failure.value)
    assert caplog.records  # logging was captured at DEBUG, so the next check means something
    assert all(wrong not in record.getMessage() for record in caplog.records)
    captured = capfd.readouterr()
    assert wrong not in captured.out and wrong not in captured.err
    assert wrong not in repr(settings_for(sandbox, client_secret=wrong))
    assert sandbox.request_count(r"^GET /v1\.0/") == 0


def test_calling_the_source_does_no_io(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox]
) -> None:
    sandbox = start_server(world_xs)
    source = planner_source(**settings_for(sandbox).as_source_kwargs())
    assert sorted(source.resources) == sorted(
        [
            "users",
            "groups",
            "plans",
            "plan_details",
            "buckets",
            "tasks",
            "task_assignments",
            "task_details",
        ]
    )
    assert sandbox.server.total_requests == 0


def test_group_ids_restrict_plans(
    world_s: PlannerWorld, server_s: MicrosoftSandbox, tmp_path: Path
) -> None:
    plan = next(iter(world_s.plans.values()))
    group_id = plan["container"]["containerId"]
    sync(settings_for(server_s, group_ids=(group_id,)), tmp_path)
    assert query(tmp_path, "select id from raw_planner.plans") == [(plan["id"],)]
    assert set(live_tasks(tmp_path)) == set(world_s.plan_task_ids[plan["id"]])
    assert server_s.request_count(r"^GET /v1\.0/groups$") == 0


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _chain_text(exc: BaseException) -> str:
    return "\n".join(f"{type(e).__name__}: {e}" for e in _chain(exc))


def test_source_reads_dlt_config_and_secrets_from_env(
    world_xs: PlannerWorld,
    start_server: Callable[..., MicrosoftSandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = start_server(world_xs)
    for name, value in {
        "TENANT_ID": sandbox.tenant_id,
        "CLIENT_ID": sandbox.client_id,
        "CLIENT_SECRET": sandbox.client_secret,
        "AUTHORITY": sandbox.authority,
        "GRAPH_URL": sandbox.graph_url,
        "VERIFY": str(sandbox.cert_path),
    }.items():
        monkeypatch.setenv(f"SOURCES__PLANNER__{name}", value)
    destination = make_destination("duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    pipeline = build_pipeline(destination, pipelines_dir=tmp_path / "dlt")
    pipeline.run(planner_source(), loader_file_format="parquet")
    assert set(live_tasks(tmp_path)) == set(world_xs.tasks)
