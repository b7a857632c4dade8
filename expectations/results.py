"""Keep data-quality outcomes in the warehouse (`dq.expectation_results`) and render a report."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from expectations.runner import SuiteOutcome
from pmo_hub.config import HubConfig
from pmo_hub.warehouse import (
    append_rows,
    duckdb_connection,
    postgres_connection,
    query,
    table_exists,
)

RESULTS_SCHEMA = "dq"
RESULTS_TABLE = "expectation_results"
RESULTS_DDL = (
    "run_id varchar, checked_at timestamp, asset varchar, suite varchar, expectation varchar, "
    "column_name varchar, success boolean, is_critical boolean, unexpected_count bigint, "
    "element_count bigint, observed_value varchar, unexpected_sample varchar"
)
# Columns added after the first release: appended to existing tables before a write.
ADDED_COLUMNS = (("unexpected_sample", "varchar"),)

# Column names that hold personal data (GDPR): their unexpected values are stored masked.
PERSONAL_COLUMN = re.compile(
    r"e_?mail|person|display_name|full_name|first_name|last_name|approver|assignee|owner"
    r"|account_id|author|changed_by|manager|sponsor",
    re.IGNORECASE,
)
SAMPLE_SIZE = 10


def mask_personal(value: Any) -> str:
    """Keep the shape of a value, not the person: 'alan.petrov@example.com' -> 'a***@example.com'."""
    text = str(value)
    local, at, domain = text.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    return f"{text[:1]}***" if text else text


def unexpected_sample(column: str | None, values: tuple[Any, ...]) -> str | None:
    """JSON list of the first failing values, masked when the column is personal data."""
    if not values:
        return None
    sample = list(values[:SAMPLE_SIZE])
    if column and PERSONAL_COLUMN.search(column):
        sample = [None if v is None else mask_personal(v) for v in sample]
    return json.dumps(sample, default=str)


def record_outcome(config: HubConfig, outcome: SuiteOutcome, run_id: str, asset: str) -> None:
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (
            run_id,
            checked_at,
            asset,
            outcome.suite_name,
            o.expectation_type,
            o.column,
            o.success,
            o.critical,
            o.unexpected_count,
            o.element_count,
            None if o.observed_value is None else json.dumps(o.observed_value, default=str),
            unexpected_sample(o.column, o.unexpected_sample),
        )
        for o in outcome.outcomes
    ]
    _add_new_columns(config)
    append_rows(config, RESULTS_SCHEMA, RESULTS_TABLE, RESULTS_DDL, rows)


def _add_new_columns(config: HubConfig) -> None:
    """Tables created by an earlier version lack the newer columns: add them in place."""
    if config.warehouse.target == "duckdb" and not config.warehouse.duckdb_path.exists():
        return
    if not table_exists(config, RESULTS_SCHEMA, RESULTS_TABLE):
        return
    relation = f"{RESULTS_SCHEMA}.{RESULTS_TABLE}"
    statements = [
        f"alter table {relation} add column if not exists {name} {data_type}"
        for name, data_type in ADDED_COLUMNS
    ]
    if config.warehouse.target == "duckdb":
        with duckdb_connection(config, read_only=False) as con:
            for statement in statements:
                con.execute(statement)
        return
    with postgres_connection(config) as con, con.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def latest_results(config: HubConfig) -> list[tuple]:
    """Rows of the most recent check of each suite."""
    if config.warehouse.target == "duckdb" and not config.warehouse.duckdb_path.exists():
        return []
    if not table_exists(config, RESULTS_SCHEMA, RESULTS_TABLE):
        return []
    return query(
        config,
        f"""
        with latest as (
            select suite, max(checked_at) as checked_at
            from {RESULTS_SCHEMA}.{RESULTS_TABLE} group by suite
        )
        select r.suite, r.asset, r.expectation, r.column_name, r.success, r.is_critical,
               r.unexpected_count, r.element_count, r.checked_at
        from {RESULTS_SCHEMA}.{RESULTS_TABLE} as r
        join latest as l on r.suite = l.suite and r.checked_at = l.checked_at
        order by r.suite, r.expectation, r.column_name
        """,
    )


def write_report(config: HubConfig) -> Path:
    """A static HTML data-quality report for compliance reviewers."""
    rows = latest_results(config)
    config.reports_dir.mkdir(parents=True, exist_ok=True)
    path = config.reports_dir / "data_quality.html"
    passed = sum(1 for r in rows if r[4])
    body = "\n".join(
        "<tr class='{cls}'><td>{suite}</td><td>{asset}</td><td>{exp}</td><td>{col}</td>"
        "<td>{res}</td><td>{crit}</td><td>{unexp}</td><td>{elem}</td><td>{at}</td></tr>".format(
            cls="pass" if r[4] else "fail",
            suite=html.escape(str(r[0])),
            asset=html.escape(str(r[1])),
            exp=html.escape(str(r[2])),
            col=html.escape(str(r[3] or "")),
            res="pass" if r[4] else "FAIL",
            crit="critical" if r[5] else "",
            unexp="" if r[6] is None else r[6],
            elem="" if r[7] is None else r[7],
            at=html.escape(str(r[8])),
        )
        for r in rows
    )
    path.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>pmo-hub data quality</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:4px 8px}}tr.fail{{background:#fde2e2}}tr.pass{{background:#e6f4ea}}</style></head><body>
<h1>Data quality</h1><p>{passed} of {len(rows)} expectations passed
(warehouse: {html.escape(config.warehouse.target)}).</p>
<table><tr><th>suite</th><th>asset</th><th>expectation</th><th>column</th><th>result</th>
<th>severity</th><th>unexpected</th><th>rows</th><th>checked at (UTC)</th></tr>
{body}</table></body></html>""",
        encoding="utf-8",
    )
    return path
