"""Landing contract of vendor invoice lines, checked before any model reads them."""

from __future__ import annotations

import great_expectations as gx

SUITE_NAME = "raw__finance__invoice_lines"


def build_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=SUITE_NAME)
    critical = {"critical": True}
    for column in ("vendor_id", "invoice_number", "invoice_date", "amount", "currency"):
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column=column, meta={**critical, "why": "required by the file contract"}
            )
        )
    for column in ("_source_file", "_source_line"):
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column=column,
                meta={**critical, "why": "lineage: every row traces to its file line"},
            )
        )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="currency", regex=r"^[A-Z]{3}$", meta={**critical, "why": "ISO 4217 code"}
        )
    )
    suite.add_expectation(
        gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=["_source_file", "_source_line"],
            meta={**critical, "why": "one raw row per file line: a reload must not duplicate"},
        )
    )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="amount",
            min_value=-1_000_000,
            max_value=10_000_000,
            meta={"why": "plausibility band for one invoice line (warning only)"},
        )
    )
    return suite
