"""Sandbox finance files: deterministic, loadable, reconciled, and the manifest is exact truth."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date

import pytest
from openpyxl import load_workbook

from connectors.finance.reconcile import unreconciled_files
from sandbox.finance.files import write_finance_files
from sandbox.portfolio import generate_portfolio

EXPECTED_FILES = [
    "projects.csv",
    "people.csv",
    "vendors.csv",
    "budget_original.xlsx",
    "budget_current.csv",
    "purchase_orders.csv",
    "invoices_2026h1.csv",
    "invoices_2026h2.csv",
    "timesheets_2026.csv",
    "fx_rates.csv",
    "payments.csv",
    "invoices_expenses.csv",
    "change_log.csv",
]


@pytest.fixture(scope="module")
def loaded(sandbox_xs, tmp_path_factory):
    from tests.finance.conftest import Warehouse  # module-scoped twin of the fixture

    portfolio, folder, paths = sandbox_xs
    warehouse = Warehouse(tmp_path_factory.mktemp("sandbox_wh"))
    for path in paths:
        warehouse.drop(path)
    warehouse.load()
    return portfolio, warehouse


def _faults(portfolio, rule: str) -> set[str]:
    return {f.key for f in portfolio.manifest.by_rule(rule) if f.system == "finance"}


def test_files_are_deterministic_per_seed(sandbox_xs, tmp_path) -> None:
    _, folder, paths = sandbox_xs
    assert [p.name for p in paths] == EXPECTED_FILES
    again = write_finance_files(generate_portfolio("XS", seed=42), tmp_path)
    for first, second in zip(paths, again, strict=True):
        if first.suffix == ".xlsx":
            cells = [
                list(load_workbook(p, read_only=True)["Budget"].values) for p in (first, second)
            ]
            assert cells[0] == cells[1]
        else:
            assert (
                hashlib.sha256(first.read_bytes()).digest()
                == hashlib.sha256(second.read_bytes()).digest()
            )


def test_files_use_the_promised_dialects(sandbox_xs) -> None:
    _, folder, _ = sandbox_xs
    assert (folder / "projects.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    invoices = (folder / "invoices_2026h2.csv").read_bytes()
    assert b"\x80" in invoices  # the euro sign in cp1252
    assert b";(" in invoices  # a credit note in parentheses
    text = invoices.decode("cp1252")
    assert "„Premium“" in text and "\r\n" in text
    assert '"' in (folder / "purchase_orders.csv").read_text(encoding="utf-8-sig")  # "12,345.00"


def test_every_file_loads_and_reconciles(loaded) -> None:
    portfolio, warehouse = loaded
    ledger = dict(warehouse.query("select file_name, status from raw_finance.file_ledger"))
    assert ledger == {name: "loaded" for name in EXPECTED_FILES}
    assert unreconciled_files(str(warehouse.db)) == []
    counts = dict(
        warehouse.query(
            "select 'projects', count(*) from raw_finance.projects union all "
            "select 'people', count(*) from raw_finance.people union all "
            "select 'vendors', count(*) from raw_finance.vendors"
        )
    )
    assert counts == {
        "projects": len(portfolio.projects),
        "people": len(portfolio.people),
        "vendors": len(portfolio.vendors),
    }


def test_quarantine_holds_exactly_the_planted_data_defects(loaded) -> None:
    portfolio, warehouse = loaded
    planted = set().union(
        *(_faults(portfolio, r) for r in ("DEF-01", "DEF-02", "DEF-03", "DEF-04"))
    )
    quarantined = {
        f"{f}:{line}"
        for f, line in warehouse.query(
            "select source_file, source_line from raw_finance.quarantine"
        )
    }
    assert quarantined == planted
    assert len(planted) == 12


def test_invoice_faults_are_exact_ground_truth(loaded) -> None:
    portfolio, warehouse = loaded
    rows = warehouse.query(
        "select vendor_id || '|' || invoice_number || '|' || cast(invoice_line as varchar), vendor_id, "
        "invoice_number, invoice_date, po_number, po_line, project_code, amount from raw_finance.invoice_lines"
    )
    keys = {r[0] for r in rows}
    for rule in ("AP-03", "AP-04", "AP-08", "AP-10", "AP-12", "AP-13", "AP-14"):
        assert _faults(portfolio, rule) and _faults(portfolio, rule) <= keys, rule
    projects = {p.project_code: p for p in portfolio.projects}
    blocked = {v.vendor_id for v in portfolio.vendors if v.status == "blocked"}
    assert {r[0] for r in rows if r[4] is None} == _faults(portfolio, "AP-08")
    assert {r[0] for r in rows if r[1] in blocked} == _faults(portfolio, "AP-13")
    assert {r[0] for r in rows if r[6] not in projects} == _faults(portfolio, "AP-14")
    closed = {
        r[0]
        for r in rows
        if r[6] in projects and projects[r[6]].closed_date and r[3] > projects[r[6]].closed_date
    }
    assert closed == _faults(portfolio, "AP-10")
    seen: dict[tuple, int] = defaultdict(int)
    for r in rows:
        seen[(r[1], r[2], r[3], r[7], r[0])] += 1
    assert {k[4] for k, n in seen.items() if n > 1} == _faults(portfolio, "AP-03")

    def norm(number: str) -> str:
        return number.replace(" ", "").replace("-", "").lstrip("0")

    near = set()
    for a in rows:
        for b in rows:
            if (
                a[1] == b[1]
                and a[2] != b[2]
                and norm(a[2]) == norm(b[2])
                and a[0].rsplit("|", 1)[1] == b[0].rsplit("|", 1)[1]
                and abs(a[7] - b[7]) <= abs(b[7]) / 100
                and abs((a[3] - b[3]).days) <= 30
                and " " in a[2]
            ):
                near.add(a[0])
    assert near == _faults(portfolio, "AP-04")
    ordered = dict(
        ((po, line), amount)
        for po, line, amount in warehouse.query(
            "select po_number, po_line, ordered_amount from raw_finance.purchase_order_lines"
        )
    )
    invoiced: dict[tuple, object] = defaultdict(int)
    for r in rows:
        if r[4] is not None:
            invoiced[(r[4], r[5])] += r[7]
    over = {k for k, total in invoiced.items() if total > ordered[k]}
    planted_po = {(r[4], r[5]) for r in rows if r[0] in _faults(portfolio, "AP-12")}
    assert over == planted_po


def test_timesheet_faults_are_exact_ground_truth(loaded) -> None:
    portfolio, warehouse = loaded
    rows = warehouse.query(
        "select entry_id, person_email, project_code, work_date, hours, approver_email "
        "from raw_finance.timesheet_entries"
    )
    people = {p.email: p for p in portfolio.people}
    projects = {p.project_code: p for p in portfolio.projects}
    as_of: date = portfolio.as_of
    per_day: dict[str, object] = defaultdict(int)
    for r in rows:
        per_day[f"{r[1]}|{r[3].isoformat()}"] += r[4]
    assert {k for k, h in per_day.items() if h > 8} == _faults(portfolio, "TS-03")
    assert {r[0] for r in rows if r[3] > as_of} == _faults(portfolio, "TS-04")
    assert {
        r[0] for r in rows if projects[r[2]].closed_date and r[3] > projects[r[2]].closed_date
    } == _faults(portfolio, "TS-05")
    assert {r[0] for r in rows if r[5] == r[1]} == _faults(portfolio, "TS-08")
    assert {
        r[0]
        for r in rows
        if people[r[1]].employment_type == "contractor"
        and people[r[1]].contract_end_date
        and r[3] > people[r[1]].contract_end_date
    } == _faults(portfolio, "TS-10")
    # Jira users log time on Jira projects in Jira; in finance timesheets only on projects without
    # Jira, or as the planted TS-12 double bookings.
    double_booked = {f.key for f in portfolio.manifest.faults if f.rule_id == "TS-12"}
    single = {
        r[1]
        for r in rows
        if f"{r[1]}|{r[2]}|{r[3].isoformat()}" not in double_booked
        and "jira" in projects[r[2]].tools
    }
    assert not {p.uses_jira for p in people.values() if p.email in single} - {False}


def test_governance_faults_exist_in_the_registry_and_budgets(loaded) -> None:
    portfolio, warehouse = loaded
    (gv11,) = _faults(portfolio, "GV-11")
    budgeted = {
        r[0] for r in warehouse.query("select distinct project_code from raw_finance.budget_lines")
    }
    registry = dict(warehouse.query("select project_code, status from raw_finance.projects"))
    assert registry[gv11] == "active" and gv11 not in budgeted
    assert budgeted == set(registry) - {gv11}
    (gv02,) = _faults(portfolio, "GV-02")
    versions = {
        r[0]
        for r in warehouse.query(
            "select distinct budget_version from raw_finance.budget_lines where project_code = ?",
            [gv02],
        )
    }
    assert versions == {"current"}
    managers = dict(warehouse.query("select project_code, manager_email from raw_finance.projects"))
    assert any(managers[k] is None for k in _faults(portfolio, "GV-01"))


def test_a_tick_re_issues_invoices_and_adds_timesheets(tmp_path) -> None:
    from sandbox.finance.files import write_finance_tick
    from tests.finance.conftest import Warehouse

    portfolio = generate_portfolio("XS", seed=7)
    warehouse = Warehouse(tmp_path)
    write_finance_files(portfolio, warehouse.landing)
    warehouse.load()
    before = warehouse.query(
        "select count(*) from raw_finance.invoice_lines where _file_id = 'invoices_2026h2.csv'"
    )
    reissue, timesheets = write_finance_tick(portfolio, warehouse.landing, tick=1)
    assert (reissue.name, timesheets.name) == ("invoices_2026h2_v2.csv", "timesheets_tick1.csv")
    warehouse.load()
    after = warehouse.query(
        "select count(*), count(distinct _file_sha256) from raw_finance.invoice_lines "
        "where _file_id = 'invoices_2026h2.csv'"
    )
    assert after == [(before[0][0] - 1, 1)]
    assert unreconciled_files(str(warehouse.db)) == []
    planted = set().union(
        *(_faults(portfolio, r) for r in ("DEF-01", "DEF-02", "DEF-03", "DEF-04"))
    )
    quarantined = {
        f"{f}:{line}"
        for f, line in warehouse.query(
            "select source_file, source_line from raw_finance.quarantine"
        )
    }
    assert quarantined == planted
    assert (
        warehouse.query(
            "select count(*) from raw_finance.timesheet_entries where _file_id = 'timesheets_tick1.csv'"
        )[0][0]
        > 0
    )
    status = dict(
        warehouse.query(
            "select file_name, status from raw_finance.file_ledger where file_id = 'invoices_2026h2.csv'"
        )
    )
    assert status == {"invoices_2026h2.csv": "superseded", "invoices_2026h2_v2.csv": "loaded"}


def test_writing_twice_plants_each_fault_once(tmp_path) -> None:
    portfolio = generate_portfolio("XS", seed=42)
    write_finance_files(portfolio, tmp_path / "a")
    first = portfolio.manifest.to_dict()
    write_finance_files(portfolio, tmp_path / "b")
    assert portfolio.manifest.to_dict() == first
    assert len({(f.rule_id, f.key) for f in portfolio.manifest.faults}) == len(
        portfolio.manifest.faults
    )
