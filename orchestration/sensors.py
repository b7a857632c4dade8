"""Sensors: new finance files in the landing folder, and alerts on failed runs."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import requests

from orchestration.finance_landing import build_finance_landing_sensor

ALERT_WEBHOOK_ENV = "PMO_HUB_ALERT_WEBHOOK"
ALERT_LOG_ENV = "PMO_HUB_ALERT_LOG"


@dg.run_failure_sensor(
    name="sync_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Append failed runs to an alert log and POST them to PMO_HUB_ALERT_WEBHOOK if set.",
)
def sync_failure_alert(context: dg.RunFailureSensorContext) -> None:
    event = {
        "run_id": context.dagster_run.run_id,
        "job": context.dagster_run.job_name,
        "failed_at": datetime.now(UTC).isoformat(),
        "message": (context.failure_event.message or "")[:2000],
    }
    log_path = Path(os.environ.get(ALERT_LOG_ENV, "reports/alerts.jsonl"))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(event) + "\n")
    webhook = os.environ.get(ALERT_WEBHOOK_ENV)
    if webhook:
        requests.post(webhook, json=event, timeout=10).raise_for_status()


def build_sensors(finance_job: Any) -> list[dg.SensorDefinition]:
    sensors: list[dg.SensorDefinition] = [sync_failure_alert]
    sensors.append(build_finance_landing_sensor(finance_job))
    return sensors
