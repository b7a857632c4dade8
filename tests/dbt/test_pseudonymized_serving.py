"""Pseudonymized serving on the loaded tier-XS sandbox: with a key, the BI copy holds no person
name or email that the raw tables hold (every text column of every table scanned), pseudonyms
are stable for the same key, and everything else is copied unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.serving import publish_duckdb

pytestmark = pytest.mark.slow

# Raw columns holding people, listed here independently of pmo_hub.pseudonyms.
RAW_PEOPLE_SQL = {
    "raw_finance.people": ("display_name", "email"),
    "raw_finance.timesheet_entries": ("person_email", "approver_email"),
    "raw_finance.projects": ("manager_email", "sponsor_email"),
    "raw_finance.payments": ("approved_by",),
    "raw_jira.users": ("display_name", "email"),
    "raw_planner.users": ("display_name", "mail", "user_principal_name"),
    "raw_msproject.resources": ("resource_name", "email"),
}


def _raw_people(path: Path) -> tuple[set[str], set[str]]:
    con = duckdb.connect(str(path), read_only=True)
    names, emails = set(), set()
    try:
        for table, columns in RAW_PEOPLE_SQL.items():
            for column in columns:
                for (value,) in con.execute(
                    f"select distinct {column} from {table} where {column} is not null"
                ).fetchall():
                    (emails if "@" in value else names).add(value.strip())
    finally:
        con.close()
    return names, emails


def _text_values(path: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(path), read_only=True)
    out: dict[str, list[str]] = {}
    try:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and schema_name in ('core', 'marts', 'compliance')"
        ).fetchall()
        for schema, table, column in columns:
            out[f"{schema}.{table}.{column}"] = [
                v
                for (v,) in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" '
                    f'where "{column}" is not null'
                ).fetchall()
            ]
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def served(duckdb_build, tmp_path_factory):
    world, _ = duckdb_build
    work = tmp_path_factory.mktemp("serving")
    first = work / "first.duckdb"
    again = work / "again.duckdb"
    other_key = work / "other.duckdb"
    plain = work / "plain.duckdb"
    publish_duckdb(world.duckdb_path, first, pseudonym_key=b"k" * 32)
    publish_duckdb(world.duckdb_path, again, pseudonym_key=b"k" * 32)
    publish_duckdb(world.duckdb_path, other_key, pseudonym_key=b"x" * 32)
    counts = publish_duckdb(world.duckdb_path, plain)
    return world, first, again, other_key, plain, counts


def test_no_raw_name_or_email_reaches_the_pseudonymized_copy(served) -> None:
    world, first, _, _, plain, _ = served
    names, emails = _raw_people(world.duckdb_path)
    assert len(names) > 10 and len(emails) > 10
    # The plain copy does carry them, so the scan below can find what it looks for.
    plain_text = "\n".join(v for values in _text_values(plain).values() for v in values).lower()
    assert any(e.lower() in plain_text for e in emails)
    assert any(n.lower() in plain_text for n in names)
    leaks = []
    name_pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if len(n) >= 3)
        + r")(?!\w)",
        re.IGNORECASE,
    )
    for column, values in _text_values(first).items():
        for value in values:
            lowered = value.lower()
            leaks.extend((column, e) for e in emails if e.lower() in lowered)
            match = name_pattern.search(value)
            if match:
                leaks.append((column, match.group(0)))
    assert not leaks, f"{len(leaks)} personal values in the BI copy, e.g. {leaks[:5]}"


def test_pseudonyms_are_stable_per_key_and_the_rest_is_unchanged(served) -> None:
    _, first, again, other_key, plain, counts = served
    sql = "select person_key, email, display_name from core.dim_person order by person_key"

    def rows(path: Path, query: str = sql) -> list[tuple]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    assert rows(first) == rows(again)
    assert rows(first) != rows(other_key)
    assert [r[0] for r in rows(first)] == [r[0] for r in rows(plain)]
    emails = [r[1] for r in rows(first) if r[1]]
    assert emails and all(e.endswith("@pseudonym.invalid") for e in emails)
    assert len(set(emails)) == len(emails), "two people share a pseudonym"
    money = "select project_code, sum(amount) from core.fct_payments group by 1 order by 1"
    assert rows(first, money) == rows(plain, money)
    exceptions = "select count(*) from compliance.fct_dq_exceptions"
    assert rows(first, exceptions) == rows(plain, exceptions)
    assert counts and all(
        rows(first, f"select count(*) from {t}")[0][0] == n for t, n in counts.items()
    )
