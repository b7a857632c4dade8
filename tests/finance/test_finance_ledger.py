"""The file ledger: same file again = no-op, a copy = a duplicate; a re-issue replaces rows."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.finance.reconcile import rejected_files, unreconciled_files
from sandbox.finance.torture import INVOICE_HEADER_DE, _inv

ROUTES = ({"pattern": "invoices*.csv", "entity": "invoice_lines", "dialect": "erp_de"},)


def _write(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("\r\n".join([INVOICE_HEADER_DE, *rows]) + "\r\n").encode("cp1252"))
    return path


def _state(warehouse) -> tuple:
    return (
        warehouse.query("select count(*) from raw_finance.invoice_lines")[0][0],
        warehouse.query("select count(*) from raw_finance.quarantine")[0][0],
        warehouse.query("select count(*) from raw_finance.file_ledger")[0][0],
        warehouse.query("select count(*) from raw_finance._dlt_loads")[0][0],
    )


def test_re_dropping_the_same_file_changes_nothing(warehouse) -> None:
    _write(
        warehouse.landing / "invoices_jan.csv", [_inv("A-1"), _inv("A-2"), _inv("A-3", amount="x")]
    )
    warehouse.load(ROUTES)
    before = _state(warehouse)
    assert before[:3] == (2, 1, 1)
    # The same bytes once more in place, and touched: not even a load.
    info = warehouse.load(ROUTES)
    assert info.loads_ids == []
    path = warehouse.landing / "invoices_jan.csv"
    path.touch()
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert warehouse.load(ROUTES).loads_ids == []
    assert _state(warehouse) == before
    # Under another name: no rows, but a ledger row saying it duplicates the first file.
    (warehouse.landing / "invoices_jan_copy.csv").write_bytes(path.read_bytes())
    warehouse.load(ROUTES)
    after = _state(warehouse)
    assert after[:3] == (2, 1, 2)
    assert warehouse.query(
        "select status, duplicate_of from raw_finance.file_ledger "
        "where file_name = 'invoices_jan_copy.csv'"
    ) == [("duplicate", "invoices_jan.csv")]
    assert warehouse.load(ROUTES).loads_ids == []
    assert _state(warehouse) == after


def test_a_corrected_re_issue_replaces_the_rows_of_the_earlier_version(warehouse) -> None:
    _write(
        warehouse.landing / "invoices_feb.csv",
        [_inv("B-1", amount="10,00"), _inv("B-2", amount="bad"), _inv("B-3", amount="30,00")],
    )
    _write(warehouse.landing / "invoices_other.csv", [_inv("O-1")])
    warehouse.load(ROUTES)
    # Corrected re-issue with a version suffix: two lines, no bad one, different amounts.
    _write(
        warehouse.landing / "invoices_feb_v2.csv",
        [_inv("B-1", amount="11,00"), _inv("B-2", amount="20,00")],
    )
    warehouse.load(ROUTES)
    rows = warehouse.query(
        "select invoice_number, amount, _source_file from raw_finance.invoice_lines "
        "where _file_id = 'invoices_feb.csv' order by invoice_number"
    )
    assert [(n, str(a), f) for n, a, f in rows] == [
        ("B-1", "11.00", "invoices_feb_v2.csv"),
        ("B-2", "20.00", "invoices_feb_v2.csv"),
    ]
    # The other file is untouched, the old quarantine row went with its version.
    assert (
        warehouse.query(
            "select count(*) from raw_finance.invoice_lines where _file_id = 'invoices_other.csv'"
        )[0][0]
        == 1
    )
    assert warehouse.query("select count(*) from raw_finance.quarantine")[0][0] == 0
    ledger = warehouse.query(
        "select file_name, status, rows_loaded from raw_finance.file_ledger "
        "where file_id = 'invoices_feb.csv' order by file_name"
    )
    assert ledger == [("invoices_feb.csv", "superseded", 2), ("invoices_feb_v2.csv", "loaded", 2)]
    assert unreconciled_files(str(warehouse.db)) == []


def test_a_re_issue_under_the_same_name_replaces_rows_too(warehouse) -> None:
    path = _write(warehouse.landing / "invoices_mar.csv", [_inv("C-1"), _inv("C-2"), _inv("C-3")])
    warehouse.load(ROUTES)
    _write(path, [_inv("C-1", amount="5,00")])
    warehouse.load(ROUTES)
    rows = warehouse.query("select invoice_number, amount from raw_finance.invoice_lines")
    assert [(n, str(a)) for n, a in rows] == [("C-1", "5.00")]


def test_a_file_missing_required_columns_is_rejected_while_the_others_load(warehouse) -> None:
    header = INVOICE_HEADER_DE.replace(";Betrag", "")
    (warehouse.landing / "invoices_broken.csv").write_bytes(
        (header + "\r\n" + ";".join(_inv("X-1").split(";")[:8] + ["EUR", "t"]) + "\r\n").encode(
            "cp1252"
        )
    )
    _write(warehouse.landing / "invoices_good.csv", [_inv("G-1"), _inv("G-2")])
    warehouse.load(ROUTES)
    assert warehouse.query("select count(*) from raw_finance.invoice_lines")[0][0] == 2
    rejected = rejected_files(str(warehouse.db))
    assert [(r["file_name"], r["error"]) for r in rejected] == [
        ("invoices_broken.csv", "missing required column(s): amount")
    ]
    quarantine = warehouse.query(
        "select source_file, source_line, reason from raw_finance.quarantine"
    )
    assert quarantine == [
        ("invoices_broken.csv", 2, "file rejected: missing required column(s): amount")
    ]
    assert unreconciled_files(str(warehouse.db)) == []


def test_unrouted_and_partial_files_are_not_loaded(warehouse) -> None:
    (warehouse.landing / "mystery.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    _write(warehouse.landing / "invoices_apr.csv.part", [_inv("P-1")])
    _write(warehouse.landing / "invoices_apr2.csv", [_inv("P-2")])
    warehouse.load(ROUTES)
    ledger = warehouse.query("select file_name, status from raw_finance.file_ledger order by 1")
    assert ledger == [("invoices_apr2.csv", "loaded"), ("mystery.csv", "unrouted")]
