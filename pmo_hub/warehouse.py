"""Reading from and writing small bookkeeping tables to the configured warehouse."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pandas as pd

from pmo_hub.config import HubConfig


@contextlib.contextmanager
def duckdb_connection(
    config: HubConfig, read_only: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    # DuckDB allows one writer process; connections are opened per use and closed at once.
    con = duckdb.connect(str(config.warehouse.duckdb_path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def postgres_connection(config: HubConfig) -> Iterator[Any]:
    import psycopg2

    con = psycopg2.connect(config.require_postgres_url())
    try:
        yield con
        con.commit()
    finally:
        con.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_table(config: HubConfig, schema: str, table: str) -> pd.DataFrame:
    relation = f"{quote_ident(schema)}.{quote_ident(table)}"
    if config.warehouse.target == "duckdb":
        with duckdb_connection(config) as con:
            return con.execute(f"select * from {relation}").df()
    with postgres_connection(config) as con:
        return pd.read_sql_query(f"select * from {relation}", con)


def query(config: HubConfig, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run a read-only query; placeholders are ``?`` for both targets."""
    if config.warehouse.target == "duckdb":
        with duckdb_connection(config) as con:
            return con.execute(sql, list(params)).fetchall()
    with postgres_connection(config) as con, con.cursor() as cur:
        if params:
            cur.execute(sql.replace("?", "%s"), list(params))
        else:
            # psycopg2 formats the text whenever parameters are passed, even an empty list, so a
            # literal % (e.g. like 'raw_%') would be read as a placeholder.
            cur.execute(sql)
        return cur.fetchall()


def table_exists(config: HubConfig, schema: str, table: str) -> bool:
    rows = query(
        config,
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        (schema, table),
    )
    return bool(rows and rows[0][0])


def append_rows(config: HubConfig, schema: str, table: str, ddl: str, rows: list[tuple]) -> None:
    """Create ``schema.table`` from ``ddl`` (column list) if needed and append ``rows``."""
    relation = f"{quote_ident(schema)}.{quote_ident(table)}"
    if not rows:
        return
    placeholders = ", ".join(["?"] * len(rows[0]))
    if config.warehouse.target == "duckdb":
        with duckdb_connection(config, read_only=False) as con:
            con.execute(f"create schema if not exists {quote_ident(schema)}")
            con.execute(f"create table if not exists {relation} ({ddl})")
            con.executemany(f"insert into {relation} values ({placeholders})", rows)
        return
    with postgres_connection(config) as con, con.cursor() as cur:
        cur.execute(f"create schema if not exists {quote_ident(schema)}")
        cur.execute(f"create table if not exists {relation} ({ddl})")
        cur.executemany(f"insert into {relation} values ({placeholders.replace('?', '%s')})", rows)
