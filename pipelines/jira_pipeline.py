"""dlt pipeline for Jira: ``raw_jira`` in DuckDB (default) or PostgreSQL.

Run locally: ``python -m pipelines.jira_pipeline`` with ``SOURCES__JIRA__BASE_URL``,
``SOURCES__JIRA__EMAIL`` + ``SOURCES__JIRA__API_TOKEN`` (or ``SOURCES__JIRA__PAT`` and
``SOURCES__JIRA__DEPLOYMENT=datacenter``) and ``PMO_HUB_DUCKDB_PATH`` set.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dlt
from dlt.common.destination import Destination
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from connectors.jira import JiraSettings, jira_source
from pipelines.destinations import loader_file_format_for, make_destination

DATASET_NAME = "raw_jira"
PIPELINE_NAME = "jira"

log = logging.getLogger(__name__)


def build_pipeline(
    destination: Destination,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
    *,
    dataset_name: str = DATASET_NAME,
) -> dlt.Pipeline:
    """The Jira pipeline writing dataset ``raw_jira`` to ``destination``.

    Args:
        destination: from :func:`pipelines.destinations.make_destination`.
        pipelines_dir: where dlt keeps state and pending packages (default: dlt's).
        pipeline_name: default ``jira``.
        dataset_name: override only for isolated tests; dbt reads ``raw_jira``.
    """
    # Arrow items get _dlt_load_id only when asked; every raw row must carry it (CONTRACTS.md).
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return dlt.pipeline(
        pipeline_name=pipeline_name or PIPELINE_NAME,
        destination=destination,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
    )


def build_source(settings: JiraSettings) -> DltSource:
    """The Jira source for ``settings`` (no I/O until the pipeline runs it)."""
    return jira_source(
        base_url=settings.base_url,
        deployment=settings.deployment,
        email=settings.email,
        api_token=settings.api_token,
        pat=settings.pat,
        projects=list(settings.projects),
        start_date=settings.start_date.isoformat() if settings.start_date else None,
        page_size=settings.page_size,
        custom_field_overrides=settings.custom_field_overrides,
        overlap_minutes=settings.overlap_minutes,
        reconcile=settings.reconcile,
        verify=settings.verify,
        max_attempts=settings.max_attempts,
        max_retry_wait_seconds=settings.max_retry_wait_seconds,
        backoff_base_seconds=settings.backoff_base_seconds,
        mass_delete_ratio=settings.mass_delete_ratio,
        concurrency=settings.concurrency,
        dimension_refresh_hours=settings.dimension_refresh_hours,
        field_roles=settings.field_roles,
    )


def load(
    settings: JiraSettings,
    destination: Destination,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
    *,
    dataset_name: str = DATASET_NAME,
) -> LoadInfo:
    """Sync Jira into ``raw_jira`` (incremental; set ``settings.reconcile`` for the nightly census).

    Raises:
        dlt.pipeline.exceptions.PipelineStepFailed: wrapping a ``connectors.jira.client.JiraError``
            (e.g. ``JiraAuthError`` naming the setting to fix) or a load failure.
    """
    pipeline = build_pipeline(
        destination,
        pipelines_dir=pipelines_dir,
        pipeline_name=pipeline_name,
        dataset_name=dataset_name,
    )
    if pipeline.has_pending_data:
        # An interrupted run left a package behind; dlt would load it *instead of* extracting,
        # so finish it first (its data and cursor state commit together), then sync as usual.
        log.warning("finishing the pending Jira load package of an interrupted run before syncing")
        pipeline.run().raise_on_failed_jobs()
    info = pipeline.run(build_source(settings), loader_file_format=loader_file_format_for(pipeline))
    info.raise_on_failed_jobs()
    return info


def _settings_from_env() -> JiraSettings:
    env = os.environ
    return JiraSettings(
        base_url=env["SOURCES__JIRA__BASE_URL"],
        deployment=env.get("SOURCES__JIRA__DEPLOYMENT", "cloud"),
        email=env.get("SOURCES__JIRA__EMAIL"),
        api_token=env.get("SOURCES__JIRA__API_TOKEN"),
        pat=env.get("SOURCES__JIRA__PAT"),
        projects=tuple(p for p in env.get("SOURCES__JIRA__PROJECTS", "").split(",") if p),
        reconcile=env.get("SOURCES__JIRA__RECONCILE", "").lower() in ("1", "true", "yes"),
        verify=env.get("SOURCES__JIRA__VERIFY", "true").lower() not in ("0", "false", "no")
        and (env.get("SOURCES__JIRA__CA_BUNDLE") or True),
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    target = os.environ.get("PMO_HUB_TARGET", "duckdb")
    dest = make_destination(
        target,
        duckdb_path=os.environ.get("PMO_HUB_DUCKDB_PATH"),
        postgres_url=os.environ.get("PMO_HUB_POSTGRES_URL"),
    )
    log.info("%s", load(_settings_from_env(), dest))
