"""The run-failure sensor records failed runs (and would POST them to a webhook)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.sensors import ALERT_LOG_ENV, sync_failure_alert


@dg.op
def boom() -> None:
    raise RuntimeError("jira sync exploded")


@dg.job
def failing_job() -> None:
    boom()


def test_failed_run_is_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_path = tmp_path / "alerts.jsonl"
    monkeypatch.setenv(ALERT_LOG_ENV, str(log_path))
    instance = dg.DagsterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name="sync_failure_alert",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=failure_event,
    ).for_run_failure()
    sync_failure_alert(context)
    events = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(events) == 1
    assert events[0]["run_id"] == result.run_id
    assert events[0]["job"] == "failing_job"
