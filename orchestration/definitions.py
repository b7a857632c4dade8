"""The one Dagster entry point: `dagster dev` (see pyproject's [tool.dagster]) loads `defs`."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.ingest import build_ingest_assets
from orchestration.assets.reports import build_report_assets
from orchestration.assets.serving import build_serving_assets
from orchestration.assets.transform import build_dbt_resource, build_transform_assets
from orchestration.checks import build_checks
from orchestration.jobs import finance_landing_job, sync_job
from orchestration.loggers import progress_logger
from orchestration.resources import build_resources
from orchestration.schedules import build_schedules
from orchestration.sensors import build_sensors


def build_definitions() -> dg.Definitions:
    dbt_core, dbt_marts = build_transform_assets()
    return dg.Definitions(
        assets=[
            *build_ingest_assets(),
            dbt_core,
            dbt_marts,
            *build_serving_assets(sorted(dbt_marts.keys)),
            *build_report_assets([*sorted(dbt_marts.keys), dg.AssetKey("serving_copy")]),
        ],
        asset_checks=build_checks(),
        jobs=[sync_job, finance_landing_job],
        schedules=build_schedules(),
        sensors=build_sensors(finance_landing_job),
        resources={**build_resources(), "dbt": build_dbt_resource()},
        loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    )


defs = build_definitions()
