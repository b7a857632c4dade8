"""The MS Project pipeline: plan files -> ``raw_msproject`` (DuckDB or PostgreSQL).

Run locally: ``PMO_HUB_MSPROJECT_FOLDERS=plans PMO_HUB_DUCKDB_PATH=warehouse/pmo.duckdb
python -m pipelines.msproject_pipeline``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import dlt
from dlt.common.destination import Destination
from dlt.common.pipeline import LoadInfo
from dlt.sources import DltSource

from connectors.msproject import msproject_source
from connectors.msproject.settings import DATASET_NAME, MsProjectSettings
from pipelines.destinations import loader_file_format_for, make_destination

logger = logging.getLogger(__name__)

PIPELINE_NAME = "msproject"


@dataclass
class FailedFile:
    """A plan file the last load could not read."""

    source_file: str
    error_message: str
    error_line: int | None = None
    error_column: int | None = None


@dataclass
class MsProjectFilesFailed(RuntimeError):
    """Raised after a load in which some plan files failed (the other files were loaded)."""

    load_info: LoadInfo
    failed: list[FailedFile] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.failed)} MS Project file(s) failed to load (others loaded):"]
        lines += [f"  - {f.error_message}" for f in self.failed]
        return "\n".join(lines)


def build_pipeline(
    destination: Destination | str,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
    dataset_name: str | None = None,
) -> dlt.Pipeline:
    """The dlt pipeline writing dataset ``raw_msproject``.

    Args:
        destination: a destination from ``pipelines.destinations.make_destination``.
        pipelines_dir: where dlt keeps its working state (defaults to dlt's).
        pipeline_name: defaults to ``msproject``.
        dataset_name: defaults to ``raw_msproject`` (tests prefix it to stay isolated).
    """
    return dlt.pipeline(
        pipeline_name=pipeline_name or PIPELINE_NAME,
        destination=destination,
        dataset_name=dataset_name or DATASET_NAME,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
    )


def build_source(settings: MsProjectSettings) -> DltSource:
    """The MS Project source for ``settings`` (no I/O until the pipeline runs)."""
    return msproject_source(
        folders=[str(f) for f in settings.folders],
        file_glob=settings.file_glob,
        mpp_enabled=settings.mpp_enabled,
        project_code_alias=settings.project_code_alias,
        project_code_field_id=settings.project_code_field_id,
    )


def failed_files(pipeline: dlt.Pipeline, load_info: LoadInfo) -> list[FailedFile]:
    """Files recorded as ``failed`` in the ``files`` ledger by the loads of ``load_info``."""
    load_ids = list(load_info.loads_ids)
    if not load_ids:
        return []
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name("files")
        placeholders = ", ".join(["%s"] * len(load_ids))
        rows = client.execute_sql(
            f"select source_file, error_message, error_line, error_column from {table} "
            f"where status = 'failed' and _dlt_load_id in ({placeholders}) order by source_file",
            *load_ids,
        )
    return [FailedFile(*row) for row in rows or []]


def skipped_files(pipeline: dlt.Pipeline, load_info: LoadInfo) -> list[FailedFile]:
    """Files the loads of ``load_info`` did not read on purpose, with the reason.

    Today: ``.mpp`` files found while the ``mpp`` extra or Java is missing (ledger ``skipped``
    with an ``error_message``; an unchanged file is ``skipped`` without one).
    """
    load_ids = list(load_info.loads_ids)
    if not load_ids:
        return []
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name("files")
        placeholders = ", ".join(["%s"] * len(load_ids))
        rows = client.execute_sql(
            f"select source_file, error_message from {table} where status = 'skipped' "
            f"and error_message is not null and _dlt_load_id in ({placeholders}) "
            "order by source_file",
            *load_ids,
        )
    return [FailedFile(*row) for row in rows or []]


def load_warnings(load_info: LoadInfo) -> list[str]:
    """Warnings for the run summary: files not read, each with what to do about it."""
    return [
        f"{item.source_file}: {item.error_message}"
        for item in skipped_files(load_info.pipeline, load_info)
    ]


def load(
    settings: MsProjectSettings,
    destination: Destination | str,
    pipelines_dir: str | Path | None = None,
    *,
    raise_on_failed_files: bool = True,
    dataset_name: str | None = None,
) -> LoadInfo:
    """Load every changed plan file, then raise if any file failed.

    Args:
        settings: folders and options.
        destination: the warehouse destination.
        pipelines_dir: dlt working folder.
        raise_on_failed_files: raise ``MsProjectFilesFailed`` after the load when the ledger
            shows failed files (the good files are loaded either way).
        dataset_name: overrides ``raw_msproject`` (e.g. a per-test schema prefix).

    Raises:
        MsProjectFilesFailed: some files could not be read; each message names file and position.
    """
    pipeline = build_pipeline(destination, pipelines_dir, dataset_name=dataset_name)
    info = pipeline.run(build_source(settings), loader_file_format=loader_file_format_for(pipeline))
    for item in skipped_files(pipeline, info):
        logger.warning("MS Project file not read: %s: %s", item.source_file, item.error_message)
    failed = failed_files(pipeline, info)
    for item in failed:
        logger.error("MS Project file failed: %s", item.error_message)
    if failed and raise_on_failed_files:
        raise MsProjectFilesFailed(info, failed)
    return info


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    load(
        MsProjectSettings.from_env(),
        make_destination(
            os.environ.get("PMO_HUB_WAREHOUSE", "duckdb"),
            duckdb_path=os.environ.get("PMO_HUB_DUCKDB_PATH"),
            postgres_url=os.environ.get("PMO_HUB_POSTGRES_URL"),
        ),
    )
