"""Run one source's dlt pipeline from the hub configuration.

The per-system pipeline modules (``pipelines/<system>_pipeline.py``) know how to build and load
their source; this module turns the hub's configuration into their settings objects and reports
what landed, so Dagster assets and the CLI share one path.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

import dlt

from pipelines.destinations import make_destination
from pmo_hub.config import ConfigError, HubConfig, source_settings
from pmo_hub.errors import find_source_error
from pmo_hub.postgres import duckdb_lock_error, explain_connection_error

log = logging.getLogger(__name__)

# system -> (settings module, settings class, dataset)
SYSTEMS: dict[str, tuple[str, str, str]] = {
    "finance": ("connectors.finance.settings", "FinanceSettings", "raw_finance"),
    "jira": ("connectors.jira.settings", "JiraSettings", "raw_jira"),
    "planner": ("connectors.planner.settings", "PlannerSettings", "raw_planner"),
    "msproject": ("connectors.msproject.settings", "MsProjectSettings", "raw_msproject"),
}


@dataclass
class SourceRunSummary:
    system: str
    dataset: str
    rows_by_table: dict[str, int] = field(default_factory=dict)
    load_ids: list[str] = field(default_factory=list)
    # Not failures, but the run summary should show them (e.g. .mpp files skipped for want of
    # the mpp extra); filled from the pipeline module's optional ``load_warnings(load_info)``.
    warnings: list[str] = field(default_factory=list)


def build_settings(system: str, config: HubConfig) -> Any:
    """Instantiate the connector's settings dataclass from ``[sources.<system>]``."""
    return source_settings(system, config)


def destination_for(config: HubConfig) -> Any:
    """The dlt destination of the configured warehouse target."""
    destination = make_destination(
        config.warehouse.target,
        duckdb_path=config.warehouse.duckdb_path,
        postgres_url=config.warehouse.postgres_url,
        duckdb_memory_limit=config.warehouse.duckdb_memory_limit,
    )
    if config.warehouse.target == "postgres":
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        credentials = PostgresCredentials(config.require_postgres_url())
        if credentials.password is None:
            # dlt insists on a password, but a URL without one is valid (trust auth, .pgpass,
            # PGPASSWORD): an empty one makes libpq fall back to those as psql and dbt do.
            credentials.password = ""
            destination = dlt.destinations.postgres(credentials)
    return destination


def run_source(system: str, config: HubConfig) -> SourceRunSummary:
    """Load one system into its raw dataset and report the rows per table of this run."""
    if system not in SYSTEMS:
        raise ConfigError(f"unknown source {system!r}")
    module = importlib.import_module(f"pipelines.{system}_pipeline")
    settings = build_settings(system, config)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    try:
        load_info = module.load(
            settings, destination_for(config), pipelines_dir=str(config.state_dir)
        )
    except Exception as exc:
        explained = explain_failure(system, exc, config)
        if explained is None:
            raise
        raise explained from exc
    summary = SourceRunSummary(system=system, dataset=SYSTEMS[system][2])
    # LoadInfo is a NamedTuple: only a list means several loads.
    infos = load_info if isinstance(load_info, list) else [load_info]
    for info in infos:
        if info is None:
            continue
        summary.load_ids.extend(getattr(info, "loads_ids", []) or [])
        if hasattr(module, "load_warnings") and getattr(info, "pipeline", None) is not None:
            summary.warnings.extend(module.load_warnings(info))
        trace = info.pipeline.last_trace if getattr(info, "pipeline", None) else None
        normalize = trace.last_normalize_info if trace else None
        for table, count in (normalize.row_counts if normalize else {}).items():
            if not table.startswith("_dlt"):
                summary.rows_by_table[table] = summary.rows_by_table.get(table, 0) + count
    log.info("loaded %s: %s", system, summary.rows_by_table)
    return summary


def explain_failure(system: str, exc: BaseException, config: HubConfig) -> Exception | None:
    """The user-facing error behind a dlt failure, or None to keep ``exc`` as it is.

    dlt wraps a connector's error in ``PipelineStepFailed`` (whose text is mostly dlt's) and a
    warehouse problem in "check your credentials / internet connection": this digs out the cause
    and names what to fix instead.
    """
    source_error = find_source_error(exc)
    if source_error is not None:
        return source_error
    chain = _chain_text(exc)
    if config.warehouse.target == "duckdb":
        return duckdb_lock_error(chain, config, f"loading {system}")
    pg_error = _postgres_error(exc)
    if pg_error is not None:
        return explain_connection_error(pg_error, config)
    return None


def _chain_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        parts.append(str(item))
        stack.extend([item.__cause__, item.__context__, getattr(item, "exception", None)])
    return "\n".join(parts)


def _postgres_error(exc: BaseException) -> BaseException | None:
    """The psycopg2 connection error (wrong role/password/host/database) inside ``exc``, if any."""
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - postgres extra not installed
        return None
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, psycopg2.OperationalError):
            return item
        stack.extend([item.__cause__, item.__context__, getattr(item, "exception", None)])
    return None
