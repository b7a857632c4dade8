"""Vendor payments and unallowable costs on the loaded tier-XS sandbox (DuckDB): the rules AP-15
(late payment), AP-16 (paid without approval), AP-17 (discount missed) and AP-18 (unallowable
cost) find exactly the planted faults of the manifest (precision = recall = 1), and the
accounts-payable ageing and payment marts agree with the payments file re-read in Python."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pmo_dbt_helpers import duckdb_rows

pytestmark = pytest.mark.slow

RULES = ("AP-15", "AP-16", "AP-17", "AP-18")


def _found(world, rule_id: str) -> set[tuple[str, str]]:
    return set(
        duckdb_rows(
            world.duckdb_path,
            "select source_system, entity_key from compliance.fct_dq_exceptions "
            f"where rule_id = '{rule_id}'",
        )
    )


@pytest.mark.parametrize("rule_id", RULES)
def test_payment_and_cost_rules_find_exactly_the_planted_faults(duckdb_build, rule_id) -> None:
    world, _ = duckdb_build
    planted = {(f["system"], f["key"]) for f in world.manifest if f["rule_id"] == rule_id}
    assert planted, f"the XS world plants no {rule_id}"
    found = _found(world, rule_id)
    assert planted - found == set(), f"{rule_id} missed {planted - found}"
    assert found - planted == set(), f"{rule_id} reported unplanted {sorted(found - planted)[:5]}"


def test_unallowable_keywords_on_client_projects_are_allowed(duckdb_build) -> None:
    world, _ = duckdb_build
    rows = duckdb_rows(
        world.duckdb_path,
        "select funding_type, is_unallowable from intermediate.int_invoice_lines_classified "
        "where lower(description) like '%champagner%'",
    )
    assert {("grant", True), ("client", False)} <= set(rows)


def test_ageing_balances_follow_the_payments_file(duckdb_build, running_xs) -> None:
    """Each aged invoice's paid amount equals the payments file's sum for it; fully paid
    invoices are not aged; buckets follow the age in days."""
    world, _ = duckdb_build
    as_of = date.fromisoformat(world.as_of)
    finance_dir = Path(running_xs.source_settings()["finance"]["landing_dirs"][0])
    text = (finance_dir / "payments.csv").read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if datetime.strptime(row[3], "%d.%m.%Y").date() <= as_of:
            paid[f"{row[1]}|{row[2]}"] += Decimal(row[4].replace(".", "").replace(",", "."))
    assert paid, "the sandbox wrote no payments"
    aged = duckdb_rows(
        world.duckdb_path,
        "select invoice_business_key, paid_amount, discount_taken_amount, outstanding_amount, "
        "invoice_amount, age_days, ageing_bucket, invoice_date from marts.mart_ap_ageing",
    )
    assert aged, "nothing is open as of the as-of date"
    buckets = {"0-30": (0, 30), "31-60": (31, 60), "61-90": (61, 90), "90+": (91, 10**6)}
    for key, paid_amount, discount, outstanding, total, age, bucket, invoice_date in aged:
        assert paid_amount == paid.get(key, Decimal(0)), key
        assert outstanding == total - paid_amount - discount
        assert outstanding >= Decimal("0.01")
        assert age == (as_of - invoice_date).days
        low, high = buckets[bucket]
        assert low <= age <= high
    # Invoices paid in full (with or without the discount) are not in the ageing.
    settled = duckdb_rows(
        world.duckdb_path,
        "select count(*) from marts.mart_ap_ageing as a inner join core.fct_payments as p "
        "on a.invoice_business_key = p.invoice_business_key "
        "where p.amount + p.discount_taken_amount = p.invoice_amount",
    )
    assert settled == [(0,)]


def test_discount_missed_amount_is_the_offered_fraction_of_the_invoice(duckdb_build) -> None:
    world, _ = duckdb_build
    rows = duckdb_rows(
        world.duckdb_path,
        "select invoice_amount, discount_pct, discount_missed_amount, is_late, payment_timing "
        "from marts.mart_payment_timeliness where is_discount_missed",
    )
    assert rows
    for invoice_amount, pct, missed, is_late, timing in rows:
        assert missed == (invoice_amount * pct).quantize(Decimal("0.01"))
        assert not is_late and timing in ("on_time", "early")


def test_change_log_rows_reach_the_change_request_fact(duckdb_build, running_xs) -> None:
    world, _ = duckdb_build
    finance_dir = Path(running_xs.source_settings()["finance"]["landing_dirs"][0])
    text = (finance_dir / "change_log.csv").read_text(encoding="utf-8-sig")
    expected = {
        (
            row["CR ID"],
            row["Project"],
            row["status"],
            Decimal(row["Cost impact"]),
            int(row["Schedule impact"]),
            row["status"] in ("approved", "implemented"),
        )
        for row in csv.DictReader(io.StringIO(text))
    }
    assert len(expected) == 4
    actual = set(
        duckdb_rows(
            world.duckdb_path,
            "select change_request_id, project_code, status, cost_impact, schedule_impact_days, "
            "is_approved from core.fct_change_requests where source_system = 'finance'",
        )
    )
    assert actual == expected
