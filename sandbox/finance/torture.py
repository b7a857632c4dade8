"""The finance parser torture set: one small file per export hazard, plus a clean control.

Files t16-t22 are the hazards of issue 15: quotes that would swallow lines, double-encoded
UTF-8, a rejected re-issue next to its original, an original and its revision in one drop, a
byte-identical copy and an unrouted file; their expected ledger status says what must happen.

``write_torture_set(directory)`` writes the files and returns, per file name, the exact outcome a
correct loader must produce: rows read, loaded and quarantined, the quarantined line numbers, and
parsed values of the tricky cells (keyed by physical line number and column). ``TORTURE_ROUTES``
routes each file to its entity and dialect of the packaged contract ``finance_v1``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

INVOICE_HEADER_DE = (
    "Kreditor;Rechnungsnummer;Position;Rechnungsdatum;Bestellung;Bestellposition;Projekt;"
    "Kostenart;Betrag;Währung;Buchungstext"
)
INVOICE_HEADER_EN = (
    "vendor_id;invoice_number;invoice_line;invoice_date;po_number;po_line;project_code;"
    "cost_type;amount;currency;description"
)
PO_HEADER_US = "PO,PO Item,Vendor,Project,Order Date,Net Value,Currency,Status,Text"
TIMESHEET_HEADER = "entry_id,email,project,date,hours,comment,status,submitted,approved by"


@dataclass(frozen=True)
class ExpectedCounts:
    """What loading one torture file must give."""

    entity: str
    dialect: str
    hazard: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str = "loaded"
    quarantined_lines: tuple[int, ...] = ()
    # (physical line, column) -> parsed value of a loaded row
    values: dict[tuple[int, str], object] = field(default_factory=dict)
    # Ledger-level outcomes (a file not parsed: duplicate, unrouted) and re-issue links.
    duplicate_of: str | None = None
    superseded_by: str | None = None

    @property
    def rows_in_tables(self) -> int:
        """Rows of this file left in the entity tables after the load (and the purge)."""
        return self.rows_loaded if self.status == "loaded" else 0

    @property
    def lines_in_quarantine(self) -> int:
        """Distinct quarantined lines of this file left after the load (and the purge)."""
        return self.rows_quarantined if self.status in ("loaded", "rejected") else 0


TORTURE_ROUTES: tuple[dict[str, str], ...] = (
    {"pattern": "t00_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t01_*", "entity": "purchase_order_lines", "dialect": "erp_us"},
    {"pattern": "t02_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t03_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t04_*", "entity": "purchase_order_lines", "dialect": "erp_us"},
    {"pattern": "t05_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t06_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t07_*", "entity": "purchase_order_lines", "dialect": "erp_us"},
    {"pattern": "t08_*", "entity": "timesheet_entries", "dialect": "timesheet_uk"},
    {"pattern": "t09_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t10_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t11_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t12_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t13_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t14_*", "entity": "budget_lines", "dialect": "budget_xlsx"},
    {"pattern": "t15_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t16_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t17_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t18_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t19_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t20_*", "entity": "invoice_lines", "dialect": "erp_de"},
    {"pattern": "t21_*", "entity": "invoice_lines", "dialect": "erp_de"},
    # t22_* deliberately has no route: an unrouted file.
)


def _inv(number: str, date: str = "01.02.2026", amount: str = "100,00", **kw: str) -> str:
    fields = [
        kw.get("vendor", "V0001"),
        number,
        kw.get("line", "1"),
        date,
        kw.get("po", ""),
        kw.get("po_line", ""),
        kw.get("project", "FIN-1001"),
        kw.get("cost_type", "external"),
        amount,
        kw.get("currency", "EUR"),
        kw.get("text", "Beratung"),
    ]
    return ";".join(fields)


def _po(
    number: str, date: str = "03/15/2026", amount: str = "100.00", text: str = "Service"
) -> str:
    return ",".join([number, "1", "V0002", "FIN-1002", date, amount, "USD", "open", text])


def _write(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def write_torture_set(directory: str | Path) -> dict[str, ExpectedCounts]:
    """Write the torture files into ``directory``.

    Returns:
        File name -> the exact expected outcome of loading it.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    expected: dict[str, ExpectedCounts] = {}
    eur = Decimal

    name = "t00_clean_control.csv"
    _write(d / name, [INVOICE_HEADER_EN, *(_inv(f"C-{i}", amount=f"{i}0,00") for i in range(1, 6))])
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "clean control",
        5,
        5,
        0,
        values={
            (2, "amount"): eur("10.00"),
            (6, "invoice_number"): "C-5",
            (6, "invoice_date"): dt.date(2026, 2, 1),
        },
    )

    name = "t01_utf8_bom.csv"
    _write(
        d / name,
        [
            PO_HEADER_US,
            _po("PO-1", text="Café – Zürich"),
            _po("PO-2"),
            _po("PO-3", amount='"2,500.00"'),
        ],
        encoding="utf-8-sig",
        newline="\r\n",
    )
    expected[name] = ExpectedCounts(
        "purchase_order_lines",
        "erp_us",
        "UTF-8 with BOM, CRLF",
        3,
        3,
        0,
        values={
            (2, "description"): "Café – Zürich",
            (2, "po_number"): "PO-1",
            (4, "ordered_amount"): eur("2500.00"),
        },
    )

    name = "t02_cp1252.csv"
    raw = (
        "\r\n".join(
            [
                INVOICE_HEADER_DE,
                _inv("W-1", text="Lizenz € „Premium“"),
                _inv("W-2", text="Wartung ‘Basis’ – Q3"),
                _inv("W-3", text="Müller & Söhne"),
            ]
        ).encode("cp1252")
        + b"\r\n"
        + _inv("W-4", text="bad \x81 byte").encode("latin-1")
        + b"\r\n"
        + _inv("W-5", text="Straße").encode("cp1252")
        + b"\r\n"
    )
    (d / name).write_bytes(raw)
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "cp1252 (€, curly quotes) and one undecodable line",
        5,
        4,
        1,
        quarantined_lines=(5,),
        values={
            (2, "description"): "Lizenz € „Premium“",
            (3, "description"): "Wartung ‘Basis’ – Q3",
            (6, "description"): "Straße",
        },
    )

    name = "t03_semicolon_decimal_comma.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("D-1", amount="1234,56"),
            _inv("D-2", amount="0,5"),
            _inv("D-3", amount="-12,50"),
            _inv("D-4", amount="12.5"),  # a dot in a decimal-comma file: thousands group of 1
            _inv("D-5", amount="1,234"),  # three decimals for a money column
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "; with decimal comma",
        5,
        3,
        2,
        quarantined_lines=(5, 6),
        values={
            (2, "amount"): eur("1234.56"),
            (3, "amount"): eur("0.50"),
            (4, "amount"): eur("-12.50"),
        },
    )

    name = "t04_thousands.csv"
    _write(
        d / name,
        [
            PO_HEADER_US,
            _po("PO-1", amount='"1,234,567.89"'),
            _po("PO-2", amount='"12,345"'),
            _po("PO-3", amount="1234.5"),
            _po("PO-4", amount='"12,34"'),
            _po("PO-5", amount='"1,2345.00"'),
        ],
    )
    expected[name] = ExpectedCounts(
        "purchase_order_lines",
        "erp_us",
        "thousands separators",
        5,
        3,
        2,
        quarantined_lines=(5, 6),
        values={
            (2, "ordered_amount"): eur("1234567.89"),
            (3, "ordered_amount"): eur("12345.00"),
            (4, "ordered_amount"): eur("1234.50"),
        },
    )

    name = "t05_negative_parentheses.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("N-1", amount="(99,00)"),
            _inv("N-2", amount="(1.234,56)"),
            _inv("N-3", amount="99,00-"),
            _inv("N-4", amount="(12,00"),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "negatives in parentheses",
        4,
        3,
        1,
        quarantined_lines=(5,),
        values={
            (2, "amount"): eur("-99.00"),
            (3, "amount"): eur("-1234.56"),
            (4, "amount"): eur("-99.00"),
        },
    )

    name = "t06_date_formats.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("F-1", date="01.02.2026"),
            _inv("F-2", date="1.2.2026"),
            _inv("F-3", date="01.02.26"),
            _inv("F-4", date="2026-02-01"),
            _inv("F-5", date="31.02.2026"),
            _inv("F-6", date="02/01/2026"),
        ],
        encoding="cp1252",
    )
    feb1 = dt.date(2026, 2, 1)
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "several date formats",
        6,
        4,
        2,
        quarantined_lines=(6, 7),
        values={
            (2, "invoice_date"): feb1,
            (3, "invoice_date"): feb1,
            (4, "invoice_date"): feb1,
            (5, "invoice_date"): feb1,
        },
    )

    name = "t07_ambiguous_mdy.csv"
    _write(
        d / name,
        [
            PO_HEADER_US,
            _po("PO-1", date="03/04/2026"),
            _po("PO-2", date="12/31/2026"),
            _po("PO-3", date="31/12/2026"),
        ],
    )
    expected[name] = ExpectedCounts(
        "purchase_order_lines",
        "erp_us",
        "ambiguous day/month, US dialect (MDY)",
        3,
        2,
        1,
        quarantined_lines=(4,),
        values={(2, "po_date"): dt.date(2026, 3, 4), (3, "po_date"): dt.date(2026, 12, 31)},
    )

    name = "t08_ambiguous_dmy.csv"
    ts = "e@example.com,FIN-1001,{date},7.50,,approved,2026-04-06T09:00:00,boss@example.com"
    _write(
        d / name,
        [
            TIMESHEET_HEADER,
            "T-1," + ts.format(date="03/04/2026"),
            "T-2," + ts.format(date="31/12/2026"),
            "T-3," + ts.format(date="12/31/2026"),
        ],
    )
    expected[name] = ExpectedCounts(
        "timesheet_entries",
        "timesheet_uk",
        "ambiguous day/month, UK dialect (DMY)",
        3,
        2,
        1,
        quarantined_lines=(4,),
        values={
            (2, "work_date"): dt.date(2026, 4, 3),
            (3, "work_date"): dt.date(2026, 12, 31),
            (2, "hours"): eur("7.50"),
            (2, "submitted_at"): dt.datetime(2026, 4, 6, 9, 0),
        },
    )

    name = "t09_stray_whitespace.csv"
    _write(
        d / name,
        [
            " Kreditor ;Rechnungsnummer ; Position;Rechnungsdatum;Bestellung;Bestellposition;Projekt;"
            "Kostenart;Betrag;Währung;Buchungstext",
            _inv("S-1", vendor="  V0001 ", amount=" 1.234,56 ", currency="\tEUR"),
            _inv("S-2 ", date=" 01.02.2026", cost_type=" External "),
            _inv("S-3", amount="\u00a0100,00\u00a0", text="  padded text  "),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "stray whitespace (spaces, tab, no-break space)",
        3,
        3,
        0,
        values={
            (2, "vendor_id"): "V0001",
            (2, "amount"): eur("1234.56"),
            (2, "currency"): "EUR",
            (3, "invoice_number"): "S-2",
            (3, "cost_type"): "external",
            (4, "amount"): eur("100.00"),
            (4, "description"): "padded text",
        },
    )

    name = "t10_trailing_empty_lines.csv"
    _write(
        d / name,
        [INVOICE_HEADER_DE, _inv("E-1"), "", _inv("E-2"), "   ", _inv("E-3"), "", "", ""],
        encoding="cp1252",
        newline="\r\n",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "blank, whitespace-only and trailing empty lines",
        3,
        3,
        0,
        values={
            (2, "invoice_number"): "E-1",
            (4, "invoice_number"): "E-2",
            (6, "invoice_number"): "E-3",
        },
    )

    name = "t11_wrong_column_count.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("K-1"),
            _inv("K-2") + ";extra",
            _inv("K-3"),
            ";".join(_inv("K-4").split(";")[:7]),
            _inv("K-5"),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "rows with too many / too few columns",
        5,
        3,
        2,
        quarantined_lines=(3, 5),
        values={(6, "invoice_number"): "K-5"},
    )

    name = "t12_missing_required_column.csv"
    header = INVOICE_HEADER_DE.replace(";Betrag", "")
    rows = [
        ";".join(p for i, p in enumerate(_inv(f"M-{i}").split(";")) if i != 8) for i in range(3)
    ]
    _write(d / name, [header, *rows], encoding="cp1252")
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "wrong shape: required column missing (file rejected whole)",
        3,
        0,
        3,
        status="rejected",
        quarantined_lines=(2, 3, 4),
    )

    name = "t13_missing_values.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("V-1", po=""),
            _inv(""),
            _inv("V-3", currency=""),
            _inv("V-4", project=""),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "missing required values (optional ones may be empty)",
        4,
        2,
        2,
        quarantined_lines=(3, 4),
        values={(2, "po_number"): None, (5, "project_code"): None},
    )

    name = "t14_budget.xlsx"
    _write_budget_workbook(d / name)
    expected[name] = ExpectedCounts(
        "budget_lines",
        "budget_xlsx",
        "XLSX workbook: numeric, date and text cells",
        5,
        4,
        1,
        quarantined_lines=(5,),
        values={
            (3, "amount"): eur("1234.50"),
            (4, "fiscal_period"): "2026-03",
            (3, "fiscal_period"): "2026-02",
            (7, "amount"): eur("99.99"),
        },
    )

    name = "t15_quoted_multiline.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("Q-1", text='"line one\nline two"'),
            _inv("Q-2", text='"a; b; c"'),
            _inv("Q-3", text='"say ""hi"""'),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "quoted fields with newlines, delimiters and quotes",
        3,
        3,
        0,
        values={
            (2, "description"): "line one\nline two",
            (4, "description"): "a; b; c",
            (5, "description"): 'say "hi"',
        },
    )
    _write_issue_15_hazards(d, expected)
    return expected


def _write_issue_15_hazards(d: Path, expected: dict[str, ExpectedCounts]) -> None:
    """Quoting, encoding, re-issue and ledger hazards (issue 15): nothing lost, nothing altered."""
    name = "t16_unterminated_quote.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("U-1"),
            _inv("U-2", text='"Beratung Phase 1'),  # the quote never closes
            _inv("U-3"),
            _inv("U-4"),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "unterminated quote (must not swallow the following lines)",
        4,
        3,
        1,
        quarantined_lines=(3,),
        values={(4, "invoice_number"): "U-3", (5, "description"): "Beratung"},
    )

    name = "t17_stray_quotes.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE,
            _inv("S-1", text='"opens here'),
            _inv("S-2"),
            _inv("S-3", text='closes here"'),
            _inv("S-4", text='Monitor 27" breit'),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "stray quotes that would pair up across lines",
        4,
        1,
        3,
        quarantined_lines=(2, 4, 5),
        values={(3, "invoice_number"): "S-2"},
    )

    name = "t18_double_encoded.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_EN,  # an ASCII header: nothing looks wrong at the file level
            _inv("M-1", text="Müller Café".encode().decode("cp1252")),  # 'MÃ¼ller CafÃ©'
            _inv("M-2", text="Lizenz 50 €".encode().decode("cp1252")),  # 'Lizenz 50 â‚¬'
            _inv("M-3", text="Plain text"),
            _inv("M-4", text="Straße – Ost"),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "UTF-8 text double-encoded through cp1252 (mojibake)",
        4,
        2,
        2,
        quarantined_lines=(2, 3),
        values={(4, "description"): "Plain text", (5, "description"): "Straße – Ost"},
    )

    # A corrected re-issue rejected whole (required column missing): the original stays.
    name = "t19_reissue_rejected.csv"
    _write(d / name, [INVOICE_HEADER_DE, _inv("R-1"), _inv("R-2", amount="20,00")], "cp1252")
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "original of a rejected re-issue (stays current)",
        2,
        2,
        0,
        values={(3, "amount"): Decimal("20.00")},
    )
    name = "t19_reissue_rejected_v2.csv"
    _write(
        d / name,
        [
            INVOICE_HEADER_DE.replace(";Betrag", ""),
            *(
                ";".join(p for i, p in enumerate(_inv(n).split(";")) if i != 8)
                for n in ("R-1", "R-2")
            ),
        ],
        encoding="cp1252",
    )
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "re-issue rejected whole (must not purge the original)",
        2,
        0,
        2,
        status="rejected",
        quarantined_lines=(2, 3),
    )

    # An original and its revision dropped together: loaded in order, the revision wins.
    name = "t20_reissue_batch.csv"
    _write(d / name, [INVOICE_HEADER_DE, *(_inv(f"B-{i}") for i in (1, 2, 3))], "cp1252")
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "original dropped with its revision (superseded, rows purged)",
        3,
        3,
        0,
        status="superseded",
        superseded_by="t20_reissue_batch_v2.csv",
    )
    name = "t20_reissue_batch_v2.csv"
    _write(d / name, [INVOICE_HEADER_DE, _inv("B-1", amount="1,00")], "cp1252")
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "revision dropped with its original",
        1,
        1,
        0,
        values={(2, "amount"): Decimal("1.00")},
    )

    name = "t21_duplicate_copy.csv"
    (d / name).write_bytes((d / "t00_clean_control.csv").read_bytes())
    expected[name] = ExpectedCounts(
        "invoice_lines",
        "erp_de",
        "byte-identical copy under another name",
        0,
        0,
        0,
        status="duplicate",
        duplicate_of="t00_clean_control.csv",
    )

    name = "t22_unrouted.txt"
    (d / name).write_text("notes from the sender\n", encoding="utf-8")
    expected[name] = ExpectedCounts("", "", "a file no contract source routes", 0, 0, 0, "unrouted")


def _write_budget_workbook(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["This sheet is not the budget"])
    sheet = workbook.create_sheet("Budget")
    sheet.append(["Project", "Period", "Cost type", "Version", "Amount", "Currency"])  # row 1
    sheet.append(["FIN-1001", "2026-01", "labour", "original", 1000, "EUR"])  # row 2
    sheet.append(["FIN-1001", "2026-02", "labour", "original", 1234.5, "EUR"])  # row 3
    sheet.append(["FIN-1001", dt.datetime(2026, 3, 1), "labour", "original", 10, "EUR"])  # row 4
    sheet.append(["FIN-1001", "2026-04", "labour", "original", "abc", "EUR"])  # row 5: bad number
    sheet.append([None, None, None, None, None, None])  # row 6: empty
    sheet.append(["FIN-1002", "2026-04", "travel", "current", 99.99, "EUR"])  # row 7
    workbook.save(path)
