"""Jira benchmark: sandbox generation and search speed, connector full/incremental sync, memory.

``run(tier)`` starts the sandbox Jira in a child process (so server and client do not share one
GIL), then measures, in this process:

- ``server_issues_per_s``: search/jql paging at 100 issues per page with the connector's fields;
- ``bare_loop_s``: a plain ``requests`` loop paging the same endpoints (search/jql, changelog
  bulkfetch, worklog updated/list/deleted) and writing JSON lines: the baseline;
- ``full_sync_s`` and ``full_vs_bare_ratio`` (bare time / full time; 1.0 = as fast as the loop);
- ``incremental_s`` and ``incremental_pct_of_full`` after a tick editing 1 % of issues and 1 % of
  worklogs (each worklog change bumps its issue's ``updated``, as in Jira, so ``tick`` reports how
  many issues re-surface: about 6 % at tier S), with request counts;
- ``incremental_issues_only_*``: the same after a tick editing 1 % of issues and no worklogs;
- ``sync_peak_rss_mib``: peak RSS of a sync (each sync runs in a freshly spawned interpreter),
  the largest of the full and the incremental; ``full_sync_peak_rss_mib`` the full sync's alone.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from connectors.jira import JiraSettings
from connectors.jira import settings as cfg
from pipelines.destinations import make_destination
from pipelines.jira_pipeline import load


def _serve(tier: str, conn: Any) -> None:
    from sandbox.jira.server import start_jira_server
    from sandbox.jira.world import generate_jira
    from sandbox.portfolio import generate_portfolio

    started = time.perf_counter()
    world = generate_jira(generate_portfolio(tier, 42))
    generated = time.perf_counter() - started
    sandbox = start_jira_server(world)
    conn.send(
        {
            "url": sandbox.url,
            "email": sandbox.email,
            "api_token": sandbox.api_token,
            "generate_s": generated,
            "issues": sum(len(v) for v in world.issues_by_project.values()),
            "worklogs": len(world.worklogs),
            "projects": [p.id for p in world.projects],
            "gen_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
    while True:
        command = conn.recv()
        if command == "tick":
            before = {i.id: i.updated_ms for i in world.live_issues()}
            counts = world.tick(change_fraction=0.01)
            counts["issues_resurfaced"] = sum(
                1 for i in world.live_issues() if before.get(i.id) != i.updated_ms
            )
            conn.send(counts)
        elif command == "tick_issues_only":
            conn.send(world.tick(change_fraction=0.01, worklog_fraction=0))
        elif command == "requests":
            conn.send(sandbox.server.total_requests)
            sandbox.server.reset_counts()
        else:
            sandbox.stop()
            conn.send("stopped")
            return


FIELDS = list(cfg.ISSUE_SYSTEM_FIELDS) + [
    "customfield_10837",
    "customfield_10412",
    "customfield_11203",
]


def _search_pages(session: requests.Session, url: str, project_id: int):
    token = None
    while True:
        body: dict[str, Any] = {
            "jql": f"project = {project_id}",
            "fields": FIELDS,
            "maxResults": 100,
        }
        if token:
            body["nextPageToken"] = token
        page = json.loads(session.post(f"{url}/rest/api/3/search/jql", json=body).content)
        yield page["issues"]
        token = page.get("nextPageToken")
        if page["isLast"]:
            return


def _bare_loop(info: dict[str, Any], out: Path) -> int:
    """Page the endpoints the connector uses and write raw JSON lines: the speed ceiling."""
    session = requests.Session()
    session.auth = (info["email"], info["api_token"])
    url = info["url"]
    rows = 0
    with out.open("w") as fh:
        for project_id in info["projects"]:
            ids: list[str] = []
            for issues in _search_pages(session, url, project_id):
                for issue in issues:
                    fh.write(json.dumps(issue) + "\n")
                    ids.append(issue["id"])
                rows += len(issues)
            for i in range(0, len(ids), 1000):
                token = None
                while True:
                    body: dict[str, Any] = {
                        "issueIdsOrKeys": ids[i : i + 1000],
                        "maxResults": 10000,
                    }
                    if token:
                        body["nextPageToken"] = token
                    page = json.loads(
                        session.post(f"{url}/rest/api/3/changelog/bulkfetch", json=body).content
                    )
                    for log in page["issueChangeLogs"]:
                        fh.write(json.dumps(log) + "\n")
                    token = page.get("nextPageToken")
                    if not token:
                        break
        for kind in ("updated", "deleted"):
            next_url: str | None = f"{url}/rest/api/3/worklog/{kind}?since=0"
            while next_url:
                page = json.loads(session.get(next_url).content)
                ids_wl = [v["worklogId"] for v in page["values"]]
                if kind == "updated" and ids_wl:
                    for wl in json.loads(
                        session.post(f"{url}/rest/api/3/worklog/list", json={"ids": ids_wl}).content
                    ):
                        fh.write(json.dumps(wl) + "\n")
                        rows += 1
                next_url = None if page["lastPage"] else page["nextPage"]
    return rows


def _load_child(settings: JiraSettings, db: Path, pipelines_dir: Path, conn: Any) -> None:
    # dlt's anonymous telemetry would time the network (absent here), not the connector.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    started = time.perf_counter()
    load(settings, make_destination("duckdb", duckdb_path=db), pipelines_dir=pipelines_dir)
    conn.send(time.perf_counter() - started)


def _timed_load(settings: JiraSettings, db: Path, pipelines_dir: Path) -> float:
    """Run one sync in a fresh (spawned) interpreter, so its peak RSS is the connector's alone."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_load_child, args=(settings, db, pipelines_dir, child))
    process.start()
    seconds = parent.recv()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"sync failed in the benchmark child (exit code {process.exitcode})")
    return seconds


def start_server(tier: str) -> tuple[Any, Any, dict[str, Any]]:
    """Generate and serve the tier's sandbox Jira in a forked child, so server and client do not
    share one GIL. Returns (control pipe, process, info); send "stop" on the pipe to end it."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(tier, child), daemon=True)
    server.start()
    return parent, server, parent.recv()


def run(tier: str = "S") -> dict[str, Any]:
    """Measure the Jira sandbox and connector at ``tier`` (S by default; M is the issue's target)."""
    parent, server, info = start_server(tier)
    figures: dict[str, Any] = {
        "tier": tier,
        "issues": info["issues"],
        "worklogs": info["worklogs"],
        "generate_s": round(info["generate_s"], 2),
        "server_rss_mib": round(info["gen_rss_mib"]),
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            session = requests.Session()
            session.auth = (info["email"], info["api_token"])
            started = time.perf_counter()
            n = sum(
                len(p) for pid in info["projects"] for p in _search_pages(session, info["url"], pid)
            )
            search_s = time.perf_counter() - started
            figures["server_issues_per_s"] = round(n / search_s)

            started = time.perf_counter()
            _bare_loop(info, root / "bare.jsonl")
            bare_s = time.perf_counter() - started
            parent.send("requests")
            parent.recv()

            settings = JiraSettings(
                base_url=info["url"], email=info["email"], api_token=info["api_token"]
            )
            db, pipelines_dir = root / "bench.duckdb", root / "p"
            full_s = _timed_load(settings, db, pipelines_dir)
            # Largest finished child so far is the full sync (the server is not joined yet).
            full_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            parent.send("requests")
            full_requests = parent.recv()

            parent.send("tick")
            figures["tick"] = parent.recv()
            inc_s = _timed_load(settings, db, pipelines_dir)
            # Largest finished child so far: a sync (the server child has not been joined yet).
            sync_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            parent.send("requests")
            inc_requests = parent.recv()

            parent.send("tick_issues_only")
            figures["tick_issues_only"] = parent.recv()
            inc_issues_s = _timed_load(settings, db, pipelines_dir)
            parent.send("requests")
            inc_issues_requests = parent.recv()
    finally:
        parent.send("stop")
        parent.recv()
        server.join(timeout=10)
    figures.update(
        {
            "bare_loop_s": round(bare_s, 2),
            "full_sync_s": round(full_s, 2),
            "full_vs_bare_ratio": round(bare_s / full_s, 2),
            "full_requests": full_requests,
            "incremental_s": round(inc_s, 2),
            "incremental_requests": inc_requests,
            "incremental_pct_of_full": round(100 * inc_s / full_s, 1),
            "incremental_requests_pct_of_full": round(100 * inc_requests / full_requests, 1),
            "incremental_issues_only_s": round(inc_issues_s, 2),
            "incremental_issues_only_requests": inc_issues_requests,
            "incremental_issues_only_pct_of_full": round(100 * inc_issues_s / full_s, 1),
            "sync_peak_rss_mib": round(sync_rss),
            "full_sync_peak_rss_mib": round(full_rss),
        }
    )
    return figures
