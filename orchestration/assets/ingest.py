"""dlt ingestion assets: one multi-asset per source system, one asset per raw table.

Asset keys are ``[dataset, table]`` and come from the dbt sources, so every raw table the dbt
project reads is an asset and the graph shows one line from connector to mart with no glue code.

Ingest never blocks modelling: a source that fails (or is disabled) still ends its step
successfully, so dbt, the checks and the serving copy run on what exists. The failure is
recorded with its message (``ops.source_runs`` in the warehouse, the step's metadata and an
ERROR log line); ``sync_outcome`` fails the run at the very end, after everything else is built.
There is no Dagster retry here: transient faults (timeouts, 429, 5xx) are retried inside the
HTTP clients, and a deterministic one (401, a malformed file) would only fail again.
"""

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from orchestration.jobs import RECONCILE_TAG
from orchestration.project import raw_source_tables
from orchestration.resources import HubConfigResource
from pipelines.runner import SYSTEMS, SourceRunSummary, run_source
from pmo_hub.config import HubConfig
from pmo_hub.warehouse import append_rows

# One writer at a time on the DuckDB file: dlt loads, dbt builds and publishing share this pool.
WAREHOUSE_POOL = "warehouse_writer"

SOURCE_RUNS_SCHEMA = "ops"
SOURCE_RUNS_TABLE = "source_runs"
SOURCE_RUNS_DDL = (
    "run_id varchar, system varchar, status varchar, started_at timestamp, "
    "finished_at timestamp, rows_loaded bigint, error_message varchar"
)
MAX_MESSAGE_CHARS = 1000
# Environment variables whose values must never appear in a recorded message.
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PAT|_URL|KEY)$")


@dataclass(frozen=True)
class SourceOutcome:
    system: str
    status: str  # loaded | failed | disabled
    started_at: datetime
    finished_at: datetime
    rows_loaded: int = 0
    error_message: str | None = None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (dlt keeps the original in ``.exception``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        wrapped = getattr(current, "exception", None)
        current = (
            wrapped
            if isinstance(wrapped, BaseException)
            else current.__cause__ or current.__context__
        )
    return chain


def describe_failure(exc: BaseException) -> str:
    """The message that explains ``exc``: pmo-hub's own error if one is in the chain (its text is
    written for users), otherwise the innermost cause; secrets from the environment masked."""
    chain = _chain(exc)
    try:
        from pmo_hub.errors import PmoHubError

        own = [e for e in chain if isinstance(e, PmoHubError)]
    except ImportError:  # older checkouts without pmo_hub.errors
        own = []
    cause = own[0] if own else chain[-1]
    text = str(cause).strip() or type(cause).__name__
    if not own:
        text = f"{type(cause).__name__}: {text}"
    for name, value in os.environ.items():
        if len(value) >= 6 and _SECRET_NAME.search(name) and value in text:
            text = text.replace(value, "***")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return text


def record_source_run(config: HubConfig, run_id: str, outcome: SourceOutcome) -> None:
    """Append one row to ``ops.source_runs`` (the marts' freshness and the run summary read it)."""
    append_rows(
        config,
        config.dataset_name(SOURCE_RUNS_SCHEMA),
        SOURCE_RUNS_TABLE,
        SOURCE_RUNS_DDL,
        [
            (
                run_id,
                outcome.system,
                outcome.status,
                outcome.started_at.replace(tzinfo=None),
                outcome.finished_at.replace(tzinfo=None),
                outcome.rows_loaded,
                outcome.error_message,
            )
        ],
    )


def sync_source(
    context: dg.AssetExecutionContext, system: str, config: HubConfig
) -> tuple[SourceOutcome, SourceRunSummary | None]:
    started = datetime.now(UTC)
    if system not in config.enabled:
        context.log.info(f"source '{system}' is disabled in the configuration; nothing to load")
        return SourceOutcome(system, "disabled", started, datetime.now(UTC)), None
    if context.run.tags.get(RECONCILE_TAG) == "true" and system == "jira":
        # The nightly schedule asks for the id census that finds issues deleted in Jira.
        config = config.with_sources(jira={"reconcile": True})
    try:
        summary = run_source(system, config)
    except Exception as exc:  # recorded and reported; modelling goes on with what exists
        message = describe_failure(exc)
        context.log.error(f"{system} sync failed: {message}")
        return SourceOutcome(system, "failed", started, datetime.now(UTC), 0, message), None
    rows = sum(summary.rows_by_table.values())
    return SourceOutcome(system, "loaded", started, datetime.now(UTC), rows), summary


def _ingest_asset(system: str, dataset: str, tables: list[str]) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey([dataset, table]),
            group_name=f"ingest_{system}",
            kinds={"dlt"},
            description=(
                f"Raw `{table}` from {system}, loaded by dlt into `{dataset}`. The metadata "
                "`sync_status` says whether this run loaded it (loaded / failed / disabled)."
            ),
        )
        for table in tables
    ]

    @dg.multi_asset(
        name=f"{dataset}_load",
        specs=specs,
        pool=WAREHOUSE_POOL,
        description=f"Sync {system} into the `{dataset}` dataset (incremental where supported).",
    )
    def _load(context: dg.AssetExecutionContext, hub: HubConfigResource):
        config = hub.load()
        outcome, summary = sync_source(context, system, config)
        try:
            record_source_run(config, context.run.run_id, outcome)
        except Exception as exc:  # e.g. the warehouse itself is what failed
            context.log.warning(f"could not record the {system} sync in ops.source_runs: {exc}")
        for table in tables:
            metadata: dict[str, object] = {
                "sync_status": outcome.status,
                "rows_loaded_this_run": dg.MetadataValue.int(
                    summary.rows_by_table.get(table, 0) if summary else 0
                ),
                "target": dg.MetadataValue.text(config.warehouse.target),
            }
            if summary:
                metadata["load_ids"] = dg.MetadataValue.text(", ".join(summary.load_ids))
            if outcome.error_message:
                metadata["error"] = dg.MetadataValue.text(outcome.error_message)
            yield dg.MaterializeResult(asset_key=dg.AssetKey([dataset, table]), metadata=metadata)

    return _load


def ingest_asset_keys() -> list[dg.AssetKey]:
    return [
        dg.AssetKey([dataset, table])
        for dataset, tables in raw_source_tables().items()
        for table in tables
        if dataset in {d for _, _, d in SYSTEMS.values()}
    ]


def build_ingest_assets() -> list[dg.AssetsDefinition]:
    sources = raw_source_tables()
    return [
        _ingest_asset(system, dataset, sources[dataset])
        for system, (_, _, dataset) in SYSTEMS.items()
        if dataset in sources
    ]
