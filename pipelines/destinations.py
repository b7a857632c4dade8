"""The one place that decides where dlt writes: a DuckDB file (default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

# Caps DuckDB's buffer manager during dlt's merges (it spills to <db>.tmp beyond it). Measured on a
# full tier-S Jira sync: peak RSS 871 MiB without a limit, 644 MiB at 256MB, same load time.
DEFAULT_DUCKDB_MEMORY_LIMIT = "256MB"

SUPPORTED_TARGETS = ("duckdb", "postgres")


def make_destination(
    target: str = "duckdb",
    *,
    duckdb_path: str | Path | None = None,
    postgres_url: str | None = None,
    duckdb_memory_limit: str | None = DEFAULT_DUCKDB_MEMORY_LIMIT,
) -> Destination:
    """Build the dlt destination for a warehouse target.

    Args:
        target: ``duckdb`` (embedded default) or ``postgres`` (shared serving target).
        duckdb_path: the DuckDB file, required for ``duckdb``.
        postgres_url: ``postgresql://user:password@host:port/database``, required for ``postgres``.
        duckdb_memory_limit: DuckDB ``memory_limit`` for loads (``None``: DuckDB's default).

    Raises:
        ValueError: on an unknown target or a missing path/URL, naming the setting to fix.
    """
    if target == "duckdb":
        if not duckdb_path:
            raise ValueError("warehouse.duckdb_path is not set (PMO_HUB_DUCKDB_PATH)")
        path = Path(duckdb_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": duckdb_memory_limit} if duckdb_memory_limit else None
        return dlt.destinations.duckdb(
            credentials=DuckDbCredentials(str(path), global_config=config),
            # One load job at a time: DuckDB has one writer and one memory budget, and parallel
            # merges shared it until they ran out. Measured on a tier-M incremental Jira sync:
            # 20 parallel jobs at 256MB failed (out of memory); one job at a time at 256MB loaded
            # in 51 s with 801 MiB peak RSS, against 47 s and 1,360 MiB for 20 jobs at 1GB.
            loader_parallelism_strategy="sequential",
            max_parallel_load_jobs=1,
        )
    if target == "postgres":
        if not postgres_url:
            raise ValueError("warehouse.postgres_url is not set (PMO_HUB_POSTGRES_URL)")
        return dlt.destinations.postgres(postgres_url)
    raise ValueError(f"unknown warehouse target {target!r}; choose one of {SUPPORTED_TARGETS}")


def loader_file_format_for(pipeline: dlt.Pipeline) -> str | None:
    """Parquet load files on DuckDB (never ``insert_values``); the destination's own choice else.

    PostgreSQL cannot load parquet without the ADBC driver: asking for it there only makes dlt warn
    per table and fall back.
    """
    return "parquet" if pipeline.destination.destination_name == "duckdb" else None
