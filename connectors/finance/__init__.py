"""Finance files (budgets, purchase orders, vendor invoices, timesheets, registries) as a dlt source.

Files land in a folder; each is routed by name to an entity contract and a dialect (versioned
TOML under ``contracts/``), parsed with explicit rules, and loaded as Arrow tables into
``raw_finance``. Rows failing the contract go to ``quarantine`` with file, line, raw line, column
and reason; every file gets a ``file_ledger`` row (hash, size, rows read/loaded/quarantined).
A file whose hash was loaded before is skipped; a corrected re-issue (same logical file id, new
hash) replaces the rows of the earlier version: the ledger marks the earlier version
``superseded``, staging reads only current versions, and ``purge_superseded_sql`` (run by
``pipelines.finance_pipeline.load`` after each load) deletes the superseded rows.

Calling :func:`finance_source` does no I/O; files are scanned when the resources run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from connectors.finance.contract import SourceMapping, load_contract
from connectors.finance.landing import LandingFile, discover
from connectors.finance.parser import ParsedFile, constant_column, parse_file
from connectors.finance.settings import (
    DEFAULT_IGNORE,
    ENTITY_TABLES,
    LEDGER_TABLE,
    QUARANTINE_TABLE,
    FinanceSettings,
)
from pmo_hub import progress

__all__ = ["FinanceSettings", "finance_source", "ledger_record"]

log = logging.getLogger(__name__)

LEDGER_SCHEMA = pa.schema(
    [
        ("_ledger_key", pa.string(), False),
        ("file_id", pa.string()),
        ("file_name", pa.string()),
        ("path", pa.string()),
        ("sha256", pa.string()),
        ("size", pa.int64()),
        ("entity", pa.string()),
        ("dialect", pa.string()),
        ("contract", pa.string()),
        ("file_version", pa.int64()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("status", pa.string()),  # loaded | rejected | superseded | unrouted
        ("error", pa.string()),
        ("superseded_by", pa.string()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


def ledger_record(parsed: ParsedFile, contract_name: str, loaded_at: datetime) -> dict[str, Any]:
    """The ledger row of a parsed file."""
    return {
        "_ledger_key": f"{parsed.file_id}:{parsed.sha256}",
        "file_id": parsed.file_id,
        "file_name": parsed.file_name,
        "path": str(parsed.path),
        "sha256": parsed.sha256,
        "size": parsed.size,
        "entity": parsed.entity,
        "dialect": parsed.dialect,
        "contract": contract_name,
        "file_version": parsed.file_version,
        "rows_read": parsed.rows_read,
        "rows_loaded": parsed.rows_loaded,
        "rows_quarantined": parsed.rows_quarantined,
        "status": parsed.status,
        "error": parsed.error,
        "superseded_by": None,
        "loaded_at": loaded_at,
    }


class _Batch:
    """What the scanning resource hands to the per-table transformers."""

    def __init__(self, parsed: ParsedFile | None, ledger: list[dict[str, Any]]) -> None:
        self.parsed = parsed
        self.ledger = ledger


def _with_load_id(table: pa.Table) -> pa.Table:
    # The load id is known while extracting, so parquet files need no rewrite in normalize.
    column = constant_column(dlt.current.load_package_state()["load_id"], table.num_rows)
    if "_dlt_load_id" in table.column_names:
        return table.set_column(
            table.schema.get_field_index("_dlt_load_id"), "_dlt_load_id", column
        )
    return table.append_column("_dlt_load_id", column)


def _unrouted_record(candidate: LandingFile, sha: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "_ledger_key": f"{candidate.file_id}:{sha}",
        "file_id": candidate.file_id,
        "file_name": candidate.path.name,
        "path": str(candidate.path),
        "sha256": sha,
        "size": candidate.size,
        "entity": None,
        "dialect": None,
        "contract": None,
        "file_version": candidate.version,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "status": "unrouted",
        "error": "no contract source matches this file name",
        "superseded_by": None,
        "loaded_at": loaded_at,
    }


def _scan(
    landing_dirs: Sequence[str | Path],
    contract_path: str | Path | None,
    routes: Sequence[dict[str, str]] | None,
    recursive: bool,
) -> Iterator[_Batch]:
    contract = load_contract(contract_path)
    settings = FinanceSettings(
        landing_dirs=tuple(Path(p) for p in landing_dirs),
        contract_file=contract.path,  # type: ignore[arg-type]
        sources=tuple(SourceMapping(**r) for r in routes) if routes else None,
        recursive=recursive,
        ignore_patterns=DEFAULT_IGNORE,
    )
    state = dlt.current.source_state()
    files: dict[str, dict[str, Any]] = state.setdefault("files", {})
    seen_hashes: dict[str, str] = state.setdefault("hashes", {})
    candidates = discover(settings, contract)
    latest: dict[str, LandingFile] = {}
    for candidate in candidates:
        latest[candidate.file_id] = candidate  # sorted by version then mtime: last one wins
    stats: dict[str, list] = state.setdefault("stats", {})
    for number, candidate in enumerate(candidates, start=1):
        progress.report("finance", f"file {number:,} of {len(candidates):,}: {candidate.path.name}")
        stat_key = str(candidate.path)
        known = stats.get(stat_key)
        if known and known[:2] == [candidate.size, candidate.mtime_ns] and known[2] in seen_hashes:
            continue  # unchanged since it was loaded: not even read again
        raw = candidate.path.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        if sha in seen_hashes:
            # Not cached for this path: a no-op must not even change the pipeline state.
            log.debug(
                "finance file %s: content already loaded (%s); skipped",
                candidate.path.name,
                sha[:12],
            )
            continue
        stats[stat_key] = [candidate.size, candidate.mtime_ns, sha]
        loaded_at = datetime.now(UTC)
        if candidate.mapping is None:
            log.warning(
                "finance file %s matches no contract source; recorded as unrouted",
                candidate.path.name,
            )
            seen_hashes[sha] = candidate.file_id
            yield _Batch(None, [_unrouted_record(candidate, sha, loaded_at)])
            continue
        if latest[candidate.file_id] is not candidate:
            # An older version dropped together with its correction: the correction wins.
            log.info(
                "finance file %s superseded by a newer version in the same scan",
                candidate.path.name,
            )
            continue
        parsed = parse_file(candidate.path, candidate.mapping, contract, raw=raw)
        record = ledger_record(parsed, contract.name, loaded_at)
        ledger = [record]
        previous = files.get(parsed.file_id)
        if previous is not None and previous["sha256"] != sha:
            ledger.append(
                {
                    **previous,
                    "status": "superseded",
                    "superseded_by": sha,
                    "loaded_at": datetime.fromisoformat(previous["loaded_at"]),
                }
            )
            log.info(
                "finance file %s re-issued: replaces version %s",
                parsed.file_name,
                previous["sha256"][:12],
            )
        files[parsed.file_id] = {**record, "loaded_at": record["loaded_at"].isoformat()}
        seen_hashes[sha] = parsed.file_id
        log.info(
            "finance file %s: %s, read %d, loaded %d, quarantined %d",
            parsed.file_name,
            parsed.status,
            parsed.rows_read,
            parsed.rows_loaded,
            parsed.rows_quarantined,
        )
        yield _Batch(parsed, ledger)


def _entity_transformer(files: DltResource, table: str) -> DltResource:
    # Append: a file version's rows are written once; rows of superseded versions are purged
    # after the load (pipelines.finance_pipeline.load) and never read by staging meanwhile.
    @dlt.transformer(data_from=files, name=table, write_disposition="append")
    def _rows(batch: _Batch) -> Iterator[pa.Table]:
        parsed = batch.parsed
        if (
            parsed is not None
            and parsed.entity == table
            and parsed.table is not None
            and parsed.table.num_rows
        ):
            yield _with_load_id(parsed.table)

    return _rows


@dlt.source(name="finance", max_table_nesting=0)
def finance_source(
    landing_dirs: list[str] | None = None,
    contract_path: str | None = None,
    routes: list[dict[str, str]] | None = None,
    recursive: bool = False,
) -> list[DltResource]:
    """Finance files in landing folders, loaded per contract with quarantine and a file ledger.

    Args:
        landing_dirs: folders to scan; when None, ``SOURCES__FINANCE__LANDING_DIRS`` (dlt
            config) or ``PMO_HUB_FINANCE_LANDING``, read when the resources run.
        contract_path: contract TOML; the packaged ``finance_v1.toml`` when None.
        routes: overrides of the contract's routing, as ``{"pattern", "entity", "dialect"}``.
        recursive: scan sub-folders too.

    Returns:
        One resource per raw table: the entity tables, ``quarantine`` and ``file_ledger``.
    """

    @dlt.resource(name="landing_files", selected=False)
    def landing_files() -> Iterator[_Batch]:
        folders = landing_dirs
        if folders is None:
            configured = dlt.config.get("sources.finance.landing_dirs")
            folders = configured or [str(p) for p in FinanceSettings.from_env().landing_dirs]
        yield from _scan(folders, contract_path, routes, recursive)

    @dlt.transformer(data_from=landing_files, name=QUARANTINE_TABLE, write_disposition="append")
    def quarantine(batch: _Batch) -> Iterator[pa.Table]:
        if batch.parsed is not None and batch.parsed.quarantine.num_rows:
            yield _with_load_id(batch.parsed.quarantine)

    @dlt.transformer(
        data_from=landing_files,
        name=LEDGER_TABLE,
        write_disposition="merge",
        primary_key="_ledger_key",
    )
    def file_ledger(batch: _Batch) -> Iterator[pa.Table]:
        yield _with_load_id(pa.Table.from_pylist(batch.ledger, schema=LEDGER_SCHEMA))

    entity_resources = [_entity_transformer(landing_files, table) for table in ENTITY_TABLES]
    return [landing_files, *entity_resources, quarantine, file_ledger]
