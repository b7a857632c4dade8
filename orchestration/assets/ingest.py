"""dlt ingestion assets: one multi-asset per source system, one asset per raw table.

Asset keys are ``[dataset, table]`` and come from the dbt sources, so every raw table the dbt
project reads is an asset and the graph shows one line from connector to mart with no glue code.
"""

import dagster as dg

from orchestration.jobs import RECONCILE_TAG
from orchestration.project import raw_source_tables
from orchestration.resources import HubConfigResource
from pipelines.runner import SYSTEMS, run_source

# One writer at a time on the DuckDB file: dlt loads, dbt builds and publishing share this pool.
WAREHOUSE_POOL = "warehouse_writer"

INGEST_RETRY = dg.RetryPolicy(
    max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def _ingest_asset(system: str, dataset: str, tables: list[str]) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey([dataset, table]),
            group_name=f"ingest_{system}",
            kinds={"dlt"},
            description=f"Raw `{table}` from {system}, loaded by dlt into `{dataset}`.",
            skippable=True,
        )
        for table in tables
    ]

    @dg.multi_asset(
        name=f"{dataset}_load",
        specs=specs,
        pool=WAREHOUSE_POOL,
        retry_policy=INGEST_RETRY,
        description=f"Sync {system} into the `{dataset}` dataset (incremental where supported).",
    )
    def _load(context: dg.AssetExecutionContext, hub: HubConfigResource):
        config = hub.load()
        if system not in config.enabled:
            context.log.info(f"source '{system}' is disabled in the configuration; nothing to load")
            return
        if context.run.tags.get(RECONCILE_TAG) == "true" and system == "jira":
            # The nightly schedule asks for the id census that finds issues deleted in Jira.
            config = config.with_sources(jira={"reconcile": True})
        summary = run_source(system, config)
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey([dataset, table]),
                metadata={
                    "rows_loaded_this_run": dg.MetadataValue.int(
                        summary.rows_by_table.get(table, 0)
                    ),
                    "load_ids": dg.MetadataValue.text(", ".join(summary.load_ids)),
                    "target": dg.MetadataValue.text(config.warehouse.target),
                },
            )

    return _load


def build_ingest_assets() -> list[dg.AssetsDefinition]:
    sources = raw_source_tables()
    return [
        _ingest_asset(system, dataset, sources[dataset])
        for system, (_, _, dataset) in SYSTEMS.items()
        if dataset in sources
    ]
