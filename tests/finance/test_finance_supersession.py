"""Re-issues and the ledger: only an accepted version supersedes, every file gets a ledger row.

Hand-written files for each case of issue 15 (items 1 and 4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.finance.reconcile import files_not_loaded, unreconciled_files
from connectors.finance.settings import FinanceSettings
from pipelines.destinations import make_destination
from pipelines.finance_pipeline import load
from sandbox.finance.torture import INVOICE_HEADER_DE, _inv

ROUTES = ({"pattern": "invoices*.csv", "entity": "invoice_lines", "dialect": "erp_de"},)
HEADER_WITHOUT_AMOUNT = INVOICE_HEADER_DE.replace(";Betrag", "")


def _write(path: Path, rows: list[str], header: str = INVOICE_HEADER_DE) -> Path:
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    return path


def _without_amount(row: str) -> str:
    return ";".join(p for i, p in enumerate(row.split(";")) if i != 8)


def _rows(warehouse, file_id: str) -> list[tuple[str, str, str]]:
    return [
        (n, str(a), f)
        for n, a, f in warehouse.query(
            "select invoice_number, amount, _source_file from raw_finance.invoice_lines "
            "where _file_id = ? order by invoice_number",
            [file_id],
        )
    ]


def _ledger(warehouse, file_id: str) -> list[tuple]:
    return warehouse.query(
        "select file_name, status, rows_loaded, rows_purged from raw_finance.file_ledger "
        "where file_id = ? order by file_version, file_name",
        [file_id],
    )


def test_a_rejected_re_issue_keeps_the_earlier_version(warehouse) -> None:
    _write(warehouse.landing / "invoices_jun.csv", [_inv("J-1"), _inv("J-2", amount="20,00")])
    warehouse.load(ROUTES)
    # The "corrected" re-issue lacks a required column: rejected whole.
    _write(
        warehouse.landing / "invoices_jun_v2.csv",
        [_without_amount(_inv("J-1")), _without_amount(_inv("J-2"))],
        header=HEADER_WITHOUT_AMOUNT,
    )
    warehouse.load(ROUTES)
    assert _rows(warehouse, "invoices_jun.csv") == [
        ("J-1", "100.00", "invoices_jun.csv"),
        ("J-2", "20.00", "invoices_jun.csv"),
    ]
    assert _ledger(warehouse, "invoices_jun.csv") == [
        ("invoices_jun.csv", "loaded", 2, None),
        ("invoices_jun_v2.csv", "rejected", 0, None),
    ]
    (error,) = warehouse.query(
        "select error from raw_finance.file_ledger where file_name = 'invoices_jun_v2.csv'"
    )[0]
    assert "missing required column(s): amount" in error
    assert "invoices_jun.csv stays current" in error
    # The rejected version's lines are quarantined, nothing is lost, the check passes.
    assert warehouse.query(
        "select count(*) from raw_finance.quarantine where source_file = 'invoices_jun_v2.csv'"
    ) == [(2,)]
    assert unreconciled_files(str(warehouse.db)) == []
    not_loaded = {f["file_name"]: f for f in files_not_loaded(str(warehouse.db))}
    assert not_loaded["invoices_jun_v2.csv"]["status"] == "rejected"
    assert "stays current" in not_loaded["invoices_jun_v2.csv"]["reason"]


def test_a_later_accepted_version_supersedes_the_current_and_the_rejected_one(warehouse) -> None:
    _write(warehouse.landing / "invoices_jul.csv", [_inv("K-1"), _inv("K-2")])
    _write(
        warehouse.landing / "invoices_jul_v2.csv",
        [_without_amount(_inv("K-1"))],
        header=HEADER_WITHOUT_AMOUNT,
    )
    warehouse.load(ROUTES)
    assert [r[1] for r in _ledger(warehouse, "invoices_jul.csv")] == ["loaded", "rejected"]
    _write(warehouse.landing / "invoices_jul_v3.csv", [_inv("K-1", amount="55,00")])
    warehouse.load(ROUTES)
    assert _rows(warehouse, "invoices_jul.csv") == [("K-1", "55.00", "invoices_jul_v3.csv")]
    assert _ledger(warehouse, "invoices_jul.csv") == [
        ("invoices_jul.csv", "superseded", 2, 2),
        ("invoices_jul_v2.csv", "superseded", 0, 0),
        ("invoices_jul_v3.csv", "loaded", 1, None),
    ]
    # The rejected v2's quarantined lines went with it.
    assert warehouse.query(
        "select quarantine_rows_purged from raw_finance.file_ledger "
        "where file_name = 'invoices_jul_v2.csv'"
    ) == [(1,)]
    assert warehouse.query("select count(*) from raw_finance.quarantine") == [(0,)]
    assert unreconciled_files(str(warehouse.db)) == []


def test_an_original_and_its_revision_in_one_batch_load_in_order(warehouse) -> None:
    _write(warehouse.landing / "invoices_aug.csv", [_inv("A-1"), _inv("A-2"), _inv("A-3")])
    _write(warehouse.landing / "invoices_aug_v2.csv", [_inv("A-1", amount="1,00")])
    warehouse.load(ROUTES)
    assert _rows(warehouse, "invoices_aug.csv") == [("A-1", "1.00", "invoices_aug_v2.csv")]
    assert _ledger(warehouse, "invoices_aug.csv") == [
        ("invoices_aug.csv", "superseded", 3, 3),
        ("invoices_aug_v2.csv", "loaded", 1, None),
    ]
    superseded_by, purged_at = warehouse.query(
        "select superseded_by, purged_at from raw_finance.file_ledger "
        "where file_name = 'invoices_aug.csv'"
    )[0]
    assert superseded_by == "invoices_aug_v2.csv" and purged_at is not None
    assert unreconciled_files(str(warehouse.db)) == []


@pytest.mark.slow  # also covered by the torture set / the ledger tests
def test_an_original_and_a_rejected_revision_in_one_batch_keep_the_original(warehouse) -> None:
    _write(warehouse.landing / "invoices_sep.csv", [_inv("S-1"), _inv("S-2")])
    _write(
        warehouse.landing / "invoices_sep_v2.csv",
        [_without_amount(_inv("S-1"))],
        header=HEADER_WITHOUT_AMOUNT,
    )
    warehouse.load(ROUTES)
    assert [r[0] for r in _rows(warehouse, "invoices_sep.csv")] == ["S-1", "S-2"]
    assert [r[1] for r in _ledger(warehouse, "invoices_sep.csv")] == ["loaded", "rejected"]
    assert unreconciled_files(str(warehouse.db)) == []


def test_the_clean_policy_rejects_a_re_issue_with_quarantined_rows(warehouse, tmp_path) -> None:
    from connectors.finance.contract import DEFAULT_CONTRACT

    contract = tmp_path / "finance_strict.toml"
    contract.write_text(
        DEFAULT_CONTRACT.read_text(encoding="utf-8") + '\n[reissue]\naccept = "clean"\n',
        encoding="utf-8",
    )
    settings = FinanceSettings(
        landing_dirs=(warehouse.landing,),
        contract_file=contract,
        sources=ROUTES,  # type: ignore[arg-type]
    )
    destination = make_destination("duckdb", duckdb_path=warehouse.db)
    _write(warehouse.landing / "invoices_oct.csv", [_inv("O-1"), _inv("O-2")])
    load(settings, destination, pipelines_dir=warehouse.pipelines_dir)
    _write(warehouse.landing / "invoices_oct_v2.csv", [_inv("O-1"), _inv("O-2", amount="bad")])
    load(settings, destination, pipelines_dir=warehouse.pipelines_dir)
    assert [r[2] for r in _rows(warehouse, "invoices_oct.csv")] == ["invoices_oct.csv"] * 2
    status, error, loaded, quarantined = warehouse.query(
        "select status, error, rows_loaded, rows_quarantined from raw_finance.file_ledger "
        "where file_name = 'invoices_oct_v2.csv'"
    )[0]
    assert (status, loaded, quarantined) == ("rejected", 0, 2)
    assert "1 of 2 rows failed the contract" in error and "accept = clean" in error
    assert unreconciled_files(str(warehouse.db)) == []


@pytest.mark.slow  # also covered by the torture set / the ledger tests
def test_the_default_policy_accepts_a_re_issue_with_quarantined_rows(warehouse) -> None:
    _write(warehouse.landing / "invoices_nov.csv", [_inv("N-1"), _inv("N-2")])
    warehouse.load(ROUTES)
    _write(warehouse.landing / "invoices_nov_v2.csv", [_inv("N-1"), _inv("N-2", amount="bad")])
    warehouse.load(ROUTES)
    assert _rows(warehouse, "invoices_nov.csv") == [("N-1", "100.00", "invoices_nov_v2.csv")]
    assert _ledger(warehouse, "invoices_nov.csv") == [
        ("invoices_nov.csv", "superseded", 2, 2),
        ("invoices_nov_v2.csv", "loaded", 1, None),
    ]


def test_a_byte_identical_copy_is_recorded_as_a_duplicate(warehouse) -> None:
    original = _write(warehouse.landing / "invoices_dec.csv", [_inv("D-1"), _inv("D-2")])
    warehouse.load(ROUTES)
    (warehouse.landing / "invoices_dec_copy.csv").write_bytes(original.read_bytes())
    # A copy of the same content under a version suffix must not touch the loaded version.
    (warehouse.landing / "invoices_dec_v2.csv").write_bytes(original.read_bytes())
    warehouse.load(ROUTES)
    rows = warehouse.query(
        "select file_name, status, duplicate_of, error, rows_read from raw_finance.file_ledger "
        "where status = 'duplicate' order by file_name"
    )
    assert rows == [
        (
            "invoices_dec_copy.csv",
            "duplicate",
            "invoices_dec.csv",
            "same content as invoices_dec.csv (already read); not loaded again",
            0,
        ),
        (
            "invoices_dec_v2.csv",
            "duplicate",
            "invoices_dec.csv",
            "same content as invoices_dec.csv (already read); not loaded again",
            0,
        ),
    ]
    assert _ledger(warehouse, "invoices_dec.csv")[0] == ("invoices_dec.csv", "loaded", 2, None)
    assert warehouse.query("select count(*) from raw_finance.invoice_lines") == [(2,)]
    # Nothing new: the next run is a no-op.
    assert warehouse.load(ROUTES).loads_ids == []
    assert unreconciled_files(str(warehouse.db)) == []


def test_duplicates_in_one_batch_and_unrouted_files_are_recorded(warehouse) -> None:
    first = _write(warehouse.landing / "invoices_a.csv", [_inv("E-1")])
    (warehouse.landing / "invoices_b.csv").write_bytes(first.read_bytes())
    (warehouse.landing / "mystery.txt").write_text("hello\n", encoding="utf-8")
    warehouse.load(ROUTES)
    ledger = warehouse.query(
        "select file_name, status, duplicate_of from raw_finance.file_ledger order by file_name"
    )
    assert ledger == [
        ("invoices_a.csv", "loaded", None),
        ("invoices_b.csv", "duplicate", "invoices_a.csv"),
        ("mystery.txt", "unrouted", None),
    ]
    not_loaded = {
        f["file_name"]: (f["status"], f["reason"]) for f in files_not_loaded(warehouse.db)
    }
    assert not_loaded == {
        "invoices_b.csv": (
            "duplicate",
            "same content as invoices_a.csv (already read); not loaded again",
        ),
        "mystery.txt": ("unrouted", "no contract source matches this file name"),
    }


def test_an_older_version_arriving_late_is_skipped_with_a_reason(warehouse) -> None:
    _write(warehouse.landing / "invoices_late_v2.csv", [_inv("L-1", amount="2,00")])
    warehouse.load(ROUTES)
    _write(warehouse.landing / "invoices_late.csv", [_inv("L-1", amount="1,00")])
    warehouse.load(ROUTES)
    assert _rows(warehouse, "invoices_late.csv") == [("L-1", "2.00", "invoices_late_v2.csv")]
    status, error = warehouse.query(
        "select status, error from raw_finance.file_ledger where file_name = 'invoices_late.csv'"
    )[0]
    assert status == "skipped"
    assert error == "version 1 is older than the current version 2 (invoices_late_v2.csv)"
    assert {f["file_name"] for f in files_not_loaded(warehouse.db)} == {"invoices_late.csv"}


def test_an_empty_landing_still_creates_the_declared_tables(warehouse) -> None:
    warehouse.load(ROUTES)
    columns = dict(
        warehouse.query(
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_finance' and table_name in ('quarantine', 'file_ledger')"
        )
    )
    assert columns["quarantine.source_line"] == "BIGINT"
    assert columns["file_ledger.records_in_file"] == "BIGINT"
    assert warehouse.query("select count(*) from raw_finance.file_ledger") == [(0,)]
    assert warehouse.load(ROUTES).loads_ids == []  # nothing new: no load at all


def test_a_parser_fault_in_one_file_is_recorded_and_the_others_load(warehouse, monkeypatch) -> None:
    import connectors.finance as finance

    real = finance.parse_file

    def failing(path, *args, **kwargs):
        if Path(path).name == "invoices_boom.csv":
            raise RuntimeError("simulated parser bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(finance, "parse_file", failing)
    _write(warehouse.landing / "invoices_boom.csv", [_inv("X-1")])
    _write(warehouse.landing / "invoices_fine.csv", [_inv("F-1")])
    warehouse.load(ROUTES)
    assert warehouse.query("select count(*) from raw_finance.invoice_lines") == [(1,)]
    (row,) = files_not_loaded(warehouse.db)
    assert (row["file_name"], row["status"]) == ("invoices_boom.csv", "skipped")
    assert "RuntimeError: simulated parser bug" in row["reason"]
    # Fixed: the next run loads it.
    monkeypatch.setattr(finance, "parse_file", real)
    warehouse.load(ROUTES)
    assert warehouse.query("select count(*) from raw_finance.invoice_lines") == [(2,)]
    assert files_not_loaded(warehouse.db) == []
