"""The torture set: exact loaded / quarantined counts per file and parsed values of tricky cells."""

from __future__ import annotations

import pytest

from connectors.finance.contract import SourceMapping, load_contract
from connectors.finance.parser import parse_file
from connectors.finance.reconcile import unreconciled_files
from connectors.finance.record_count import count_csv_records, count_xlsx_records
from sandbox.finance.torture import TORTURE_ROUTES

CONTRACT = load_contract()
ROUTES = tuple(SourceMapping(**r) for r in TORTURE_ROUTES)


@pytest.mark.parametrize(
    "name",
    [
        "t00_clean_control.csv",
        "t01_utf8_bom.csv",
        "t02_cp1252.csv",
        "t03_semicolon_decimal_comma.csv",
        "t04_thousands.csv",
        "t05_negative_parentheses.csv",
        "t06_date_formats.csv",
        "t07_ambiguous_mdy.csv",
        "t08_ambiguous_dmy.csv",
        "t09_stray_whitespace.csv",
        "t10_trailing_empty_lines.csv",
        "t11_wrong_column_count.csv",
        "t12_missing_required_column.csv",
        "t13_missing_values.csv",
        "t14_budget.xlsx",
        "t15_quoted_multiline.csv",
        "t16_unterminated_quote.csv",
        "t17_stray_quotes.csv",
        "t18_double_encoded.csv",
        "t19_reissue_rejected.csv",
        "t19_reissue_rejected_v2.csv",
        "t20_reissue_batch.csv",
        "t20_reissue_batch_v2.csv",
    ],
)
def test_torture_file_parses_exactly(name: str, torture_source) -> None:
    folder, expected = torture_source
    want = expected[name]
    parsed = parse_file(folder / name, CONTRACT.route(name, ROUTES), CONTRACT)
    assert parsed.entity == want.entity and parsed.dialect == want.dialect
    # Parsed alone, a version later superseded is simply loaded.
    assert parsed.status == ("loaded" if want.status == "superseded" else want.status)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rows_quarantined) == (
        want.rows_read,
        want.rows_loaded,
        want.rows_quarantined,
    )
    assert parsed.rows_read == parsed.rows_loaded + parsed.rows_quarantined
    quarantined = tuple(sorted(set(parsed.quarantine.column("source_line").to_pylist())))
    assert quarantined == want.quarantined_lines
    rows = {
        r["_source_line"]: r for r in (parsed.table.to_pylist() if parsed.table is not None else [])
    }
    for (line, column), value in want.values.items():
        assert line in rows, f"line {line} not loaded"
        assert rows[line][column] == value, (line, column)
    # Every quarantined row carries its raw line and a reason.
    for q in parsed.quarantine.to_pylist():
        assert q["reason"] and q["source_file"] == name and q["entity"] == want.entity


def test_the_torture_set_covers_every_listed_hazard(torture_source) -> None:
    _, expected = torture_source
    assert len(expected) == 25
    assert {e.entity for e in expected.values()} == {
        "invoice_lines",
        "purchase_order_lines",
        "timesheet_entries",
        "budget_lines",
        "",  # the unrouted file
    }
    assert sum(e.rows_read for e in expected.values()) == 65 + 20
    assert {e.status for e in expected.values()} == {
        "loaded",
        "rejected",
        "superseded",
        "duplicate",
        "unrouted",
    }


def test_quarantine_reasons_name_the_column_and_keep_the_raw_line(torture_source) -> None:
    folder, _ = torture_source
    name = "t06_date_formats.csv"
    parsed = parse_file(folder / name, CONTRACT.route(name, ROUTES), CONTRACT)
    rows = {r["source_line"]: r for r in parsed.quarantine.to_pylist()}
    assert rows[6]["column_name"] == "invoice_date"
    assert "31.02.2026" in rows[6]["raw_line"]
    assert "DMY" in rows[6]["reason"]
    rejected = parse_file(folder / "t12_missing_required_column.csv", ROUTES[12], CONTRACT)
    assert rejected.error == "missing required column(s): amount"
    assert {r["reason"] for r in rejected.quarantine.to_pylist()} == {
        "file rejected: missing required column(s): amount"
    }


def test_torture_set_loads_into_the_warehouse_with_exact_counts(
    torture_source, torture_warehouse
) -> None:
    _, expected = torture_source
    warehouse = torture_warehouse
    ledger = {
        r[0]: r[1:]
        for r in warehouse.query(
            "select file_name, status, rows_read, rows_loaded, rows_quarantined from raw_finance.file_ledger"
        )
    }
    assert set(ledger) == set(expected)
    for name, want in expected.items():
        assert ledger[name] == (
            want.status,
            want.rows_read,
            want.rows_loaded,
            want.rows_quarantined,
        ), name
    per_file = dict(
        warehouse.query("select _source_file, count(*) from raw_finance.invoice_lines group by 1")
    )
    for name, want in expected.items():
        if want.entity == "invoice_lines":
            assert per_file.get(name, 0) == want.rows_in_tables, name
    quarantined = dict(
        warehouse.query(
            "select source_file, count(distinct source_line) from raw_finance.quarantine group by 1"
        )
    )
    assert quarantined == {
        n: e.lines_in_quarantine for n, e in expected.items() if e.lines_in_quarantine
    }
    links = {
        r[0]: r[1:]
        for r in warehouse.query(
            "select file_name, duplicate_of, superseded_by from raw_finance.file_ledger"
        )
    }
    assert links == {n: (e.duplicate_of, e.superseded_by) for n, e in expected.items()}
    amounts = warehouse.query(
        "select amount from raw_finance.invoice_lines where _source_file = 't05_negative_parentheses.csv' "
        "order by _source_line"
    )
    assert [str(a) for (a,) in amounts] == ["-99.00", "-1234.56", "-99.00"]
    types = dict(
        warehouse.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_finance' and table_name = 'invoice_lines'"
        )
    )
    assert types["amount"] == "DECIMAL(18,2)" and types["invoice_date"] == "DATE"
    assert "_dlt_load_id" in types
    assert unreconciled_files(str(warehouse.db)) == []


def test_unreconciled_files_reports_a_lost_row(torture_source, warehouse) -> None:
    import duckdb

    folder, _ = torture_source
    warehouse.drop(folder / "t00_clean_control.csv")
    warehouse.load(TORTURE_ROUTES)
    assert unreconciled_files(str(warehouse.db)) == []
    con = duckdb.connect(str(warehouse.db))
    con.execute("delete from raw_finance.invoice_lines where _source_line = 3").fetchall()
    problems = unreconciled_files(con)
    con.close()
    assert len(problems) == 1
    assert problems[0]["file_name"] == "t00_clean_control.csv"
    assert (problems[0]["rows_loaded"], problems[0]["rows_in_tables"]) == (5, 4)


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("t00_clean_control.csv", "duckdb"),
        ("t02_cp1252.csv", "python"),  # an undecodable line
        ("t06_date_formats.csv", "duckdb"),
        ("t10_trailing_empty_lines.csv", "duckdb"),  # blank and whitespace-only lines
        ("t11_wrong_column_count.csv", "duckdb"),
        ("t14_budget.xlsx", "xlsx"),
        ("t15_quoted_multiline.csv", "python"),  # quoted line breaks
    ],
)
def test_the_fast_reader_is_used_unless_the_file_needs_the_careful_one(
    name, reader, torture_source
) -> None:
    folder, _ = torture_source
    assert parse_file(folder / name, CONTRACT.route(name, ROUTES), CONTRACT).reader == reader


def test_empty_lines_inside_the_body_keep_exact_line_numbers_on_the_fast_path(tmp_path) -> None:
    from sandbox.finance.torture import INVOICE_HEADER_DE, _inv

    path = tmp_path / "invoices_gaps.csv"
    lines = [
        "",
        INVOICE_HEADER_DE,
        "",
        _inv("G-1"),
        "",
        "",
        _inv("G-2", amount="x"),
        _inv("G-3") + ";x",
        _inv("G-4"),
        "",
        "",
    ]
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    parsed = parse_file(path, CONTRACT.route("invoices_gaps.csv"), CONTRACT)
    assert parsed.reader == "duckdb"
    assert parsed.table.column("_source_line").to_pylist() == [4, 9]
    assert sorted(parsed.quarantine.column("source_line").to_pylist()) == [7, 8]
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rows_quarantined) == (4, 2, 2)


def test_padding_inside_quotes_is_trimmed_on_the_fast_path(tmp_path) -> None:
    from sandbox.finance.torture import INVOICE_HEADER_DE, _inv

    path = tmp_path / "invoices_quoted_pad.csv"
    lines = [INVOICE_HEADER_DE, _inv('" Q-1"', amount='"12,00 "'), _inv("Q-2")]
    path.write_bytes("\n".join(lines).encode("cp1252"))
    parsed = parse_file(path, CONTRACT.route(path.name), CONTRACT)
    assert parsed.reader == "duckdb"
    assert parsed.table.column("invoice_number").to_pylist() == ["Q-1", "Q-2"]
    assert [str(a) for a in parsed.table.column("amount").to_pylist()] == ["12.00", "100.00"]


def test_calling_the_source_does_no_io(monkeypatch) -> None:
    from connectors.finance import finance_source

    monkeypatch.delenv("PMO_HUB_FINANCE_LANDING", raising=False)
    source = finance_source()  # no landing folder configured: must not fail before running
    assert list(source.selected_resources) == [
        "projects",
        "people",
        "vendors",
        "budget_lines",
        "purchase_order_lines",
        "invoice_lines",
        "timesheet_entries",
        "fx_rates",
        "payments",
        "change_requests",
        "quarantine",
        "file_ledger",
    ]


def test_reasons_start_with_the_defect_kind_the_compliance_marts_classify(tmp_path) -> None:
    from sandbox.finance.torture import INVOICE_HEADER_DE, _inv

    path = tmp_path / "invoices_reasons.csv"
    rows = [
        _inv("R-1", date="01.02.0026"),
        _inv("R-2", line="x"),
        _inv("R-3", amount="1,2,3"),
        _inv(""),
    ]
    path.write_bytes("\n".join([INVOICE_HEADER_DE, *rows]).encode("cp1252"))
    parsed = parse_file(path, CONTRACT.route(path.name), CONTRACT)
    reasons = {r["source_line"]: r["reason"] for r in parsed.quarantine.to_pylist()}
    assert reasons[2] == "not a date: year outside 1900-2199"
    assert reasons[3].startswith("not a number") and reasons[4].startswith("not a number")
    assert reasons[5] == "missing required value"


def test_every_torture_file_reconciles_against_an_independent_count(
    torture_source, torture_warehouse
) -> None:
    """Issue 15's acceptance: over the whole torture set, rows in the file (counted by a scanner
    that is not the parser) = loaded + quarantined, and no rejected version purged an earlier one.
    """
    folder, expected = torture_source
    warehouse = torture_warehouse
    ledger = {
        r[0]: r[1:]
        for r in warehouse.query(
            "select file_name, file_id, status, records_in_file, rows_read, rows_loaded, "
            "rows_quarantined, superseded_by from raw_finance.file_ledger"
        )
    }
    assert set(ledger) == set(expected)
    checked = 0
    for name, (_, status, in_file, read, loaded, quarantined, _) in ledger.items():
        if status not in ("loaded", "rejected", "superseded"):
            assert (read, loaded, quarantined) == (0, 0, 0), name  # never parsed
            continue
        dialect = CONTRACT.dialects[CONTRACT.route(name, ROUTES).dialect]
        raw = (folder / name).read_bytes()
        if dialect.format == "xlsx":
            independent = count_xlsx_records(raw, dialect.sheet).records
        else:
            independent = count_csv_records(
                raw, dialect.encoding, dialect.delimiter, dialect.quote
            ).records
        assert independent == in_file == read == loaded + quarantined, name
        assert read == expected[name].rows_read, name
        checked += 1
    assert checked == 23
    # No earlier version was purged by a rejected one: every supersession names a loaded version,
    # and the original of every rejected re-issue is still current with all its rows.
    for name, (file_id, status, *_, superseded_by) in ledger.items():
        if status == "superseded":
            assert ledger[superseded_by][1] == "loaded", name
        if status == "rejected":
            current = [n for n, r in ledger.items() if r[0] == file_id and r[1] == "loaded"]
            for original in current:
                rows = warehouse.query(
                    "select count(*) from raw_finance.invoice_lines where _source_file = ?",
                    [original],
                )[0][0]
                assert rows == ledger[original][4], original
    assert ledger["t19_reissue_rejected.csv"][1] == "loaded"
    assert unreconciled_files(str(warehouse.db)) == []
