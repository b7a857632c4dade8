"""After the marts: the data-quality report and the read-only copy BI tools open."""

import os
from pathlib import Path

import dagster as dg
import duckdb

from expectations.results import write_report
from orchestration.assets.ingest import (
    SOURCE_RUNS_SCHEMA,
    SOURCE_RUNS_TABLE,
    WAREHOUSE_POOL,
    ingest_asset_keys,
)
from orchestration.resources import HubConfigResource
from pmo_hub.pseudonyms import (
    pseudonym_key,
    pseudonymize_copy,
    publish_postgres_pseudonymized,
)
from pmo_hub.warehouse import query, quote_ident

# dq: Great Expectations results; compliance includes exception_history (issue 14).
SERVED_SCHEMAS = ("marts", "core", "compliance", "dq")


def publish_duckdb(
    build_path: Path, serving_path: Path, pseudonym_key: bytes | None = None
) -> dict[str, int]:
    """Copy the served schemas into a new file and swap it in atomically.

    DuckDB allows one writer or many readers: BI opens the published copy read-only while the
    next sync writes the build file. With ``pseudonym_key``, person names and emails in every
    text column are replaced by keyed pseudonyms (pmo_hub.pseudonyms); the build file keeps them.
    """
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving_path.with_suffix(".next.duckdb")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{build_path}' as build (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'build' and list_contains(?, schema_name)",
            [list(SERVED_SCHEMAS)],
        ).fetchall()
        if pseudonym_key is not None:
            pseudonymize_copy(con, "build", tables, pseudonym_key)
        for schema, table in tables:
            if pseudonym_key is None:
                con.execute(f'create schema if not exists "{schema}"')
                con.execute(
                    f'create table "{schema}"."{table}" as select * from build."{schema}"."{table}"'
                )
            _copy_comments(con, schema, table)
            counts[f"{schema}.{table}"] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
        con.execute("detach build")
    finally:
        con.close()
    os.replace(tmp, serving_path)
    return counts


def _copy_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Carry dbt's persisted docs (table and column comments) into the served copy."""
    relation = f'"{schema}"."{table}"'
    comment = con.execute(
        "select comment from duckdb_tables() "
        "where database_name = 'build' and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if comment and comment[0]:
        con.execute(f"comment on table {relation} is {_sql_literal(comment[0])}")
    for column, text in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'build' "
        "and schema_name = ? and table_name = ? and comment is not null",
        [schema, table],
    ).fetchall():
        quoted = '"' + column.replace('"', '""') + '"'
        con.execute(f"comment on column {relation}.{quoted} is {_sql_literal(text)}")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_serving_assets(marts: list[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    """The serving steps run after every curated and compliance mart (``marts``)."""

    @dg.asset(
        name="serving_copy",
        group_name="serving",
        deps=marts,
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description="Read-only DuckDB copy of core, marts, compliance and dq for BI tools.",
    )
    def serving_copy(
        context: dg.AssetExecutionContext, hub: HubConfigResource
    ) -> dg.MaterializeResult:
        config = hub.load()
        if config.warehouse.target == "postgres" and config.warehouse.pseudonymize:
            import psycopg2

            conn = psycopg2.connect(config.warehouse.postgres_url)
            try:
                counts = publish_postgres_pseudonymized(conn, pseudonym_key())
            finally:
                conn.close()
            context.log.info("PostgreSQL target: BI reads the pseudonymized schema bi")
            return dg.MaterializeResult(
                metadata={"published": True, "pseudonymized": True, "tables": len(counts)}
            )
        if config.warehouse.target != "duckdb" or config.warehouse.publish_path is None:
            context.log.info(
                "PostgreSQL target: BI reads the marts schema through the bi_reader role"
            )
            return dg.MaterializeResult(metadata={"published": False})
        key = pseudonym_key() if config.warehouse.pseudonymize else None
        counts = publish_duckdb(
            config.warehouse.duckdb_path, config.warehouse.publish_path, pseudonym_key=key
        )
        return dg.MaterializeResult(
            metadata={
                "published": True,
                "path": dg.MetadataValue.path(str(config.warehouse.publish_path)),
                "tables": len(counts),
                "pseudonymized": config.warehouse.pseudonymize,
                "rows": dg.MetadataValue.json(counts),
            }
        )

    @dg.asset(
        name="data_quality_report",
        group_name="serving",
        deps=marts,
        kinds={"html"},
        description="Static HTML report of the latest Great Expectations results (dq schema).",
    )
    def data_quality_report(hub: HubConfigResource) -> dg.MaterializeResult:
        path = write_report(hub.load())
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})

    @dg.asset(
        name="sync_outcome",
        group_name="serving",
        deps=[serving_copy, data_quality_report, *ingest_asset_keys()],
        description=(
            "Last step: fails the run when a source failed to sync in it (after everything else "
            "was built on the data that exists), so the run-failure alert fires and names it."
        ),
    )
    def sync_outcome(
        context: dg.AssetExecutionContext, hub: HubConfigResource
    ) -> dg.MaterializeResult:
        config = hub.load()
        relation = f"{quote_ident(config.dataset_name(SOURCE_RUNS_SCHEMA))}.{quote_ident(SOURCE_RUNS_TABLE)}"
        rows = query(
            config,
            f"select system, status, error_message from {relation} where run_id = ? order by 1",
            (context.run.run_id,),
        )
        statuses = {system: status for system, status, _ in rows}
        failed = [(system, message) for system, status, message in rows if status == "failed"]
        if failed:
            raise dg.Failure(
                description="; ".join(
                    f"{system} sync failed: {message}" for system, message in failed
                ),
                metadata={"sources": dg.MetadataValue.json(statuses)},
                allow_retries=False,
            )
        return dg.MaterializeResult(metadata={"sources": dg.MetadataValue.json(statuses)})

    return [serving_copy, data_quality_report, sync_outcome]
