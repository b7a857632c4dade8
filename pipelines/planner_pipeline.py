"""The Planner pipeline: Microsoft Graph (Planner) -> ``raw_planner`` in DuckDB or PostgreSQL."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import dlt
from dlt.common.destination import Destination
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from connectors.planner import planner_source
from connectors.planner.settings import PlannerSettings
from pipelines.destinations import loader_file_format_for, make_destination

log = logging.getLogger(__name__)

PIPELINE_NAME = "planner"
DATASET_NAME = "raw_planner"


def build_pipeline(
    destination: Destination | str,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
) -> dlt.Pipeline:
    """The dlt pipeline writing dataset ``raw_planner``.

    Args:
        destination: from :func:`pipelines.destinations.make_destination`.
        pipelines_dir: where dlt keeps its working state (default: dlt's home).
        pipeline_name: defaults to ``planner``.
    """
    return dlt.pipeline(
        pipeline_name=pipeline_name or PIPELINE_NAME,
        destination=destination,
        dataset_name=DATASET_NAME,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
    )


def build_source(settings: PlannerSettings) -> DltSource:
    """The Planner source for ``settings`` (no I/O until the pipeline runs)."""
    return planner_source(**settings.as_source_kwargs())


def load(
    settings: PlannerSettings,
    destination: Destination | str,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
) -> LoadInfo:
    """Sync Planner into ``raw_planner``; returns dlt's LoadInfo (parquet load files).

    A previous run's pending package is finished first (dlt then exits without extracting), so
    the loop keeps running until a fresh extract has landed.
    """
    pipeline = build_pipeline(destination, pipelines_dir, pipeline_name)
    if pipeline.has_pending_data:
        log.warning("planner: finishing a pending load package from an earlier run first")
        pipeline.run(loader_file_format=loader_file_format_for(pipeline))
    info = pipeline.run(build_source(settings), loader_file_format=loader_file_format_for(pipeline))
    log.info("planner load finished: %s", info.loads_ids)
    return info


def main(argv: list[str] | None = None) -> None:
    """Load Planner into a DuckDB file; settings from ``SOURCES__PLANNER__*`` variables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duckdb", default="warehouse/pmo.duckdb")
    parser.add_argument("--pipelines-dir", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    env = os.environ
    prefix = "SOURCES__PLANNER__"
    settings = PlannerSettings(
        tenant_id=env.get(prefix + "TENANT_ID", ""),
        client_id=env.get(prefix + "CLIENT_ID", ""),
        client_secret=env.get(prefix + "CLIENT_SECRET"),
        client_cert_private_key=env.get(prefix + "CLIENT_CERT_PRIVATE_KEY"),
        client_cert_thumbprint=env.get(prefix + "CLIENT_CERT_THUMBPRINT"),
        authority=env.get(prefix + "AUTHORITY"),
        graph_url=env.get(prefix + "GRAPH_URL", "https://graph.microsoft.com/v1.0"),
        group_ids=tuple(g for g in env.get(prefix + "GROUP_IDS", "").split(",") if g),
        verify=env.get(prefix + "VERIFY") or True,
    )
    load(settings, make_destination("duckdb", duckdb_path=args.duckdb), args.pipelines_dir)


if __name__ == "__main__":
    main()
