"""Planner sync throughput against the sandbox: full sync, incremental sync, and $batch gain.

Figures: world generation time, full sync tasks/s into DuckDB, the incremental sync after one
``tick`` (details fetched only for changed tasks), and the task-details phase through ``$batch``
versus one GET per task (the baseline, measured in the same run on the same server).
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from connectors.planner.client import GraphClient
from connectors.planner.settings import PlannerSettings
from pipelines.destinations import make_destination
from pipelines.planner_pipeline import load
from sandbox.microsoft.server import start_microsoft_server
from sandbox.microsoft.world import generate_planner
from sandbox.portfolio import generate_portfolio
from sandbox.tls import write_self_signed_certificate


def _details_seconds(settings: PlannerSettings, paths: list[str], batch_size: int) -> float:
    client = GraphClient(PlannerSettings(**{**settings.__dict__, "details_batch_size": batch_size}))
    client.access_token()
    started = time.perf_counter()
    client.get_many(paths)
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def run(tier: str = "S") -> dict[str, Any]:
    """Measure Planner sandbox + connector figures for ``tier``; prints nothing."""
    logging.getLogger("connectors.planner").setLevel(logging.ERROR)
    started = time.perf_counter()
    portfolio = generate_portfolio(tier, 42)
    world = generate_planner(portfolio)
    generation = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tls = write_self_signed_certificate(root / "tls")
        with start_microsoft_server(world, tls=tls) as sandbox:
            settings = PlannerSettings(
                tenant_id=sandbox.tenant_id,
                client_id=sandbox.client_id,
                client_secret=sandbox.client_secret,
                authority=sandbox.authority,
                graph_url=sandbox.graph_url,
                verify=str(sandbox.cert_path),
            )
            destination = make_destination("duckdb", duckdb_path=root / "warehouse.duckdb")
            started = time.perf_counter()
            load(settings, destination, pipelines_dir=root / "dlt")
            full = time.perf_counter() - started
            full_requests = sandbox.server.total_requests
            tick = world.tick()
            sandbox.server.reset_counts()
            started = time.perf_counter()
            load(settings, destination, pipelines_dir=root / "dlt")
            incremental = time.perf_counter() - started
            incremental_details = sandbox.request_count(r"^GET /v1\.0/planner/tasks/[^/]+/details$")
            sample = [f"/planner/tasks/{t}/details" for t in list(world.tasks)[:1000]]
            batched = _details_seconds(settings, sample, 20)
            single = _details_seconds(settings, sample, 1)
    return {
        "tier": tier,
        "plans": len(world.plans),
        "tasks": world.task_count,
        "assignments": world.assignment_count(),
        "generation_seconds": round(generation, 3),
        "full_sync_seconds": round(full, 2),
        "full_sync_tasks_per_second": round(world.task_count / full, 1),
        "full_sync_http_requests_incl_batch_items": full_requests,
        "incremental_sync_seconds": round(incremental, 2),
        "incremental_changed_tasks": len(tick.changed_task_ids),
        "incremental_details_requests": incremental_details,
        "incremental_vs_full_ratio": round(incremental / full, 3),
        "details_sample": len(sample),
        "details_batch_seconds": round(batched, 3),
        "details_single_get_seconds_baseline": round(single, 3),
        "details_batch_speedup_vs_single": round(single / batched, 2),
    }
