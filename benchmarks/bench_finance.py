"""Finance file ingestion vs DuckDB's own read_csv of the same clean invoice file.

Three timings on one generated file of invoice lines (``;``, decimal comma, thousands dots,
dd.mm.yyyy dates, UTF-8):

* ``duckdb_read_csv_s`` - the baseline: typed ``read_csv`` into a table of a DuckDB file;
* ``parse_to_table_s`` - the connector's parser (contract, typing, quarantine split, line
  numbers) plus writing its Arrow output into a table of a DuckDB file: same work as the baseline;
* ``dlt_pipeline_s`` - the whole connector through dlt (ledger, state, parquet, load, purge).

Wall times on a shared machine are noisy, so CPU seconds of this process are reported too.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import tempfile
import time
from pathlib import Path

import duckdb

TIER_ROWS = {"XS": 20_000, "S": 1_000_000, "M": 1_000_000, "L": 5_000_000}
HEADER = "vendor_id;invoice_number;invoice_line;invoice_date;po_number;po_line;project_code;cost_type;amount;currency;description"
COST_TYPES = ("labour", "external", "hardware", "software", "travel", "other")


def write_clean_invoices(path: Path, rows: int, seed: int = 7) -> None:
    """A clean invoice file in the German ERP dialect (UTF-8 so DuckDB can read it natively)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER + "\n")
        chunk: list[str] = []
        for i in range(rows):
            cents = rng.randrange(1_000, 5_000_000)
            euros, rest = divmod(cents, 100)
            amount = f"{euros:,}".replace(",", ".") + f",{rest:02d}"
            date_text = f"{1 + i % 28:02d}.{1 + i % 12:02d}.2026"
            chunk.append(
                f"V{1 + i % 40:04d};INV-{i // 3:07d};{1 + i % 3};{date_text};PO-{i % 9000:06d};{1 + i % 5};"
                f"FIN-{1001 + i % 500};{COST_TYPES[i % 6]};{amount};EUR;Service line {i}"
            )
            if len(chunk) == 50_000:
                handle.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            handle.write("\n".join(chunk) + "\n")


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db))
    con.execute("set enable_progress_bar = false").fetchall()
    return con


def _baseline(path: Path, db: Path) -> tuple[float, float, int]:
    con = _connect(db)
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(
        "create table invoices as select * from read_csv(?, header = true, delim = ';', "
        "auto_detect = false, dateformat = '%d.%m.%Y', decimal_separator = ',', thousands = '.', "
        "columns = {'vendor_id': 'VARCHAR', 'invoice_number': 'VARCHAR', 'invoice_line': 'BIGINT', "
        "'invoice_date': 'DATE', 'po_number': 'VARCHAR', 'po_line': 'BIGINT', 'project_code': 'VARCHAR', "
        "'cost_type': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR', 'description': 'VARCHAR'})",
        [str(path)],
    ).fetchall()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    count = con.execute("select count(*) from invoices").fetchall()[0][0]
    con.close()
    return elapsed, cpu, count


def _parse_to_table(path: Path, db: Path) -> tuple[float, float, int, int]:
    from connectors.finance.contract import SourceMapping, load_contract
    from connectors.finance.parser import parse_file

    contract = load_contract()
    dialect = dataclasses.replace(contract.dialects["erp_de"], name="erp_de_utf8", encoding="utf-8")
    contract = dataclasses.replace(contract, dialects={**contract.dialects, dialect.name: dialect})
    mapping = SourceMapping("invoices*.csv", "invoice_lines", dialect.name)
    start, cpu = time.perf_counter(), time.process_time()
    parsed = parse_file(path, mapping, contract)
    con = _connect(db)
    table = parsed.table
    con.register("parsed", table)
    con.execute("create table invoices as select * from parsed").fetchall()
    con.close()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return elapsed, cpu, parsed.rows_loaded, parsed.rows_quarantined


def _dlt_pipeline(folder: Path, db: Path, pipelines_dir: Path) -> tuple[float, int]:
    logging.getLogger("dlt").setLevel(logging.ERROR)
    from connectors.finance.contract import load_contract
    from connectors.finance.settings import FinanceSettings
    from pipelines.destinations import make_destination
    from pipelines.finance_pipeline import load

    contract = load_contract()
    utf8 = dataclasses.replace(contract.dialects["erp_de"], encoding="utf-8")
    text = contract.path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    custom = folder.parent / "contract_bench.toml"
    custom.write_text(
        text + "\n[dialects.erp_de_utf8]\n" + f'encoding = "{utf8.encoding}"\ndelimiter = ";"\n'
        'decimal_separator = ","\nthousands_separator = "."\nnegative_parentheses = true\n'
        'date_order = "DMY"\ndate_formats = ["%d.%m.%Y"]\n',
        encoding="utf-8",
    )
    settings = FinanceSettings(
        landing_dirs=(folder,),
        contract_file=custom,
        sources=({"pattern": "*.csv", "entity": "invoice_lines", "dialect": "erp_de_utf8"},),  # type: ignore[arg-type]
    )
    start = time.perf_counter()
    load(settings, make_destination("duckdb", duckdb_path=db), pipelines_dir=pipelines_dir)
    elapsed = time.perf_counter() - start
    con = duckdb.connect(str(db), read_only=True)
    count = con.execute("select count(*) from raw_finance.invoice_lines").fetchall()[0][0]
    con.close()
    return elapsed, count


def run(tier: str = "S", repeats: int = 2) -> dict:
    """Time the three paths on the tier's invoice file (1M lines from tier S up).

    Returns:
        Timings (best of ``repeats`` for the baseline and the parser), row counts and the ratios
        against DuckDB's ``read_csv`` measured in the same run.
    """
    rows = TIER_ROWS.get(tier, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-finance-") as tmp:
        root = Path(tmp)
        landing = root / "landing"
        landing.mkdir()
        path = landing / "invoices_bench.csv"
        write_clean_invoices(path, rows)
        file_mb = path.stat().st_size / 1e6
        # Alternate the two contenders and keep each one's best time: the machine is shared.
        baselines, parses = [], []
        for attempt in range(repeats):
            baselines.append(_baseline(path, root / f"baseline{attempt}.duckdb"))
            parses.append(_parse_to_table(path, root / f"parsed{attempt}.duckdb"))
        baseline_s, baseline_cpu, baseline_rows = min(baselines)
        parse_s, parse_cpu, loaded, quarantined = min(parses)
        dlt_s, dlt_rows = _dlt_pipeline(landing, root / "dlt.duckdb", root / "pipelines")
    return {
        "rows": rows,
        "file_mb": round(file_mb, 1),
        "duckdb_read_csv_s": round(baseline_s, 3),
        "duckdb_rows": baseline_rows,
        "parse_to_table_s": round(parse_s, 3),
        "parsed_rows_loaded": loaded,
        "parsed_rows_quarantined": quarantined,
        "dlt_pipeline_s": round(dlt_s, 3),
        "dlt_rows": dlt_rows,
        "duckdb_read_csv_cpu_s": round(baseline_cpu, 3),
        "parse_to_table_cpu_s": round(parse_cpu, 3),
        "ratio_parse_vs_read_csv": round(parse_s / baseline_s, 2),
        "ratio_parse_vs_read_csv_cpu": round(parse_cpu / baseline_cpu, 2),
        "ratio_pipeline_vs_read_csv": round(dlt_s / baseline_s, 2),
        "rows_per_s_parse": int(rows / parse_s),
        "target_ratio": 3.0,
    }
