"""The suites run natively on PostgreSQL (the serving target) with exact unexpected counts."""

from __future__ import annotations

import uuid

import psycopg2
import pytest

from expectations.runner import validate_postgres_table
from expectations.suites import marts__pmo__budget_vs_actual

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_schema():
    schema = f"gx_{uuid.uuid4().hex[:10]}"
    con = psycopg2.connect(PG_URL)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"create schema {schema}")
    try:
        yield con, schema
    finally:
        with con.cursor() as cur:
            cur.execute(f"drop schema {schema} cascade")
        con.close()


@pytest.mark.postgres
def test_mart_suite_on_postgres_counts_planted_rows(pg_schema) -> None:
    con, schema = pg_schema
    with con.cursor() as cur:
        cur.execute(
            f"create table {schema}.mart_budget_vs_actual (project_code text, fiscal_period text, "
            "cost_type text, budget_amount numeric(18,2), funds_available numeric(18,2))"
        )
        cur.execute(
            f"insert into {schema}.mart_budget_vs_actual values "
            "('FIN-1001','2026-09','labour',100,10), ('FIN-1001','2026-09','labour',50,-5), "
            "('FIN-1002','Oct 2026','vendor',-1,0), ('FIN-1003','2026-10','vendor',5,null)"
        )
    outcome = validate_postgres_table(
        marts__pmo__budget_vs_actual.build_suite, PG_URL, schema, "mart_budget_vs_actual"
    )
    assert not outcome.success
    assert outcome.unexpected_count("expect_compound_columns_to_be_unique") == 2
    assert outcome.unexpected_count("expect_column_values_to_match_regex", "fiscal_period") == 1
    assert outcome.unexpected_count("expect_column_values_to_be_between", "budget_amount") == 1
    assert outcome.unexpected_count("expect_column_values_to_not_be_null", "funds_available") == 1
    assert outcome.unexpected_count("expect_column_values_to_not_be_null", "project_code") == 0
