"""Every suite catches planted bad rows with the exact unexpected count, and passes clean data."""

from __future__ import annotations

import pandas as pd
import pytest

from expectations.runner import ExpectationEngineError, validate_dataframe
from expectations.suites import marts__pmo__budget_vs_actual, raw__finance__invoice_lines


def _raw_invoices(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "vendor_id": [f"V{i:04d}" for i in range(n)],
            "invoice_number": [f"INV-{i}" for i in range(n)],
            "invoice_date": pd.to_datetime(["2026-10-01"] * n),
            "amount": [100.0 + i for i in range(n)],
            "currency": ["EUR"] * n,
            "_source_file": ["invoices.csv"] * n,
            "_source_line": list(range(2, n + 2)),
        }
    )


def test_raw_invoice_suite_passes_clean_rows() -> None:
    outcome = validate_dataframe(raw__finance__invoice_lines.build_suite, _raw_invoices())
    assert outcome.success, outcome.failed
    assert outcome.evaluated == 10


def test_raw_invoice_suite_counts_planted_bad_rows() -> None:
    frame = _raw_invoices()
    frame.loc[1, "vendor_id"] = None
    frame.loc[2, "currency"] = "euro"
    frame.loc[3, "currency"] = "usd"
    frame.loc[4, "_source_line"] = 2  # the same file line loaded twice
    frame.loc[5, "amount"] = 99_000_000.0
    outcome = validate_dataframe(raw__finance__invoice_lines.build_suite, frame)
    assert not outcome.success
    assert outcome.unexpected_count("expect_column_values_to_not_be_null", "vendor_id") == 1
    assert outcome.unexpected_count("expect_column_values_to_match_regex", "currency") == 2
    assert outcome.unexpected_count("expect_compound_columns_to_be_unique") == 2
    assert outcome.unexpected_count("expect_column_values_to_be_between", "amount") == 1
    assert outcome.unexpected_count("expect_column_values_to_not_be_null", "amount") == 0
    critical = {(o.expectation_type, o.column) for o in outcome.critical_failures}
    assert ("expect_column_values_to_not_be_null", "vendor_id") in critical
    # The plausibility band is a warning: it never blocks on its own.
    assert ("expect_column_values_to_be_between", "amount") not in critical


def _fact(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_line_key": [f"k{i}" for i in range(n)],
            "project_code": ["FIN-1001"] * n,
            "fiscal_period": ["2026-10"] * n,
            "source_file": ["invoices.csv"] * n,
            "amount_reporting": [10.0] * n,
        }
    )


def test_fact_suite_blocks_on_duplicate_keys_and_warns_on_missing_fx() -> None:
    clean = validate_dataframe(marts__pmo__budget_vs_actual.build_fact_suite, _fact())
    assert clean.success
    frame = _fact()
    frame.loc[3, "invoice_line_key"] = "k0"
    frame.loc[1, "amount_reporting"] = None
    frame.loc[2, "amount_reporting"] = None
    outcome = validate_dataframe(marts__pmo__budget_vs_actual.build_fact_suite, frame)
    assert outcome.unexpected_count("expect_column_values_to_be_unique", "invoice_line_key") == 2
    assert outcome.unexpected_count("expect_column_values_to_not_be_null", "amount_reporting") == 2
    # Only the duplicate key blocks; a missing FX rate is a warning (issue 9: invoices before any
    # FX file must still reach the marts, with the unconverted lines named).
    assert len(outcome.critical_failures) == 1
    assert len(outcome.failed) == 2


def _mart() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_code": ["FIN-1001", "FIN-1001", "FIN-1002"],
            "fiscal_period": ["2026-09", "2026-10", "2026-10"],
            "cost_type": ["labour", "labour", "vendor"],
            "budget_amount": [100.0, 50.0, 0.0],
            "funds_available": [10.0, -5.0, 0.0],
        }
    )


def test_mart_suite_counts_planted_bad_rows() -> None:
    assert validate_dataframe(marts__pmo__budget_vs_actual.build_suite, _mart()).success
    frame = _mart()
    frame.loc[1, "fiscal_period"] = "2026-09"  # duplicates the grain of row 0
    frame.loc[2, "fiscal_period"] = "Oct 2026"
    frame.loc[2, "budget_amount"] = -1.0
    outcome = validate_dataframe(marts__pmo__budget_vs_actual.build_suite, frame)
    assert outcome.unexpected_count("expect_compound_columns_to_be_unique") == 2
    assert outcome.unexpected_count("expect_column_values_to_match_regex", "fiscal_period") == 1
    assert outcome.unexpected_count("expect_column_values_to_be_between", "budget_amount") == 1
    assert [o.column for o in outcome.critical_failures] == [None]


def test_engine_errors_raise_instead_of_reporting_a_quality_failure() -> None:
    # A missing column makes GX fail inside the metric computation: that must not pass for a
    # data-quality finding (the DuckDB-through-SQLAlchemy trap looks exactly like this).
    frame = _raw_invoices().drop(columns=["currency"])
    with pytest.raises(ExpectationEngineError, match="currency"):
        validate_dataframe(raw__finance__invoice_lines.build_suite, frame)
