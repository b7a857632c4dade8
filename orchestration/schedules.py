"""When syncs run. Off until an operator turns them on (or sets them RUNNING in code)."""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import RECONCILE_TAG, sync_job


def build_schedules() -> list[dg.ScheduleDefinition]:
    return [
        dg.ScheduleDefinition(
            name="hourly_incremental_sync",
            job=sync_job,
            cron_schedule="15 * * * *",
            execution_timezone="UTC",
            description="Incremental sync of every enabled source, then dbt and data quality.",
        ),
        dg.ScheduleDefinition(
            name="nightly_reconcile_sync",
            job=sync_job,
            cron_schedule="30 2 * * *",
            execution_timezone="UTC",
            tags={RECONCILE_TAG: "true"},
            description="Nightly run with delete reconciliation (Jira id census, Planner tombstones).",
        ),
    ]
