"""Quoting and encoding faults (issue 15, items 2 and 3), with hand-written files.

Each test writes the bytes a broken export really contains and checks that every record is
either loaded unaltered or quarantined with a reason, and that the parser's ``rows_read`` equals
an independent count of the records in the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.finance.contract import SourceMapping, load_contract
from connectors.finance.parser import parse_file
from connectors.finance.reconcile import unreconciled_files
from connectors.finance.record_count import count_csv_records
from sandbox.finance.torture import INVOICE_HEADER_DE, INVOICE_HEADER_EN, _inv

CONTRACT = load_contract()
ERP_DE = SourceMapping("invoices*", "invoice_lines", "erp_de")  # cp1252, ';'
UTF8_ROUTE = {"pattern": "utf8_*.csv", "entity": "invoice_lines", "dialect": "erp_de_utf8"}


def _file(tmp_path: Path, name: str, lines: list[str], encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _outcome(path: Path, mapping: SourceMapping = ERP_DE):
    parsed = parse_file(path, mapping, CONTRACT)
    dialect = CONTRACT.dialects[mapping.dialect]
    counted = count_csv_records(path.read_bytes(), dialect.encoding, dialect.delimiter, '"')
    quarantined = {
        r["source_line"]: r["reason"] for r in parsed.quarantine.to_pylist() if r["reason"]
    }
    loaded = {r["_source_line"]: r for r in parsed.table.to_pylist()} if parsed.table else {}
    return parsed, counted, quarantined, loaded


# --- the independent record counter -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "records", "malformed"),
    [
        (["a;b;c", "d;e;f"], 2, []),
        (['a;"b\nstill b";c', "d;e;f"], 2, []),  # an embedded line break
        (['a;"b;c', "d;e;f", "g;h;i"], 3, [2]),  # unterminated: does not swallow
        (['a;b"x;c', "d;e;f"], 2, [2]),  # a quote inside an unquoted field
        (['a;"b"x;c', "d;e;f"], 2, [2]),  # text after a closing quote
        (['a;"say ""hi""";c', "", "   ", "d;e;f", ""], 2, []),  # escaped quotes, blank lines
        (['a;"b', 'x";c', "d;e;f"], 2, []),  # a multi-line field that closes properly
        (['a;"b', "d;e;f", 'x";c'], 3, [2, 4]),  # closes, but would swallow a full record
    ],
)
def test_the_record_counter_follows_the_quote_rules(body, records, malformed) -> None:
    raw = "\n".join(["h1;h2;h3", *body]).encode("utf-8")
    counted = count_csv_records(raw, "utf-8", ";", '"')
    assert (counted.records, counted.malformed) == (records, malformed)


def test_the_record_counter_counts_an_undecodable_line_as_one_record() -> None:
    raw = b"h1;h2\r\na;b\r\nc\x81;d\r\ne;f\r\n"
    counted = count_csv_records(raw, "cp1252", ";", '"')
    assert (counted.records, counted.starts, counted.malformed) == (3, [2, 3, 4], [3])


# --- quoting faults ------------------------------------------------------------------------


def test_an_unterminated_quote_does_not_swallow_the_following_lines(tmp_path) -> None:
    path = _file(
        tmp_path,
        "invoices_quote.csv",
        [
            INVOICE_HEADER_DE,
            _inv("U-1"),
            _inv("U-2", text='"Beratung Phase 1'),  # the quote never closes
            _inv("U-3"),
            _inv("U-4"),
        ],
    )
    parsed, counted, quarantined, loaded = _outcome(path)
    assert counted.records == parsed.rows_read == 4
    assert (parsed.rows_loaded, parsed.rows_quarantined) == (3, 1)
    assert sorted(loaded) == [2, 4, 5]
    assert quarantined[3].startswith("unbalanced quote")
    assert [loaded[n]["description"] for n in (2, 4, 5)] == ["Beratung"] * 3


def test_two_stray_quotes_do_not_join_the_lines_between_them(tmp_path) -> None:
    path = _file(
        tmp_path,
        "invoices_stray.csv",
        [
            INVOICE_HEADER_DE,
            _inv("S-1", text='"opens here'),
            _inv("S-2"),
            _inv("S-3", text='closes here"'),
            _inv("S-4", text='Monitor 27" breit'),
        ],
    )
    parsed, counted, quarantined, loaded = _outcome(path)
    assert counted.records == parsed.rows_read == 4
    assert sorted(loaded) == [3]
    assert sorted(quarantined) == [2, 4, 5]
    assert quarantined[2].startswith("unbalanced quote")
    assert quarantined[4].startswith("stray quote") and quarantined[5].startswith("stray quote")


def test_a_quoted_line_break_still_loads_as_one_record(tmp_path) -> None:
    path = _file(
        tmp_path,
        "invoices_multiline.csv",
        [INVOICE_HEADER_DE, _inv("M-1", text='"Zeile 1\r\nZeile 2; mit Semikolon"'), _inv("M-2")],
    )
    parsed, counted, quarantined, loaded = _outcome(path)
    assert counted.records == parsed.rows_read == 2 and not quarantined
    assert loaded[2]["description"] == "Zeile 1\nZeile 2; mit Semikolon"
    assert loaded[4]["invoice_number"] == "M-2"


def test_a_rejected_file_with_quoted_line_breaks_counts_records_not_lines(tmp_path) -> None:
    header = INVOICE_HEADER_DE.replace(";Betrag", "")
    row = ";".join(p for i, p in enumerate(_inv("R-1").split(";")) if i != 8)
    path = _file(tmp_path, "invoices_rej.csv", [header, row.replace("Beratung", '"a\nb"'), row])
    parsed, counted, quarantined, _ = _outcome(path)
    assert parsed.status == "rejected"
    assert counted.records == parsed.rows_read == parsed.rows_quarantined == 2
    assert sorted(quarantined) == [2, 4]


# --- encoding faults -----------------------------------------------------------------------


def test_double_encoded_utf8_is_quarantined_not_loaded(tmp_path) -> None:
    # A cp1252 export opened as UTF-8... no: UTF-8 text decoded as cp1252 and saved as cp1252 again.
    # With an ASCII header (the case) the bad cells reach the typing step.
    lines = [
        INVOICE_HEADER_EN,
        _inv("B-1", text="Müller Café".encode().decode("cp1252")),  # 'MÃ¼ller CafÃ©'
        _inv("B-2", text="Lizenz 50 €".encode().decode("cp1252")),  # 'Lizenz 50 â‚¬'
        _inv("B-3", vendor="V0001", text="Plain text"),
        _inv("B-4", text="Straße – Ost"),  # genuine cp1252 text: loads
    ]
    path = _file(tmp_path, "invoices_mojibake.csv", lines)
    parsed, counted, quarantined, loaded = _outcome(path)
    assert counted.records == parsed.rows_read == 4
    assert sorted(quarantined) == [2, 3]
    assert all("double-encoded" in quarantined[n] for n in (2, 3))
    assert loaded[4]["description"] == "Plain text"
    assert loaded[5]["description"] == "Straße – Ost"
    rows = {r["source_line"]: r for r in parsed.quarantine.to_pylist()}
    assert rows[2]["column_name"] == "description" and "MÃ¼ller" in rows[2]["raw_line"]


def test_a_double_encoded_header_rejects_the_file_with_the_reason(tmp_path) -> None:
    path = _file(
        tmp_path,
        "invoices_mojibake_header.csv",
        [INVOICE_HEADER_DE.replace("Währung", "WÃ¤hrung"), _inv("H-1"), _inv("H-2")],
    )
    parsed, counted, _, _ = _outcome(path)
    assert parsed.status == "rejected"
    assert "double-encoded" in parsed.error and "'Währung'" in parsed.error
    assert counted.records == parsed.rows_read == parsed.rows_quarantined == 2


def test_invalid_bytes_for_the_declared_encoding_are_quarantined(tmp_path) -> None:
    contract_path = tmp_path / "contract.toml"
    from connectors.finance.contract import DEFAULT_CONTRACT

    contract_path.write_text(
        DEFAULT_CONTRACT.read_text(encoding="utf-8")
        + '\n[dialects.erp_de_utf8]\nencoding = "utf-8"\ndelimiter = ";"\n'
        'decimal_separator = ","\nthousands_separator = "."\nnegative_parentheses = true\n'
        'date_order = "DMY"\ndate_formats = ["%d.%m.%Y"]\n',
        encoding="utf-8",
    )
    contract = load_contract(contract_path)
    mapping = SourceMapping(**UTF8_ROUTE)
    path = tmp_path / "utf8_invoices.csv"
    path.write_bytes(
        (INVOICE_HEADER_DE + "\n" + _inv("I-1", text="Müller") + "\n").encode("utf-8")
        + (_inv("I-2", text="Müller") + "\n").encode("cp1252")  # a cp1252 line in UTF-8
        + (_inv("I-3", text="Straße") + "\n").encode("utf-8")
    )
    parsed = parse_file(path, mapping, contract)
    counted = count_csv_records(path.read_bytes(), "utf-8", ";", '"')
    reasons = {r["source_line"]: r["reason"] for r in parsed.quarantine.to_pylist()}
    assert counted.records == parsed.rows_read == 3
    assert list(reasons) == [3] and reasons[3].startswith("invalid utf-8 bytes")
    assert parsed.table.column("description").to_pylist() == ["Müller", "Straße"]


def test_a_utf16_file_declared_as_cp1252_is_rejected_with_the_reason(tmp_path) -> None:
    path = tmp_path / "invoices_utf16.csv"
    path.write_bytes(("\r\n".join([INVOICE_HEADER_DE, _inv("W-1")]) + "\r\n").encode("utf-16"))
    parsed = parse_file(path, ERP_DE, CONTRACT)
    assert parsed.status == "rejected" and "NUL bytes" in parsed.error
    assert parsed.rows_read == parsed.rows_quarantined


def test_the_blocking_check_fails_when_rows_read_differ_from_the_file(warehouse) -> None:
    import duckdb

    _file(warehouse.landing, "invoices_recon.csv", [INVOICE_HEADER_DE, _inv("X-1"), _inv("X-2")])
    warehouse.load(({"pattern": "invoices*", "entity": "invoice_lines", "dialect": "erp_de"},))
    assert warehouse.query("select records_in_file, rows_read from raw_finance.file_ledger") == [
        (2, 2)
    ]
    assert unreconciled_files(str(warehouse.db)) == []
    # A parser that lost a record and kept its own books consistent: only the file count tells.
    con = duckdb.connect(str(warehouse.db))
    con.execute(
        "update raw_finance.file_ledger set rows_read = 1, rows_loaded = 1; "
        "delete from raw_finance.invoice_lines where _source_line = 3"
    ).fetchall()
    problems = unreconciled_files(con)
    con.close()
    assert [(p["file_name"], p["records_in_file"], p["rows_read"]) for p in problems] == [
        ("invoices_recon.csv", 2, 1)
    ]


def test_double_encoded_text_in_a_utf8_file_is_quarantined(tmp_path) -> None:
    from sandbox.finance.torture import PO_HEADER_US, _po

    path = tmp_path / "po_mojibake.csv"
    lines = [PO_HEADER_US, _po("PO-1", text="Zürich"), _po("PO-2", text="ZÃ¼rich")]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    mapping = SourceMapping("po_*", "purchase_order_lines", "erp_us")
    parsed = parse_file(path, mapping, CONTRACT)
    assert (parsed.rows_read, parsed.rows_loaded) == (2, 1)
    assert parsed.table.column("description").to_pylist() == ["Zürich"]
    (reason,) = {r["reason"] for r in parsed.quarantine.to_pylist()}
    assert "double-encoded" in reason


def test_double_encoded_text_in_a_workbook_cell_is_quarantined(tmp_path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["Project", "Period", "Cost type", "Version", "Amount", "Currency", "Comment"])
    sheet.append(["FIN-1001", "2026-01", "labour", "original", 10, "EUR"])
    sheet.append(["FIN-1Ã¼", "2026-02", "labour", "original", 20, "EUR"])
    path = tmp_path / "budget_mojibake.xlsx"
    workbook.save(path)
    mapping = SourceMapping("budget_*", "budget_lines", "budget_xlsx")
    parsed = parse_file(path, mapping, CONTRACT)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rows_quarantined) == (2, 1, 1)
    row = parsed.quarantine.to_pylist()[0]
    assert (row["source_line"], row["column_name"]) == (3, "project_code")
    assert "double-encoded" in row["reason"]
