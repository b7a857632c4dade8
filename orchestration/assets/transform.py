"""dbt assets in two steps, so blocking checks between them can stop the curated marts."""

import json
import os
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.assets.ingest import WAREHOUSE_POOL
from orchestration.project import DBT_PROJECT_DIR, dbt_executable, dbt_manifest_path
from orchestration.resources import HubConfigResource
from orchestration.translators import PmoDbtTranslator
from pmo_hub.postgres import explain_dbt_failure

CORE_SELECT = (
    "resource_type:seed fqn:pmo_hub.staging fqn:pmo_hub.intermediate fqn:pmo_hub.marts.core"
)
MARTS_SELECT = "fqn:pmo_hub.marts.pmo fqn:pmo_hub.marts.compliance"


def dbt_vars(hub: HubConfigResource) -> dict[str, Any]:
    config = hub.load()
    return {
        "as_of_date": config.as_of_date or "",
        "reporting_currency": config.reporting_currency,
        "enabled_sources": list(config.enabled),
        "pseudonymize": config.warehouse.pseudonymize,
    }


def _run_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource
) -> Iterator[Any]:
    config = hub.load()
    # profiles.yml reads the warehouse location from these variables.
    os.environ.update(config.dbt_env())
    args = ["build", "--vars", json.dumps(dbt_vars(hub))]
    try:
        yield from dbt.cli(args, context=context).stream()
    except Exception as exc:
        # PostgreSQL lock timeout: name the session that blocks instead of dbt's bare message.
        explained = explain_dbt_failure(exc, config, step=f"dbt ({context.op_def.name})")
        if explained is None:
            raise
        raise explained from exc


def build_transform_assets() -> list[dg.AssetsDefinition]:
    manifest = dbt_manifest_path()
    translator = PmoDbtTranslator()

    @dbt_assets(
        manifest=manifest,
        select=CORE_SELECT,
        name="dbt_core",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_core(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource):
        yield from _run_dbt(context, dbt, hub)

    @dbt_assets(
        manifest=manifest,
        select=MARTS_SELECT,
        name="dbt_marts",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource):
        yield from _run_dbt(context, dbt, hub)

    return [dbt_core, dbt_marts]


def build_dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
