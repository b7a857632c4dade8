"""The one place that decides where dlt writes: a DuckDB file (default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.common.destination import Destination

SUPPORTED_TARGETS = ("duckdb", "postgres")


def make_destination(
    target: str = "duckdb",
    *,
    duckdb_path: str | Path | None = None,
    postgres_url: str | None = None,
) -> Destination:
    """Build the dlt destination for a warehouse target.

    Args:
        target: ``duckdb`` (embedded default) or ``postgres`` (shared serving target).
        duckdb_path: the DuckDB file, required for ``duckdb``.
        postgres_url: ``postgresql://user:password@host:port/database``, required for ``postgres``.

    Raises:
        ValueError: on an unknown target or a missing path/URL, naming the setting to fix.
    """
    if target == "duckdb":
        if not duckdb_path:
            raise ValueError("warehouse.duckdb_path is not set (PMO_HUB_DUCKDB_PATH)")
        path = Path(duckdb_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(str(path))
    if target == "postgres":
        if not postgres_url:
            raise ValueError("warehouse.postgres_url is not set (PMO_HUB_POSTGRES_URL)")
        return dlt.destinations.postgres(postgres_url)
    raise ValueError(f"unknown warehouse target {target!r}; choose one of {SUPPORTED_TARGETS}")
