"""Run the main job in process and summarize what it built."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmo_hub.config import CONFIG_ENV, HubConfig, check_config, load_config
from pmo_hub.preflight import check_warehouse
from pmo_hub.run_lock import acquire_run_lock
from pmo_hub.warehouse import query

log = logging.getLogger(__name__)

SUMMARY_SCHEMA_PATTERNS = ("raw_%", "core", "marts", "compliance", "dq")


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


def run_sync_job(config_file: Path | None = None, tags: dict[str, str] | None = None) -> RunSummary:
    """Materialize every asset through Dagster, in this process."""
    if config_file is not None:
        os.environ[CONFIG_ENV] = str(Path(config_file).resolve())
    config = load_config()  # fail fast, before Dagster starts, with the setting to fix
    check_config(config)  # every missing setting/secret named, before any network call
    check_warehouse(config)  # PostgreSQL: a wrong URL/role fails here, in seconds
    run_lock = acquire_run_lock(config)  # a second run on this warehouse is refused at once
    import dagster as dg  # after the checks: importing Dagster takes seconds

    from orchestration.definitions import defs

    job = defs.resolve_job_def("pmo_hub_sync")
    instance = (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )
    result = job.execute_in_process(
        instance=instance,
        tags=tags or {},
        raise_on_error=False,
        run_config={"loggers": {"progress": {}}},
    )
    run_lock.release()
    summary = RunSummary(success=result.success, run_id=result.run_id)
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            summary.checks_passed += 1
        else:
            summary.checks_failed += 1
            if evaluation.severity.value == "ERROR":
                summary.checks_failed_error += 1
            summary.failed_checks.append(
                f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            )
    summary.failed_steps = [
        event.step_key for event in result.all_events if event.event_type_value == "STEP_FAILURE"
    ]
    summary.rows_by_table = table_row_counts(config)
    summary.expectations_passed, summary.expectations_failed = expectation_counts(
        config, result.run_id
    )
    return summary


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
