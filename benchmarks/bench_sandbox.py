"""Sandbox world generation: seconds and memory per system at a tier (issue 3: "tier M generation").

Each tier is generated in a child process of its own (``python -m benchmarks.bench_sandbox``), so
its peak RSS is its own and a runaway generator can be stopped: the parent polls the child's RSS
and kills it past ``max_rss_gib`` or ``timeout_seconds``. The child runs the steps the sandbox
runs (``World.generate`` then ``World.write_files``), one at a time, and appends one JSON line per
finished step to a progress file, so a killed child still reports the steps it finished:

* ``portfolio`` - ``generate_portfolio``;
* ``jira`` - ``generate_jira`` (issues, changelogs, worklogs);
* ``planner`` - ``generate_planner`` (groups, plans, tasks, details);
* ``msproject`` - ``generate_msproject`` plus writing the MSPDI files;
* ``finance`` - ``write_finance_files`` (all dialects, XLSX included).

Figures per tier: ``<tier>_<step>_seconds``, ``<tier>_<step>_rss_mib`` (resident set after the
step; steps keep their data, so it accumulates), ``<tier>_peak_rss_mib``, record counts, and
``<tier>_total_seconds``. The baseline measured in the same run is the next tier down (XS for S,
S for M); ``ratio_<tier>_vs_<baseline>_seconds`` compares totals, against a volume ratio of
about 50 (XS->S is about 50x, S->M 50x as well).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASELINE = {"S": "XS", "M": "S", "L": "M", "XL": "L"}
STEPS = ("portfolio", "jira", "planner", "msproject", "finance")
DEFAULT_TIMEOUT_SECONDS = {"XS": 120, "S": 600, "M": 3600, "L": 7200, "XL": 14400}


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(tier: str, seed: int, progress: Path, skip: tuple[str, ...]) -> None:
    """Generate the world step by step, appending one JSON line per finished step."""
    from sandbox.finance.files import write_finance_files
    from sandbox.jira.world import generate_jira
    from sandbox.microsoft.mspdi import write_msproject_files
    from sandbox.microsoft.msproject_world import generate_msproject
    from sandbox.microsoft.world import generate_planner
    from sandbox.portfolio import generate_portfolio

    out = progress.parent / "files"  # inside the parent's temporary directory

    def record(step: str, started: float, cpu: float, **counts: int) -> None:
        line = {
            "step": step,
            "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "rss_mib": round(_rss_mib(), 1),
            "peak_rss_mib": round(_peak_rss_mib(), 1),
            **counts,
        }
        with progress.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    started, cpu = time.perf_counter(), time.process_time()
    portfolio = generate_portfolio(tier, seed)
    record(
        "portfolio", started, cpu, projects=len(portfolio.projects), people=len(portfolio.people)
    )
    if "jira" not in skip:
        started, cpu = time.perf_counter(), time.process_time()
        jira = generate_jira(portfolio)
        record("jira", started, cpu, issues=len(jira.issues), worklogs=len(jira.worklogs))
    if "planner" not in skip:
        started, cpu = time.perf_counter(), time.process_time()
        planner = generate_planner(portfolio)
        record("planner", started, cpu, tasks=planner.task_count, plans=len(planner.plans))
    if "msproject" not in skip:
        started, cpu = time.perf_counter(), time.process_time()
        plans = generate_msproject(portfolio)
        paths = write_msproject_files(plans, out / "msproject")
        record(
            "msproject",
            started,
            cpu,
            plans=len(plans),
            tasks=sum(len(p.tasks) for p in plans),
            bytes=sum(p.stat().st_size for p in paths),
        )
    if "finance" not in skip:
        started, cpu = time.perf_counter(), time.process_time()
        paths = write_finance_files(portfolio, out / "finance")
        record(
            "finance", started, cpu, files=len(paths), bytes=sum(p.stat().st_size for p in paths)
        )
    record("done", time.perf_counter(), time.process_time(), faults=len(portfolio.manifest.faults))


def _rss_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure_tier(
    tier: str,
    *,
    seed: int = 42,
    timeout_seconds: float | None = None,
    max_rss_gib: float = 8.0,
    skip: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Generate one tier's world in a child process and return its figures.

    Args:
        tier: sandbox tier (XS, S, M, L, XL).
        seed: world seed.
        timeout_seconds: kill the child after this long (default per tier).
        max_rss_gib: kill the child when its resident set grows past this.
        skip: steps to leave out (e.g. ``("jira",)`` to measure the others alone).

    Returns:
        Figures keyed ``<tier>_...``; ``<tier>_stopped`` says why a child was killed.
    """
    timeout = timeout_seconds or DEFAULT_TIMEOUT_SECONDS.get(tier, 3600)
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        progress = Path(tmp) / "progress.jsonl"
        progress.touch()
        cmd = [sys.executable, "-m", "benchmarks.bench_sandbox", tier, str(seed), str(progress)]
        cmd += [f"--skip={step}" for step in skip]
        started = time.perf_counter()
        child = subprocess.Popen(
            cmd,
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        stopped = None
        max_seen = 0.0
        while child.poll() is None:
            max_seen = max(max_seen, _rss_of(child.pid))
            if max_seen > max_rss_gib * 1024:
                stopped = f"RSS over {max_rss_gib:g} GiB"
            elif time.perf_counter() - started > timeout:
                stopped = f"over {timeout:g} s"
            if stopped:
                child.kill()
                break
            time.sleep(0.5)
        _, stderr = child.communicate()
        wall = time.perf_counter() - started
        lines = [json.loads(line) for line in progress.read_text(encoding="utf-8").splitlines()]
    figures: dict[str, Any] = {}
    for line in lines:
        step = line.pop("step")
        if step == "done":
            figures[f"{tier}_faults"] = line["faults"]
            figures[f"{tier}_peak_rss_mib"] = line["peak_rss_mib"]
            continue
        for key, value in line.items():
            if key != "peak_rss_mib":
                figures[f"{tier}_{step}_{key}"] = value
    finished = [line_step for line_step in STEPS if f"{tier}_{line_step}_seconds" in figures]
    figures[f"{tier}_total_seconds"] = round(
        sum(figures[f"{tier}_{s}_seconds"] for s in finished), 2
    )
    figures[f"{tier}_child_wall_seconds"] = round(wall, 2)
    figures.setdefault(f"{tier}_peak_rss_mib", round(max_seen, 1))
    if stopped or child.returncode != 0:
        pending = [s for s in STEPS if s not in finished and s not in skip]
        figures[f"{tier}_stopped"] = stopped or f"exit {child.returncode}"
        figures[f"{tier}_unfinished_step"] = pending[0] if pending else None
        figures[f"{tier}_stderr_tail"] = stderr.decode(errors="replace")[-500:]
    return figures


def run(tier: str = "S") -> dict[str, Any]:
    """Measure generation at ``tier`` and at the next tier down as the baseline.

    Args:
        tier: the tier to measure (S by default; M is the issue's figure).

    Returns:
        Per-step seconds, RSS and counts for both tiers, and the ratio of total seconds.
    """
    baseline = BASELINE.get(tier, "XS")
    figures = measure_tier(baseline)
    figures.update(measure_tier(tier))
    if f"{tier}_stopped" in figures and figures.get(f"{tier}_unfinished_step") == "jira":
        # Jira is the bulk of the world: measure the other systems without it.
        without = measure_tier(tier, skip=("jira",))
        figures.update({k.replace(f"{tier}_", f"{tier}_nojira_", 1): v for k, v in without.items()})
    total, base_total = figures[f"{tier}_total_seconds"], figures[f"{baseline}_total_seconds"]
    if base_total:
        figures[f"ratio_{tier}_vs_{baseline}_seconds"] = round(total / base_total, 1)
    return figures


if __name__ == "__main__":
    # Child mode: python -m benchmarks.bench_sandbox TIER SEED PROGRESS_FILE [--skip=STEP ...]
    _tier, _seed, _progress, *_rest = sys.argv[1:]
    _child(
        _tier,
        int(_seed),
        Path(_progress),
        tuple(a.removeprefix("--skip=") for a in _rest if a.startswith("--skip=")),
    )
    os._exit(0)  # the world is large: skip tearing it down object by object
