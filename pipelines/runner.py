"""Run one source's dlt pipeline from the hub configuration.

The per-system pipeline modules (``pipelines/<system>_pipeline.py``) know how to build and load
their source; this module turns the hub's configuration into their settings objects and reports
what landed, so Dagster assets and the CLI share one path.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt

from pipelines.destinations import make_destination
from pmo_hub.config import ConfigError, HubConfig

log = logging.getLogger(__name__)

# system -> (settings module, settings class, dataset)
SYSTEMS: dict[str, tuple[str, str, str]] = {
    "finance": ("connectors.finance.settings", "FinanceSettings", "raw_finance"),
    "jira": ("connectors.jira.settings", "JiraSettings", "raw_jira"),
    "planner": ("connectors.planner.settings", "PlannerSettings", "raw_planner"),
    "msproject": ("connectors.msproject.settings", "MsProjectSettings", "raw_msproject"),
}

# Settings whose values are file-system paths, resolved against the config file's folder.
PATH_KEYS = {
    "folders",
    "landing_dirs",
    "landing_dir",
    "contract_file",
    "contracts_dir",
    "verify",
    "ca_file",
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


def _resolve_paths(values: Mapping[str, Any], root: Path) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value and not value.startswith(("http://", "https://")):
            p = Path(value)
            return str(p if p.is_absolute() else root / p)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    out = dict(values)
    for key in PATH_KEYS & set(out):
        if isinstance(out[key], bool):
            continue
        out[key] = resolve(out[key])
    return out


def build_settings(system: str, config: HubConfig) -> Any:
    """Instantiate the connector's settings dataclass from ``[sources.<system>]``."""
    module_name, class_name, _ = SYSTEMS[system]
    settings_cls = getattr(importlib.import_module(module_name), class_name)
    values = _resolve_paths(config.source(system), config.root)
    known = {f.name for f in dataclasses.fields(settings_cls)}
    unknown = sorted(set(values) - known - {"enabled"})
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in [sources.{system}]: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    try:
        return settings_cls(**{k: v for k, v in values.items() if k in known})
    except TypeError as exc:
        raise ConfigError(f"[sources.{system}] is incomplete: {exc}") from None


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
    load_info = module.load(settings, destination_for(config), pipelines_dir=str(config.state_dir))
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
