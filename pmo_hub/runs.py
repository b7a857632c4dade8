"""Run the main job in process and summarize, truthfully, what it did.

The summary is built from what happened in THIS run: the step events (which steps ran, failed
or were skipped, and why), the sources' outcomes recorded in ``ops.source_runs``, the outputs
materialized in this run (and present on disk), and the check results by severity. The Dagster
run status alone is not enough: a step that was skipped ends a run as SUCCESS.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmo_hub.config import CONFIG_ENV, SOURCE_NAMES, HubConfig, check_config, load_config
from pmo_hub.preflight import check_warehouse
from pmo_hub.run_lock import acquire_run_lock
from pmo_hub.warehouse import query, quote_ident, table_exists

log = logging.getLogger(__name__)

SUMMARY_SCHEMA_PATTERNS = ("raw_%", "core", "marts", "compliance", "dq")
DAGSTER_HOME_ENV = "DAGSTER_HOME"


@dataclass
class SourceStatus:
    system: str
    status: str  # loaded | failed | disabled | not run
    rows_loaded: int = 0
    error_message: str | None = None
    last_loaded_at: Any = None  # the last successful load before or in this run


@dataclass
class RunSummary:
    success: bool
    run_id: str
    rows_by_table: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    checks_failed: int = 0
    failed_checks: list[str] = field(default_factory=list)
    checks_failed_error: int = 0  # failed with severity ERROR (blocking); the rest are warnings
    expectations_passed: int = 0
    expectations_failed: int = 0
    failed_steps: list[str] = field(default_factory=list)
    # step key -> first line of its error (failed) or why it did not run (skipped)
    step_errors: dict[str, str] = field(default_factory=dict)
    skipped_steps: list[str] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    # output name -> path, only for outputs materialized in this run and present on disk
    outputs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # failed checks of severity WARN
    dagster_home: Path | None = None
    # "<file>: <status>: <reason>" for every file this run saw but did not load (finance, MS Project)
    files_not_loaded: list[str] = field(default_factory=list)
    rag_distribution: dict[str, int] = field(default_factory=dict)

    @property
    def failed_sources(self) -> list[SourceStatus]:
        return [s for s in self.sources if s.status == "failed"]


def dagster_home(config: HubConfig) -> Path:
    """The persistent Dagster instance of this project: $DAGSTER_HOME, else ``.pmo-hub/dagster``
    beside the dlt state (``[hub] state_dir``), created on first use. `pmo-hub ui` and
    `dagster dev` with the same DAGSTER_HOME show every run, materialization and check result."""
    configured = os.environ.get(DAGSTER_HOME_ENV)
    home = Path(configured) if configured else config.state_dir.parent / "dagster"
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    wanted = local_instance_settings(home)
    # Written by us (first line) or missing: (re)write it, e.g. after the project folder moved.
    # A dagster.yaml someone wrote themselves is left alone.
    if not settings.exists() or (
        settings.read_text(encoding="utf-8").startswith(GENERATED_MARK)
        and settings.read_text(encoding="utf-8") != wanted
    ):
        settings.write_text(wanted, encoding="utf-8")
    return home


GENERATED_MARK = "# written by pmo-hub"


def local_instance_settings(home: Path) -> str:
    """SQLite run and event storage in ``home``; no usage statistics leave the machine.

    The event log is Dagster's own SQLite storage without an fsync per event
    (pmo_hub/dagster_storage.py): with it a run spends seconds, not minutes, recording events.
    """
    return (
        f"{GENERATED_MARK} (pmo_hub/runs.py); delete the first line to keep your own edits\n"
        "telemetry:\n"
        "  enabled: false\n"
        "event_log_storage:\n"
        "  module: pmo_hub.dagster_storage\n"
        "  class: LocalSqliteEventLogStorage\n"
        "  config:\n"
        f"    base_dir: {json.dumps(str(home / 'history' / 'runs'))}\n"
    )


def run_sync_job(config_file: Path | None = None, tags: dict[str, str] | None = None) -> RunSummary:
    """Materialize every asset through Dagster, in this process, on the persistent instance."""
    if config_file is not None:
        os.environ[CONFIG_ENV] = str(Path(config_file).resolve())
    config = load_config()  # fail fast, before Dagster starts, with the setting to fix
    check_config(config)  # every missing setting/secret named, before any network call
    check_warehouse(config)  # PostgreSQL: a wrong URL/role fails here, in seconds
    run_lock = acquire_run_lock(config)  # a second run on this warehouse is refused at once
    try:
        import dagster as dg  # after the checks: importing Dagster takes seconds

        from orchestration.definitions import defs

        home = dagster_home(config)
        job = defs.resolve_job_def("pmo_hub_sync")
        started = time.time()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = job.execute_in_process(
                instance=instance,
                tags=tags or {},
                raise_on_error=False,
                run_config={"loggers": {"progress": {}}},
            )
    finally:
        run_lock.release()
    return summarize(result, config, started, home)


def summarize(result: Any, config: HubConfig, started: float, home: Path | None) -> RunSummary:
    from orchestration.loggers import step_failure_message

    summary = RunSummary(success=False, run_id=result.run_id, dagster_home=home)
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            summary.checks_passed += 1
            continue
        summary.checks_failed += 1
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        summary.failed_checks.append(name)
        if evaluation.severity.value == "ERROR":
            summary.checks_failed_error += 1
        else:
            summary.warnings.append(name)
    for event in result.all_events:
        kind = event.event_type_value
        if kind == "STEP_FAILURE":
            summary.failed_steps.append(event.step_key)
            error = event.event_specific_data.error
            summary.step_errors[event.step_key] = (
                step_failure_message(error) if error is not None else "unknown error"
            )
        elif kind == "STEP_SKIPPED":
            summary.skipped_steps.append(event.step_key)
            summary.step_errors[event.step_key] = (
                "not run: an upstream step failed or a blocking check failed"
                + (f" ({', '.join(summary.failed_steps)})" if summary.failed_steps else "")
            )
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            path = materialization.metadata.get("path")
            if path is not None:
                written = Path(str(path.value))
                # Written in this run: the file exists and is newer than the run's start.
                if written.exists() and written.stat().st_mtime >= started - 1:
                    summary.outputs[materialization.asset_key.to_user_string()] = written
    summary.sources = source_statuses(config, result.run_id)
    summary.files_not_loaded = files_not_loaded(config, started)
    summary.rag_distribution = _rag_distribution(config)
    summary.rows_by_table = table_row_counts(config)
    summary.expectations_passed, summary.expectations_failed = expectation_counts(
        config, result.run_id
    )
    summary.success = not (
        summary.failed_steps
        or summary.skipped_steps
        or summary.failed_sources
        or summary.checks_failed_error
    )
    return summary


def source_statuses(config: HubConfig, run_id: str) -> list[SourceStatus]:
    """What each source did in this run, from ``ops.source_runs`` (written by the ingest steps)."""
    relation = f"{quote_ident(config.dataset_name('ops'))}.{quote_ident('source_runs')}"
    try:
        rows = query(
            config,
            "select system, status, rows_loaded, error_message, "
            f"(select max(finished_at) from {relation} as l "
            "where l.system = r.system and l.status = 'loaded') "
            f"from {relation} as r where run_id = ? order by system",
            (run_id,),
        )
    except Exception as exc:  # no ingest step ran (the run stopped before)
        log.warning("could not read ops.source_runs: %s", exc)
        rows = []
    seen = {row[0]: SourceStatus(*row) for row in rows}
    return [seen.get(name, SourceStatus(name, "not run")) for name in SOURCE_NAMES]


def table_row_counts(config: HubConfig) -> dict[str, int]:
    where = " or ".join(f"table_schema like '{p}'" for p in SUMMARY_SCHEMA_PATTERNS)
    try:
        tables = query(
            config,
            "select table_schema, table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and ({where}) "
            "and table_name not like '\\_dlt%' escape '\\' "
            # dlt's merge staging datasets (raw_jira_staging ...) hold the last load's batch only.
            "and table_schema not like '%\\_staging' escape '\\' "
            "order by 1, 2",
        )
    except Exception as exc:  # no warehouse yet: the run failed before anything landed
        # Logged, not raised: an empty summary must not hide a query that broke on one target.
        log.warning("could not list the warehouse tables: %s", exc)
        return {}
    counts: dict[str, int] = {}
    for schema, table in tables:
        counts[f"{schema}.{table}"] = query(config, f'select count(*) from "{schema}"."{table}"')[
            0
        ][0]
    return counts


def expectation_counts(config: HubConfig, run_id: str) -> tuple[int, int]:
    try:
        rows: list[Any] = query(
            config,
            "select success, count(*) from dq.expectation_results where run_id = ? group by 1",
            (run_id,),
        )
    except Exception:  # no check ran (e.g. the run stopped before the first one)
        return 0, 0
    by = {bool(success): n for success, n in rows}
    return by.get(True, 0), by.get(False, 0)


def files_not_loaded(config: HubConfig, started: float) -> list[str]:
    """Files this run recorded in a source's ledger without loading them, each with its reason."""
    from datetime import UTC, datetime

    since = datetime.fromtimestamp(started - 1, UTC)
    lines: list[str] = []
    if "finance" in config.enabled:
        from connectors.finance.reconcile import files_not_loaded as finance_files_not_loaded

        warehouse: Any = (
            str(config.warehouse.duckdb_path)
            if config.warehouse.target == "duckdb"
            else config.require_postgres_url()
        )
        try:
            rows = finance_files_not_loaded(
                warehouse, dataset=config.dataset_name("raw_finance"), since=since
            )
        except Exception as exc:  # the summary must not hide the run's own outcome
            log.warning("could not read the finance file ledger: %s", exc)
            rows = []
        for row in rows:
            lines.append(f"{row['file_name']}: {row['status']}: {row.get('reason') or ''}".rstrip())
    if "msproject" in config.enabled:
        schema = config.dataset_name("raw_msproject")
        try:
            if table_exists(config, schema, "files"):
                for name, status, message in query(
                    config,
                    f"select file_name, status, error_message from {quote_ident(schema)}.files "
                    "where error_message is not null and scanned_at >= ? order by file_name",
                    (since,),
                ):
                    lines.append(f"{name}: {status}: {message}")
        except Exception as exc:
            log.warning("could not read the MS Project file ledger: %s", exc)
    return lines


def _rag_distribution(config: HubConfig) -> dict[str, int]:
    from pmo_hub.portfolio_health import rag_distribution

    try:
        return rag_distribution(config)
    except Exception as exc:  # a summary line, never a reason to fail the run
        log.warning("could not read the portfolio RAG distribution: %s", exc)
        return {}
