"""Pseudonymized serving: the config switch, the key check and the text rewriting (fast; the
whole-warehouse scan is tests/dbt/test_pseudonymized_serving.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.serving import publish_duckdb
from pmo_hub.config import ConfigError, load_config
from pmo_hub.pseudonyms import Pseudonymizer, email_pseudonym, name_pseudonym


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pmo-hub.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_pseudonymize_without_a_key_is_a_config_error(tmp_path: Path) -> None:
    path = _config(tmp_path, "[warehouse]\npseudonymize = true\n")
    with pytest.raises(ConfigError, match="PMO_HUB_PSEUDONYM_KEY"):
        load_config(path, environ={})
    config = load_config(path, environ={"PMO_HUB_PSEUDONYM_KEY": "s3cret-key-value"})
    assert config.warehouse.pseudonymize is True
    assert "s3cret" not in repr(config)
    assert load_config(_config(tmp_path, ""), environ={}).warehouse.pseudonymize is False


def test_pseudonymize_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="true or false"):
        load_config(_config(tmp_path, '[warehouse]\npseudonymize = "yes"\n'), environ={})


def test_emails_and_known_names_are_replaced_inside_text() -> None:
    p = Pseudonymizer(b"key", ["Ana Lima", "Bo", "Ana Lima-Souza"])
    out = p.text("person_email=Ana.Lima@Example.com; owner=ana lima-souza, Anabel; Bo")
    assert "example.com" not in out.lower() and "lima" not in out.lower()
    assert email_pseudonym(b"key", "ana.lima@example.com") in out
    assert name_pseudonym(b"key", "Ana Lima-Souza") in out
    assert "Anabel" in out  # a longer word that starts with a name is not a name
    assert out.endswith("Bo")  # two-letter names are left alone (too short to be safe)
    assert p.text(None) is None
    assert email_pseudonym(b"key", "A@B.io") == email_pseudonym(b"key", " a@b.io")
    assert email_pseudonym(b"key", "a@b.io") != email_pseudonym(b"other", "a@b.io")


def test_published_copy_rewrites_text_columns_only(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    con = duckdb.connect(str(build))
    con.execute("create schema raw_finance; create schema core")
    con.execute("create table raw_finance.people (display_name varchar, email varchar)")
    con.execute("insert into raw_finance.people values ('Jo Example', 'jo@example.com')")
    con.execute("create table core.dim_person (id integer, display_name varchar, note varchar)")
    con.execute("insert into core.dim_person values (7, 'Jo Example', 'mail JO@example.com')")
    con.close()
    serving = tmp_path / "serving.duckdb"
    counts = publish_duckdb(build, serving, pseudonym_key=b"k")
    assert counts == {"core.dim_person": 1}
    con = duckdb.connect(str(serving), read_only=True)
    row = con.execute("select * from core.dim_person").fetchone()
    schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    con.close()
    assert row == (
        7,
        name_pseudonym(b"k", "Jo Example"),
        "mail " + email_pseudonym(b"k", "jo@example.com"),
    )
    assert "raw_finance" not in schemas


@pytest.mark.postgres
def test_postgres_bi_schema_holds_pseudonyms_and_is_the_one_granted() -> None:
    import uuid

    import psycopg2

    from pmo_hub.pseudonyms import publish_postgres_pseudonymized

    dsn = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
    database = f"pmo_pseudo_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        conn = psycopg2.connect(dbname=database, **dsn)
        with conn.cursor() as cur:
            cur.execute(
                "do $$ begin if not exists (select from pg_roles where rolname = 'bi_reader') "
                "then create role bi_reader nologin; end if; "
                "exception when duplicate_object or unique_violation then null; end $$"
            )
            cur.execute("create schema raw_jira; create schema core; create schema compliance")
            cur.execute("create table raw_jira.users (display_name text, email text)")
            cur.execute("insert into raw_jira.users values ('Jo Example', 'jo@example.com')")
            cur.execute(
                "create table core.dim_person (id integer, display_name text, amount numeric(18,2))"
            )
            cur.execute("insert into core.dim_person values (1, 'Jo Example', 12.50)")
            cur.execute("create table compliance.fct_dq_exceptions (evidence varchar(200))")
            cur.execute(
                "insert into compliance.fct_dq_exceptions values ('person_email=jo@example.com')"
            )
        conn.commit()
        counts = publish_postgres_pseudonymized(conn, b"k")
        # Running again replaces the schema (stable pseudonyms, no duplicates).
        assert publish_postgres_pseudonymized(conn, b"k") == counts
        with conn.cursor() as cur:
            cur.execute("select id, display_name, amount from bi.dim_person")
            assert cur.fetchall() == [(1, name_pseudonym(b"k", "Jo Example"), Decimal("12.50"))]
            cur.execute("select evidence from bi.fct_dq_exceptions")
            assert cur.fetchall() == [(f"person_email={email_pseudonym(b'k', 'jo@example.com')}",)]
            cur.execute("select has_table_privilege('bi_reader', 'bi.dim_person', 'select')")
            assert cur.fetchone() == (True,)
            cur.execute("select has_table_privilege('bi_reader', 'raw_jira.users', 'select')")
            assert cur.fetchone() == (False,)
        assert counts == {"bi.dim_person": 1, "bi.fct_dq_exceptions": 1}
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()
