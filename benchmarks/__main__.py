"""Run every `benchmarks/bench_*.py` module's `run(tier)` and report its figures."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchmarks


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--tier", default="S", help="sandbox tier (S default; M is the target tier)"
    )
    parser.add_argument("--only", action="append", default=[], help="run only these benchmarks")
    args = parser.parse_args()
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    results: dict[str, object] = {}
    failed = 0
    for name in names:
        print(f"== {name} (tier {args.tier})", flush=True)
        started = time.monotonic()
        load = LoadSampler()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            figures = module.run(args.tier)
        except Exception:
            failed += 1
            traceback.print_exc()
            results[name] = {"error": traceback.format_exc(limit=3)}
            continue
        figures = {
            **figures,
            "wall_seconds": round(time.monotonic() - started, 2),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            # Other jobs on a 2-core machine stretch wall times: say how busy it was.
            **load.summary(),
        }
        results[getattr(module, "RESULT_KEY", name)] = figures
        for key, value in figures.items():
            print(f"   {key:<45} {value}")
    json_path, md_path = write_results(results, args.tier, names)
    print(f"results: {json_path} and {md_path}")
    return 1 if failed else 0


class LoadSampler:
    """The machine's 1-minute load average, sampled every 15 s while one benchmark runs."""

    def __init__(self) -> None:
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(15):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict[str, float]:
        self._stop.set()
        return {
            "load_average_mean": round(sum(self.samples) / len(self.samples), 2),
            "load_average_max": round(max(self.samples), 2),
        }


def machine_info() -> dict[str, object]:
    """What the figures were measured on: they mean little without it."""
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text(encoding="utf-8").splitlines()[0]
        memory_kib = int(first.split()[1])
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# Keys of a results file that describe the file, not one benchmark.
HEADER_KEYS = frozenset({"measured_at", "tier", "benchmarks_run", "machine"})


def write_results(results: dict[str, object], tier: str, names: list[str]) -> tuple[Path, Path]:
    """Write ``benchmarks/results/<date>-<tier>.json`` and ``.md`` (committed, quoted in README)."""
    now = datetime.now(UTC)
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{now.date().isoformat()}-{tier}"
    json_path = out / f"{stem}.json"
    # Benchmarks of one tier run separately on the same day (`--only`) add up to one results file:
    # a tier-M run of everything does not fit one sitting, its parts do.
    earlier: dict[str, Any] = {}
    if json_path.exists():
        earlier = json.loads(json_path.read_text(encoding="utf-8"))
    merged = {k: v for k, v in earlier.items() if k not in HEADER_KEYS} | results
    runs = [n for n in earlier.get("benchmarks_run", []) if n not in names] + names
    document = {
        "measured_at": now.isoformat(timespec="seconds"),
        "tier": tier,
        "benchmarks_run": runs,
        "machine": machine_info(),
        **merged,
    }
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    lines = [
        f"# Benchmarks, tier {tier}, {now.date().isoformat()}",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in document["machine"].items()),
        "",
        "Each ratio compares with a baseline measured in the same run.",
        "",
    ]
    for name, figures in merged.items():
        lines += [f"## {name}", "", "| figure | value |", "|---|---|"]
        if isinstance(figures, dict):
            for key, value in figures.items():
                text = json.dumps(value, default=str) if isinstance(value, dict) else str(value)
                lines.append(f"| {key} | {text.replace('|', '/')[:200]} |")
        lines.append("")
    md_path = out / f"{stem}.md"
    md_path.write_text("\n".join(lines), encoding="utf-8")
    return json_path, md_path


if __name__ == "__main__":
    raise SystemExit(main())
