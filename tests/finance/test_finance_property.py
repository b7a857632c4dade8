"""Property test (issue 15): random damage to a valid finance file never loses or alters data.

For random edits of a valid cp1252 invoice file (lines cut or truncated, stray quotes, extra
separators, lines re-encoded as UTF-8 or double-encoded, invalid bytes):

* the records in the file, counted by the independent scanner, = rows read = loaded + quarantined;
* every loaded row of an untouched line equals the original row exactly, and every loaded text
  value of any row appears verbatim in its source line (no swallowed lines, no mojibake, no
  replacement characters).

The default tier runs a few dozen examples; ``-m slow`` runs many more.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.finance.contract import SourceMapping, load_contract
from connectors.finance.parser import MOJIBAKE, parse_file
from connectors.finance.record_count import count_csv_records
from sandbox.finance.torture import INVOICE_HEADER_DE

CONTRACT = load_contract()
MAPPING = SourceMapping("invoices*", "invoice_lines", "erp_de")
TEXT_COLUMNS = ("vendor_id", "invoice_number", "project_code", "description", "po_number")

# The valid file: (invoice number, amount text, amount, description as written in the file).
ROWS = [
    ("P-1", "100,00", Decimal("100.00"), "Beratung"),
    ("P-2", "1.234,56", Decimal("1234.56"), "Müller & Söhne"),
    ("P-3", "(99,00)", Decimal("-99.00"), '"Lizenz € ""Premium"""'),
    ("P-4", "0,50", Decimal("0.50"), '"Zeile 1\nZeile 2; Ende"'),
    ("P-5", "12,00", Decimal("12.00"), "Straße – Ost"),
    ("P-6", "7,25", Decimal("7.25"), "Café"),
]
EXPECTED_DESCRIPTION = {
    "P-1": "Beratung",
    "P-2": "Müller & Söhne",
    "P-3": 'Lizenz € "Premium"',
    "P-4": "Zeile 1\nZeile 2; Ende",
    "P-5": "Straße – Ost",
    "P-6": "Café",
}


@dataclass
class Line:
    text: str
    origin: str | None  # invoice number of an untouched single-line record, else None
    encoding: str = "cp1252"


def _valid_lines() -> list[Line]:
    lines = [Line(INVOICE_HEADER_DE, None)]
    for number, amount_text, _, description in ROWS:
        text = f"V0001;{number};1;01.02.2026;;;FIN-1001;external;{amount_text};EUR;{description}"
        parts = text.split("\n")
        origin = number if len(parts) == 1 else None
        lines += [Line(part, origin) for part in parts]
    return lines


EDIT = st.tuples(
    st.sampled_from(
        ["delete", "truncate", "quote", "separator", "utf8", "double", "bad_byte", "duplicate"]
    ),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=200),
)


def _apply(lines: list[Line], edits: list[tuple[str, int, int]]) -> list[Line]:
    lines = [Line(line.text, line.origin) for line in lines]
    for op, index, position in edits:
        if len(lines) < 2:
            break
        i = 1 + index % (len(lines) - 1)  # never the header
        line = lines[i]
        cut = position % (len(line.text) + 1)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, Line(line.text, line.origin, line.encoding))
        elif op == "truncate":
            lines[i] = Line(line.text[:cut], None, line.encoding)
        elif op == "quote":
            lines[i] = Line(line.text[:cut] + '"' + line.text[cut:], None, line.encoding)
        elif op == "separator":
            lines[i] = Line(line.text[:cut] + ";" + line.text[cut:], None, line.encoding)
        elif op == "utf8":
            lines[i] = Line(line.text, line.origin if line.text.isascii() else None, "utf-8")
        elif op == "double":
            text = line.text.encode("utf-8").decode("cp1252", errors="replace")
            lines[i] = Line(text, line.origin if text == line.text else None, line.encoding)
        elif op == "bad_byte":
            lines[i] = Line(line.text[:cut] + "\x81" + line.text[cut:], None, "bad")
    return lines


def _bytes(lines: list[Line]) -> bytes:
    out = []
    for line in lines:
        if line.encoding == "bad":
            head, _, tail = line.text.partition("\x81")
            out.append(
                head.encode("cp1252", "replace") + b"\x81" + tail.encode("cp1252", "replace")
            )
        else:
            out.append(line.text.encode(line.encoding, "replace"))
    return b"\r\n".join(out) + b"\r\n"


def _check(edits: list[tuple[str, int, int]]) -> None:
    lines = _apply(_valid_lines(), edits)
    raw = _bytes(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "invoices_property.csv"
        path.write_bytes(raw)
        parsed = parse_file(path, MAPPING, CONTRACT)
    counted = count_csv_records(raw, "cp1252", ";", '"')
    assert counted.records == parsed.rows_read == parsed.rows_loaded + parsed.rows_quarantined
    if parsed.table is None:
        assert parsed.status == "rejected"
        return
    decoded = [
        chunk.removesuffix(b"\r").decode("cp1252", errors="replace") for chunk in raw.split(b"\n")
    ]
    originals = {number: (amount, number) for number, _, amount, _ in ROWS}
    for row in parsed.table.to_pylist():
        line_number = row["_source_line"]
        source = "\n".join(decoded[line_number - 1 : line_number + 2])
        for column in TEXT_COLUMNS:
            value = row[column]
            if value is None:
                continue
            assert "\ufffd" not in value and not MOJIBAKE.search(value), (column, value)
            assert value in source or value.replace('"', '""') in source, (column, value, source)
        origin = lines[line_number - 1].origin if line_number - 1 < len(lines) else None
        if origin is not None:
            amount, number = originals[origin]
            assert row["invoice_number"] == number
            assert row["amount"] == amount
            assert row["description"] == EXPECTED_DESCRIPTION[number]


def test_the_valid_file_loads_every_row_exactly() -> None:
    _check([])
    lines = _valid_lines()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "invoices_valid.csv"
        path.write_bytes(_bytes(lines))
        parsed = parse_file(path, MAPPING, CONTRACT)
    assert (parsed.rows_read, parsed.rows_loaded) == (6, 6)
    assert parsed.table.column("description").to_pylist() == list(EXPECTED_DESCRIPTION.values())


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(EDIT, min_size=1, max_size=4))
def test_random_damage_never_loses_or_alters_a_row(edits) -> None:
    _check(edits)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EDIT, min_size=1, max_size=8))
def test_random_damage_never_loses_or_alters_a_row_many_examples(edits) -> None:
    _check(edits)
