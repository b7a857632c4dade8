"""Keyed pseudonyms for the BI copy: person names and emails replaced by HMAC-SHA256 tokens.

The warehouse keeps the originals (raw and the build file); only the copy BI tools read is
rewritten. A pseudonym depends on the key and the value only, so it is stable across runs and
the same person gets the same token in every table (joins and counts by person still work),
while without the key nobody can recompute the mapping (no dictionary attack on a plain hash).

What counts as personal data:
- every email address anywhere in a text value (matched by pattern, so emails embedded in
  compliance evidence such as ``person_email=a@b.com`` are caught too), and
- every person name the raw sources hold (:data:`PERSON_NAME_COLUMNS`), wherever it occurs in a
  text value, as a whole word.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from pmo_hub.config import PSEUDONYM_KEY_ENV, ConfigError

# (schema, table, column) of the raw tables that hold people's names or emails.
PERSON_NAME_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("raw_finance", "people", "display_name"),
    ("raw_finance", "people", "email"),
    ("raw_jira", "users", "display_name"),
    ("raw_jira", "users", "user_name"),
    ("raw_jira", "users", "email"),
    ("raw_planner", "users", "display_name"),
    ("raw_planner", "users", "mail"),
    ("raw_planner", "users", "user_principal_name"),
    ("raw_msproject", "resources", "resource_name"),
    ("raw_msproject", "resources", "email"),
    ("raw_msproject", "projects", "manager_name"),
    ("raw_msproject", "projects", "author"),
)
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PSEUDONYM_DOMAIN = "pseudonym.invalid"
# Names shorter than this are not replaced inside longer text (too likely to be ordinary words).
_MIN_NAME_LENGTH = 3


def pseudonym_key(environ: dict[str, str] | None = None) -> bytes:
    """The HMAC key from ``PMO_HUB_PSEUDONYM_KEY`` (never logged)."""
    env = os.environ if environ is None else environ
    key = env.get(PSEUDONYM_KEY_ENV, "").strip()
    if not key:
        raise ConfigError(
            f"[warehouse] pseudonymize = true needs the pseudonym key: export {PSEUDONYM_KEY_ENV}"
        )
    return key.encode("utf-8")


def _token(key: bytes, kind: str, value: str) -> str:
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def email_pseudonym(key: bytes, email: str) -> str:
    """``p-<16 hex>@pseudonym.invalid``, the same for any capitalisation of the address."""
    return f"p-{_token(key, 'email', email.strip().lower())}@{PSEUDONYM_DOMAIN}"


def name_pseudonym(key: bytes, name: str) -> str:
    """``Person <16 hex>`` for a person name (case and surrounding space ignored)."""
    return f"Person {_token(key, 'name', ' '.join(name.split()).lower())}"


class Pseudonymizer:
    """Replaces emails and known person names in text with their pseudonyms."""

    def __init__(self, key: bytes, names: Iterable[str]) -> None:
        self.key = key
        cleaned = {
            " ".join(n.split())
            for n in names
            if n and len(n.strip()) >= _MIN_NAME_LENGTH and "@" not in n
        }
        # Longest first, so "Ana Lima-Souza" wins over "Ana Lima".
        ordered = sorted(cleaned, key=lambda n: (-len(n), n))
        self._names = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)",
                re.IGNORECASE,
            )
            if ordered
            else None
        )

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        out = EMAIL_PATTERN.sub(lambda m: email_pseudonym(self.key, m.group(0)), value)
        if self._names is not None:
            out = self._names.sub(lambda m: name_pseudonym(self.key, m.group(0)), out)
        return out

    def arrow(self, values: pa.Array) -> pa.Array:
        return pa.array([self.text(v) for v in values.to_pylist()], type=pa.string())


def person_names(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    """Every value of :data:`PERSON_NAME_COLUMNS` present in ``database`` (missing tables and
    columns are skipped: a source may not be installed)."""
    present = {
        (s, t, c)
        for s, t, c in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = ?",
            [database],
        ).fetchall()
    }
    names: set[str] = set()
    for schema, table, column in PERSON_NAME_COLUMNS:
        if (schema, table, column) not in present:
            continue
        rows = con.execute(
            f'select distinct "{column}" from "{database}"."{schema}"."{table}" '
            f'where "{column}" is not null'
        ).fetchall()
        names.update(str(r[0]) for r in rows)
    return names


def pseudonymize_copy(
    con: duckdb.DuckDBPyConnection,
    source_database: str,
    tables: Iterable[tuple[str, str]],
    key: bytes,
) -> None:
    """Create each ``schema.table`` of ``source_database`` in the connection's main database with
    every text column passed through the :class:`Pseudonymizer`."""
    pseudonymizer = Pseudonymizer(key, person_names(con, source_database))
    con.create_function(
        "pmo_pseudonymize",
        pseudonymizer.arrow,
        ["VARCHAR"],
        "VARCHAR",
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
    for schema, table in tables:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = ? and schema_name = ? and table_name = ? "
            "order by column_index",
            [source_database, schema, table],
        ).fetchall()
        select = ", ".join(
            f'pmo_pseudonymize("{name}") as "{name}"' if dtype == "VARCHAR" else f'"{name}"'
            for name, dtype in columns
        )
        con.execute(f'create schema if not exists "{schema}"')
        con.execute(
            f'create table "{schema}"."{table}" as '
            f'select {select} from "{source_database}"."{schema}"."{table}"'
        )
    con.remove_function("pmo_pseudonymize")


BI_SCHEMA = "bi"
_PG_TEXT_TYPES = ("text", "character varying", "character")


def _pg_person_names(cur: Any) -> set[str]:
    cur.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema like 'raw%%'"
    )
    present = set(cur.fetchall())
    names: set[str] = set()
    for schema, table, column in PERSON_NAME_COLUMNS:
        if (schema, table, column) in present:
            cur.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            )
            names.update(str(r[0]) for r in cur.fetchall())
    return names


def publish_postgres_pseudonymized(
    conn: Any, key: bytes, schemas: Iterable[str] = ("marts", "core", "compliance")
) -> dict[str, int]:
    """Write every table of ``schemas`` into the schema ``bi`` (same table names) with names and
    emails pseudonymized, swap it in atomically and grant it to ``bi_reader``.

    The served schemas themselves are not granted when pseudonymizing (dbt's on-run-end revokes
    them, var ``pseudonymize``), so BI logins only ever see pseudonyms.

    Args:
        conn: an open psycopg2 connection (the caller owns it; committed here).
        key: the HMAC key.
        schemas: the schemas whose tables are served.

    Returns:
        rows per ``bi.<table>``.
    """
    from psycopg2.extras import execute_values

    staging = f"{BI_SCHEMA}_next"
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        pseudonymizer = Pseudonymizer(key, _pg_person_names(cur))
        cur.execute(f'drop schema if exists "{staging}" cascade')
        cur.execute(f'create schema "{staging}"')
        cur.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) and table_type = 'BASE TABLE' "
            "order by table_schema, table_name",
            (list(schemas),),
        )
        for schema, table in cur.fetchall():
            cur.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            )
            columns = cur.fetchall()
            text_positions = [i for i, (_, t) in enumerate(columns) if t in _PG_TEXT_TYPES]
            cur.execute(f'create table "{staging}"."{table}" (like "{schema}"."{table}")')
            names = ", ".join(f'"{c}"' for c, _ in columns)
            cur.execute(f'select {names} from "{schema}"."{table}"')
            rows = [list(r) for r in cur.fetchall()]
            for row in rows:
                for i in text_positions:
                    row[i] = pseudonymizer.text(row[i])
            if rows:
                execute_values(cur, f'insert into "{staging}"."{table}" ({names}) values %s', rows)
            counts[f"{BI_SCHEMA}.{table}"] = len(rows)
        cur.execute(f'drop schema if exists "{BI_SCHEMA}" cascade')
        cur.execute(f'alter schema "{staging}" rename to "{BI_SCHEMA}"')
        cur.execute(
            "do $$ begin if exists (select from pg_roles where rolname = 'bi_reader') then "
            f'grant usage on schema "{BI_SCHEMA}" to bi_reader; '
            f'grant select on all tables in schema "{BI_SCHEMA}" to bi_reader; '
            "end if; end $$"
        )
    conn.commit()
    return counts
