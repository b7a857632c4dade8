"""The finance files pipeline: landing folder(s) -> ``raw_finance`` in DuckDB or PostgreSQL."""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import dlt
from dlt.common.destination import Destination
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from connectors.finance import finance_source
from connectors.finance.reconcile import purge_counts_sql, purge_superseded_sql
from connectors.finance.settings import (
    DATASET_NAME,
    LEDGER_TABLE,
    QUARANTINE_TABLE,
    FinanceSettings,
)
from pipelines.destinations import loader_file_format_for, make_destination

log = logging.getLogger(__name__)

PIPELINE_NAME = "finance"


def build_pipeline(
    destination: Destination,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
    dataset_name: str = DATASET_NAME,
) -> dlt.Pipeline:
    """The dlt pipeline writing dataset ``raw_finance``.

    Args:
        destination: from :func:`pipelines.destinations.make_destination`.
        pipelines_dir: where dlt keeps its working state (default: dlt's home).
        pipeline_name: defaults to ``finance``.
        dataset_name: ``raw_finance`` except in isolated tests.
    """
    return dlt.pipeline(
        pipeline_name=pipeline_name or PIPELINE_NAME,
        destination=destination,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
    )


def build_source(settings: FinanceSettings, declare_tables: bool = False) -> DltSource:
    """The finance source for ``settings`` (no I/O until the pipeline runs)."""
    routes = (
        [{"pattern": m.pattern, "entity": m.entity, "dialect": m.dialect} for m in settings.sources]
        if settings.sources
        else None
    )
    return finance_source(
        landing_dirs=[str(p) for p in settings.landing_dirs],
        contract_path=str(settings.contract_file),
        routes=routes,
        recursive=settings.recursive,
        declare_tables=declare_tables,
    )


def load(
    settings: FinanceSettings,
    destination: Destination,
    pipelines_dir: str | Path | None = None,
    pipeline_name: str | None = None,
    dataset_name: str = DATASET_NAME,
) -> LoadInfo:
    """Scan the landing folders and load new files; returns dlt's LoadInfo.

    On DuckDB the Arrow tables are written as parquet load files (never ``insert_values``).
    """
    pipeline = build_pipeline(destination, pipelines_dir, pipeline_name, dataset_name)
    file_format = loader_file_format_for(pipeline)
    info = pipeline.run(build_source(settings), loader_file_format=file_format)
    if not _declared_tables_exist(pipeline):
        # First run on an empty landing folder: create the bookkeeping tables (empty, typed), so
        # checks and dbt find them; later runs with nothing new stay no-ops.
        info = pipeline.run(
            build_source(settings, declare_tables=True), loader_file_format=file_format
        )
    purged = purge_superseded(pipeline)
    log.info("finance load finished: %s (%d superseded rows purged)", info.loads_ids, purged)
    return info


def _existing_tables(pipeline: dlt.Pipeline) -> set[str]:
    with pipeline.sql_client() as client:
        rows = client.execute_sql(
            "select table_name from information_schema.tables where table_schema = %s",
            pipeline.dataset_name,
        )
        return {r[0] for r in rows or []}


def _declared_tables_exist(pipeline: dlt.Pipeline) -> bool:
    return {LEDGER_TABLE, QUARANTINE_TABLE} <= _existing_tables(pipeline)


def purge_superseded(pipeline: dlt.Pipeline) -> int:
    """Delete raw rows of superseded file versions and log the purge in the ledger.

    Staging never reads superseded rows (it joins the ledger's current versions); purging keeps
    the raw tables equal to what the ledger says. Each superseded ledger row not yet purged gets
    ``rows_purged`` (entity rows), ``quarantine_rows_purged`` and ``purged_at``. Only versions a
    later *accepted* version replaced are ever superseded (see ``connectors.finance._scan``).
    Safe to run any time.

    Returns:
        The number of rows deleted.
    """
    dataset = pipeline.dataset_name
    existing = _existing_tables(pipeline)
    with pipeline.sql_client() as client:
        if LEDGER_TABLE not in existing:
            return 0
        purged: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for table, count_sql in purge_counts_sql(existing, dataset).items():
            slot = 1 if table == QUARANTINE_TABLE else 0
            for file_id, sha, n in client.execute_sql(count_sql) or []:
                purged[(file_id, sha)][slot] += int(n)
        deleted = 0
        for statement in purge_superseded_sql(existing, dataset):
            with client.execute_query(statement) as cursor:
                deleted += max(getattr(cursor, "rowcount", 0) or 0, 0)
        pending = client.execute_sql(
            f"select _ledger_key, file_id, sha256 from {dataset}.{LEDGER_TABLE} "
            "where status = 'superseded' and purged_at is null"
        )
        now = datetime.now(UTC)
        for key, file_id, sha in pending or []:
            entity_rows, quarantine_rows = purged.get((file_id, sha), (0, 0))
            client.execute_sql(
                f"update {dataset}.{LEDGER_TABLE} set rows_purged = %s, "
                "quarantine_rows_purged = %s, purged_at = %s where _ledger_key = %s",
                entity_rows,
                quarantine_rows,
                now,
                key,
            )
            log.info(
                "finance file version %s (%s) purged: %d rows, %d quarantine rows",
                file_id,
                sha[:12],
                entity_rows,
                quarantine_rows,
            )
        log.debug("finance purge: %d rows deleted by the driver's count", deleted)
        return sum(a + b for a, b in purged.values())


def main(argv: list[str] | None = None) -> None:
    """Load a landing folder into a DuckDB file (local runs)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", help="landing folder")
    parser.add_argument("--duckdb", default="warehouse/pmo.duckdb")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    load(
        FinanceSettings.for_folder(args.landing),
        make_destination("duckdb", duckdb_path=args.duckdb),
    )


if __name__ == "__main__":
    main()
