"""Where a Jira full sync spends its time and memory, stage by stage (issue 17, "profile").

The sandbox Jira of the tier runs in a child process (as in ``bench_jira``); the sync runs in a
freshly spawned interpreter, split into dlt's three steps so each gets its own wall time and
peak resident set (sampled every 20 ms):

- ``imports``: the interpreter with the connector, dlt, DuckDB and Arrow imported, before any I/O;
- ``extract``: HTTP pages, JSON decoding, row building, Arrow/parquet writing of the load files;
- ``normalize``: dlt's normalize of those files (schema, ``_dlt_load_id``);
- ``load``: DuckDB loading the parquet files and merging into ``raw_jira``.

A second, profiled extract (same interpreter, fresh pipeline and warehouse) splits the main
thread's own time into buckets by the code that spent it: waiting for pages fetched by the
worker threads, HTTP on the main thread, JSON decoding, the connector's row building, Arrow,
dlt's extract machinery, and the rest. The profiler slows the extract, so only its shares are
reported, never its seconds. The baseline measured in the same run is the sync's total.
"""

from __future__ import annotations

import cProfile
import multiprocessing as mp
import os
import pstats
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_jira import start_server
from connectors.jira import JiraSettings

STAGES = ("extract", "normalize", "load")

# Buckets of main-thread self time, first match wins (path fragment of the function's file).
BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("waiting_for_worker_threads", ("threading.py", "concurrent/futures", "<method 'acquire'")),
    ("http_client", ("requests/", "urllib3/", "http/client", "socket", "ssl")),
    ("json_decode", ("json/", "orjson", "<built-in method loads>")),
    ("connector_rows", ("connectors/jira/rows.py",)),
    ("connector_other", ("connectors/",)),
    ("arrow_parquet", ("pyarrow",)),
    ("dlt_extract", ("dlt/",)),
    ("pandas", ("pandas/",)),
    ("module_imports", ("marshal.loads", "_imp.", "<frozen importlib")),
    # dlt resolves its configuration by evaluating type hints: a fixed cost per run.
    ("type_hint_evaluation", ("typing.py", "typing_extensions", "inspect.py", "copy.py")),
)


class _PeakRss:
    """The largest VmRSS seen since the last ``reset``, sampled by a daemon thread."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.peak_kib = 0
        self._interval = interval_s
        threading.Thread(target=self._sample, daemon=True).start()

    @staticmethod
    def current_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def _sample(self) -> None:
        while True:
            self.peak_kib = max(self.peak_kib, self.current_kib())
            time.sleep(self._interval)

    def reset(self) -> int:
        """Return the peak (MiB) since the last reset and start a new window."""
        peak = max(self.peak_kib, self.current_kib())
        self.peak_kib = self.current_kib()
        return round(peak / 1024)


def _bucket(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, fragments in BUCKETS:
        if any(fragment in where for fragment in fragments):
            return name
    return "other"


def _profile_shares(profile: cProfile.Profile) -> dict[str, float]:
    """Percent of the main thread's profiled self time per bucket."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, self_time, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        bucket = _bucket(filename, function)
        totals[bucket] = totals.get(bucket, 0.0) + self_time
    whole = sum(totals.values()) or 1.0
    return {k: round(100 * v / whole, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def _stages_child(settings: JiraSettings, root: Path, conn: Any) -> None:
    # dlt's anonymous telemetry would time the network (absent here), not the connector.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    from pipelines.destinations import make_destination
    from pipelines.jira_pipeline import build_pipeline, build_source

    rss = _PeakRss()
    figures: dict[str, Any] = {"imports_rss_mib": rss.reset()}
    destination = make_destination("duckdb", duckdb_path=root / "stages.duckdb")
    pipeline = build_pipeline(destination, pipelines_dir=root / "stages")
    started = time.perf_counter()
    pipeline.extract(build_source(settings), loader_file_format="parquet")
    figures["extract_s"] = time.perf_counter() - started
    figures["extract_peak_rss_mib"] = rss.reset()
    figures["after_extract_rss_mib"] = round(_PeakRss.current_kib() / 1024)
    rss.reset()
    started = time.perf_counter()
    pipeline.normalize()
    figures["normalize_s"] = time.perf_counter() - started
    figures["normalize_peak_rss_mib"] = rss.reset()
    started = time.perf_counter()
    pipeline.load().raise_on_failed_jobs()
    figures["load_s"] = time.perf_counter() - started
    figures["load_peak_rss_mib"] = rss.reset()

    profiled = build_pipeline(
        make_destination("duckdb", duckdb_path=root / "profiled.duckdb"),
        pipelines_dir=root / "profiled",
    )
    profile = cProfile.Profile()
    profile.enable()
    profiled.extract(build_source(settings), loader_file_format="parquet")
    profile.disable()
    figures["extract_main_thread_pct"] = _profile_shares(profile)
    conn.send(figures)


def run(tier: str = "S") -> dict[str, Any]:
    """Stage times, stage peak RSS and the extract's main-thread profile at ``tier``."""
    parent, server, info = start_server(tier)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-jira-stages-") as tmp:
            settings = JiraSettings(
                base_url=info["url"], email=info["email"], api_token=info["api_token"]
            )
            spawn = mp.get_context("spawn")
            receive, send = spawn.Pipe()
            sync = spawn.Process(target=_stages_child, args=(settings, Path(tmp), send))
            sync.start()
            figures = receive.recv()
            sync.join()
            if sync.exitcode != 0:
                raise RuntimeError(f"the staged sync failed (exit code {sync.exitcode})")
    finally:
        parent.send("stop")
        parent.recv()
        server.join(timeout=10)
    total = sum(figures[f"{stage}_s"] for stage in STAGES)
    result: dict[str, Any] = {
        "tier": tier,
        "issues": info["issues"],
        "sync_total_s": round(total, 2),
    }
    for stage in STAGES:
        result[f"{stage}_s"] = round(figures[f"{stage}_s"], 2)
        result[f"{stage}_pct_of_sync"] = round(100 * figures[f"{stage}_s"] / total, 1)
        result[f"{stage}_peak_rss_mib"] = figures[f"{stage}_peak_rss_mib"]
    for key in ("imports_rss_mib", "after_extract_rss_mib"):
        result[key] = figures[key]
    result["extract_main_thread_pct"] = figures["extract_main_thread_pct"]
    return result
