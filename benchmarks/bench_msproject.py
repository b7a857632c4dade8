"""MS Project: streaming MSPDI parse vs a full-DOM parse of the same large plan file.

One synthetic plan (``sandbox.microsoft.mspdi.write_large_mspdi``: 100k tasks at tier M) is
written once, then:

* ``stream_*`` - the connector's parser (``iterparse``, elements dropped as they are read, every
  row converted to the warehouse units);
* ``dom_*`` - the baseline: ``ElementTree.parse`` of the whole file, then the same conversion of
  every Task, Resource and Assignment element;
* ``load_*`` - the whole connector through dlt into a DuckDB file (scan, hash, spool, parquet,
  merge), i.e. what a sync of that one file costs.

Throughput is measured without tracing, per CPU second of this process (the machine is shared,
so wall seconds are reported too but vary with load); peak memory is measured in a second pass of each parser
under ``tracemalloc`` (Python allocations, which is where a DOM lives).
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from connectors.msproject.parser import _PlanParser, parse_mspdi
from connectors.msproject.settings import MsProjectSettings
from pipelines.destinations import make_destination
from pipelines.msproject_pipeline import load
from sandbox.microsoft.mspdi import write_large_mspdi

TIER_TASKS = {"XS": 5_000, "S": 20_000, "M": 100_000, "L": 300_000, "XL": 700_000}


def _stream(path: Path) -> int:
    rows = 0
    for _ in parse_mspdi(path, "bench"):
        rows += 1
    return rows


def _dom(path: Path) -> int:
    parser = _PlanParser(path, "bench", "Finance Project Code", None)
    root = ET.parse(path).getroot()
    ns = "{http://schemas.microsoft.com/project}"
    rows = 0
    for container, handler in (
        ("Tasks", parser._task),
        ("Resources", parser._resource),
        ("Assignments", parser._assignment),
    ):
        for element in root.find(ns + container):
            for _ in handler(element):
                rows += 1
    return rows + 1  # the projects row


def _timed(fn: Callable[[Path], int], path: Path) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    rows = fn(path)
    return time.perf_counter() - wall, time.process_time() - cpu, rows


def _peak_mib(fn: Callable[[Path], int], path: Path) -> float:
    tracemalloc.start()
    try:
        fn(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def run(tier: str = "S") -> dict:
    """Figures for one large plan of the tier's size (see ``TIER_TASKS``)."""
    n_tasks = TIER_TASKS.get(tier, TIER_TASKS["S"])
    with tempfile.TemporaryDirectory(prefix="bench_msproject_") as tmp:
        folder = Path(tmp) / "plans"
        started = time.perf_counter()
        path = write_large_mspdi(folder / "large.xml", n_tasks=n_tasks, seed=7)
        write_s = time.perf_counter() - started
        tasks = n_tasks + 1
        stream_s, stream_cpu, stream_rows = _timed(_stream, path)
        dom_s, dom_cpu, dom_rows = _timed(_dom, path)
        if stream_rows != dom_rows:
            raise AssertionError(f"parsers disagree: {stream_rows} vs {dom_rows} rows")
        stream_peak = _peak_mib(_stream, path)
        dom_peak = _peak_mib(_dom, path)
        started, started_cpu = time.perf_counter(), time.process_time()
        load(
            MsProjectSettings(folders=(folder,)),
            make_destination("duckdb", duckdb_path=str(Path(tmp) / "w.duckdb")),
            Path(tmp) / "dlt",
        )
        load_s, load_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        return {
            "tasks": tasks,
            "rows_all_tables": stream_rows,
            "file_mib": round(path.stat().st_size / 2**20, 1),
            "write_file_s": round(write_s, 2),
            "stream_parse_s": round(stream_s, 2),
            "stream_parse_cpu_s": round(stream_cpu, 2),
            "stream_tasks_per_cpu_s": round(tasks / stream_cpu),
            "stream_rows_per_cpu_s": round(stream_rows / stream_cpu),
            "stream_mib_per_cpu_s": round(path.stat().st_size / 2**20 / stream_cpu, 1),
            "stream_peak_mib": stream_peak,
            "dom_parse_s": round(dom_s, 2),
            "dom_parse_cpu_s": round(dom_cpu, 2),
            "dom_tasks_per_cpu_s": round(tasks / dom_cpu),
            "dom_peak_mib": dom_peak,
            "speed_ratio_stream_vs_dom": round(dom_cpu / stream_cpu, 2),
            "memory_ratio_dom_vs_stream": round(dom_peak / stream_peak, 1),
            "load_duckdb_s": round(load_s, 2),
            "load_duckdb_cpu_s": round(load_cpu, 2),
            "load_rows_per_s": round(stream_rows / load_s),
        }
