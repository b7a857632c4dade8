"""Run every `benchmarks/bench_*.py` module's `run(tier)` and report its figures."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import time
import traceback
from pathlib import Path

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
        try:
            figures = importlib.import_module(f"benchmarks.{name}").run(args.tier)
        except Exception:
            failed += 1
            traceback.print_exc()
            results[name] = {"error": traceback.format_exc(limit=3)}
            continue
        figures = {**figures, "wall_seconds": round(time.monotonic() - started, 2)}
        results[name] = figures
        for key, value in figures.items():
            print(f"   {key:<45} {value}")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"results-{args.tier}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"results: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
