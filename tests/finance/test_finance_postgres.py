"""The finance load on PostgreSQL: same exact counts, reconciled from the warehouse."""

from __future__ import annotations

import uuid

import psycopg2
import pytest

from connectors.finance.reconcile import files_not_loaded, unreconciled_files
from connectors.finance.settings import FinanceSettings
from pipelines.destinations import make_destination
from pipelines.finance_pipeline import load
from sandbox.finance.torture import TORTURE_ROUTES

# Trust auth ignores the password, but dlt requires one in the URL.
POSTGRES_URL = "postgresql://postgres:postgres@127.0.0.1:5432/test"


@pytest.mark.postgres
def test_torture_set_loads_into_postgres(torture_source, tmp_path) -> None:
    folder, expected = torture_source
    dataset = f"raw_finance_t{uuid.uuid4().hex[:8]}"
    settings = FinanceSettings(landing_dirs=(folder,), sources=TORTURE_ROUTES)  # type: ignore[arg-type]
    try:
        load(
            settings,
            make_destination("postgres", postgres_url=POSTGRES_URL),
            pipelines_dir=tmp_path / "pipelines",
            pipeline_name=f"finance_{dataset}",
            dataset_name=dataset,
        )
        with psycopg2.connect(POSTGRES_URL) as con, con.cursor() as cur:
            cur.execute(
                f"select file_name, status, rows_read, rows_loaded, rows_quarantined from {dataset}.file_ledger"
            )
            ledger = {r[0]: r[1:] for r in cur.fetchall()}
            cur.execute(
                f"select amount from {dataset}.invoice_lines "
                "where _source_file = 't05_negative_parentheses.csv' order by _source_line"
            )
            amounts = [str(r[0]) for r in cur.fetchall()]
            cur.execute(
                "select data_type, numeric_precision, numeric_scale from information_schema.columns "
                "where table_schema = %s and table_name = 'invoice_lines' and column_name = 'amount'",
                (dataset,),
            )
            amount_type = cur.fetchone()
        assert ledger == {
            n: (e.status, e.rows_read, e.rows_loaded, e.rows_quarantined)
            for n, e in expected.items()
        }
        assert amounts == ["-99.00", "-1234.56", "-99.00"]
        assert amount_type == ("numeric", 18, 2)
        assert unreconciled_files(POSTGRES_URL, dataset=dataset) == []
        with psycopg2.connect(POSTGRES_URL) as con, con.cursor() as cur:
            cur.execute(
                f"select rows_purged, quarantine_rows_purged, purged_at is not null "
                f"from {dataset}.file_ledger where status = 'superseded'"
            )
            assert cur.fetchall() == [(3, 0, True)]
        not_loaded = files_not_loaded(POSTGRES_URL, dataset=dataset)
        assert {f["file_name"]: f["status"] for f in not_loaded} == {
            n: e.status for n, e in expected.items() if e.status not in ("loaded", "superseded")
        }
    finally:
        with psycopg2.connect(POSTGRES_URL) as con, con.cursor() as cur:
            cur.execute(f"drop schema if exists {dataset} cascade")
            cur.execute(f"drop schema if exists {dataset}_staging cascade")
