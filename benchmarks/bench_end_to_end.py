"""The whole product as a user runs it: `pmo-hub run` on a served sandbox tier, then again after a tick.

The sandbox of the tier is generated and served from this process; `pmo-hub run` runs in a child
process exactly as a user starts it (all four sources, dbt, checks, data quality, serving copy),
first on an empty warehouse (``full_run_s``) and then after one standard world tick
(``incremental_run_s``). Peak memory is the largest resident set of the child process tree,
read from the kernel's accounting of waited-for children.

The baseline measured in the same run is a plain ``dbt build`` of the same project on the
warehouse the full run produced (``plain_dbt_build_s``): the ratio full_run_s / plain_dbt_build_s
shows what ingest, checks and serving add on top of the transformation alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The results file names this entry `end_to_end` (full_run_s, incremental_run_s, peak_rss_mib).
RESULT_KEY = "end_to_end"
ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"

# Runs a command and writes the peak RSS (KiB) of its waited-for process tree to the fd in argv[1].
_PEAK_RSS_WRAPPER = (
    "import os, resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[2:]).returncode\n"
    "os.write(int(sys.argv[1]), str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())\n"
    "sys.exit(rc)\n"
)


def _measured(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[float, int]:
    """Run ``command``; return (wall seconds, peak RSS in MiB); raise with its output on failure."""
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _PEAK_RSS_WRAPPER, str(write_fd), *command],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
        )
        os.close(write_fd)
        peak = os.read(read_fd, 64).decode() or "0"
        os.close(read_fd)
        rc = process.wait()
    elapsed = time.perf_counter() - started
    if rc != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(command)} exited {rc}:\n{tail}")
    return elapsed, round(int(peak) / 1024)


def run(tier: str = "S") -> dict[str, Any]:
    """Full run, incremental run after a tick, and a plain dbt build baseline, all in one run.

    Returns:
        ``full_run_s``, ``incremental_run_s``, ``peak_rss_mib`` (max of both runs),
        ``plain_dbt_build_s`` and the ratios against it and of incremental to full.
    """
    from sandbox.runtime import start_sandbox

    # The console output of each run (one line per step with its duration) is kept beside the
    # results: it is the per-stage record of where the end-to-end time went.
    logs = ROOT / "benchmarks" / "results" / "console"
    logs.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC).date().isoformat()}-{tier}-end_to_end"
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        work = Path(tmp)
        print(f"   logs: {logs}/{stem}-*.log", flush=True)
        sandbox = start_sandbox(work / "sandbox", tier=tier, seed=42)
        try:
            warehouse = {
                "target": "duckdb",
                "duckdb_path": work / "warehouse" / "pmo.duckdb",
                "publish_path": work / "warehouse" / "pmo_serving.duckdb",
            }
            config = work / "pmo-hub.toml"
            config.write_text(sandbox.config_toml(warehouse), encoding="utf-8")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("PMO_HUB_")},
                **sandbox.secrets(),
                "DAGSTER_HOME": str(work / "dagster"),
                "DO_NOT_TRACK": "1",
                # The logs stream while a long tier runs, so its progress can be followed.
                "PYTHONUNBUFFERED": "1",
            }
            (work / "dagster").mkdir()
            pmo_hub = [str(Path(sys.executable).with_name("pmo-hub")), "run", "--config"]
            full_s, full_rss = _measured(
                [*pmo_hub, str(config)], env, work, logs / f"{stem}-full_run.log"
            )
            sandbox.tick(1)
            incremental_s, incremental_rss = _measured(
                [*pmo_hub, str(config)], env, work, logs / f"{stem}-incremental_run.log"
            )
        finally:
            sandbox.stop()
        dbt_env = {**env, "PMO_HUB_DUCKDB_PATH": str(warehouse["duckdb_path"])}
        dbt_build_s, dbt_build_rss = _measured(
            [
                str(Path(sys.executable).with_name("dbt")),
                "build",
                "--project-dir",
                str(DBT_PROJECT),
                "--profiles-dir",
                str(DBT_PROJECT),
                "--target-path",
                str(work / "target"),
                "--log-path",
                str(work / "logs"),
                "--vars",
                json.dumps({"as_of_date": sandbox.world.now.date().isoformat()}),
            ],
            dbt_env,
            work,
            logs / f"{stem}-plain_dbt_build.log",
        )
    return {
        "tier": tier,
        "full_run_s": round(full_s, 1),
        "incremental_run_s": round(incremental_s, 1),
        "peak_rss_mib": max(full_rss, incremental_rss),
        "full_run_peak_rss_mib": full_rss,
        "incremental_run_peak_rss_mib": incremental_rss,
        "plain_dbt_build_s": round(dbt_build_s, 1),
        "plain_dbt_build_peak_rss_mib": dbt_build_rss,
        "ratio_full_run_vs_plain_dbt_build": round(full_s / dbt_build_s, 2),
        "ratio_incremental_vs_full": round(incremental_s / full_s, 3),
        "full_run_steps_s": step_seconds(logs / f"{stem}-full_run.log"),
        "incremental_run_steps_s": step_seconds(logs / f"{stem}-incremental_run.log"),
    }


_STEP_LINE = re.compile(r"^<- (?P<step>\S+): \w+ \((?P<seconds>[0-9.]+) s")


def step_seconds(console_log: Path) -> dict[str, float]:
    """Seconds per step of one `pmo-hub run`, read from its console lines ``<- step: success (X s``.

    The per-stage record of the end-to-end run: where its wall time went.
    """
    steps: dict[str, float] = {}
    for line in console_log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _STEP_LINE.match(line)
        if match:
            steps[match["step"]] = float(match["seconds"])
    return steps
