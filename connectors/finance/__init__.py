"""Finance files (budgets, purchase orders, vendor invoices, timesheets, registries) as a dlt source.

Files land in a folder; each is routed by name to an entity contract and a dialect (versioned
TOML under ``contracts/``), parsed with explicit rules, and loaded as Arrow tables into
``raw_finance``. Rows failing the contract go to ``quarantine`` with file, line, raw line, column
and reason; every file read gets a ``file_ledger`` row (hash, size, records counted independently
of the parser, rows read/loaded/quarantined, status and reason): loaded, rejected, superseded,
duplicate (``duplicate_of``), unrouted or skipped. A file whose bytes were read before is a
no-op for the same path and a ``duplicate`` for another. A corrected re-issue (same logical file
id, new hash) replaces the current version only when it is accepted (contract ``[reissue]
accept``): the ledger marks the earlier version ``superseded``, staging reads only current
versions, and ``pipelines.finance_pipeline.load`` deletes the superseded rows after the load and
logs the purge on their ledger rows. A rejected re-issue leaves the current version in place.

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

from connectors.finance.contract import Dialect, SourceMapping, load_contract
from connectors.finance.landing import LandingFile, discover
from connectors.finance.parser import (
    QUARANTINE_SCHEMA,
    ParsedFile,
    constant_column,
    parse_file,
    reject_parsed,
)
from connectors.finance.record_count import count_csv_records, count_xlsx_records
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
        ("records_in_file", pa.int64()),  # counted independently of the parser
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_quarantined", pa.int64()),
        # loaded | rejected | superseded | duplicate | unrouted | skipped
        ("status", pa.string()),
        ("error", pa.string()),  # the reason for any status but loaded
        ("duplicate_of", pa.string()),
        ("superseded_by", pa.string()),
        ("superseded_by_sha256", pa.string()),
        ("rows_purged", pa.int64()),  # set by the purge after the load
        ("quarantine_rows_purged", pa.int64()),
        ("purged_at", pa.timestamp("us", tz="UTC")),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


def ledger_record(
    parsed: ParsedFile,
    contract_name: str,
    loaded_at: datetime,
    records_in_file: int | None = None,
) -> dict[str, Any]:
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
        "records_in_file": records_in_file,
        "rows_read": parsed.rows_read,
        "rows_loaded": parsed.rows_loaded,
        "rows_quarantined": parsed.rows_quarantined,
        "status": parsed.status,
        "error": parsed.error,
        "duplicate_of": None,
        "superseded_by": None,
        "superseded_by_sha256": None,
        "rows_purged": None,
        "quarantine_rows_purged": None,
        "purged_at": None,
        "loaded_at": loaded_at,
    }


class _Batch:
    """What the scanning resource hands to the per-table transformers."""

    def __init__(
        self, parsed: ParsedFile | None, ledger: list[dict[str, Any]], declare: bool = False
    ) -> None:
        self.parsed = parsed
        self.ledger = ledger
        self.declare = declare  # the last batch: yield empty tables so they exist, typed


def _with_load_id(table: pa.Table) -> pa.Table:
    # The load id is known while extracting, so parquet files need no rewrite in normalize.
    column = constant_column(dlt.current.load_package_state()["load_id"], table.num_rows)
    if "_dlt_load_id" in table.column_names:
        return table.set_column(
            table.schema.get_field_index("_dlt_load_id"), "_dlt_load_id", column
        )
    return table.append_column("_dlt_load_id", column)


def _unparsed_record(
    candidate: LandingFile,
    sha: str | None,
    loaded_at: datetime,
    status: str,
    reason: str,
    key: str,
    **extra: Any,
) -> dict[str, Any]:
    """The ledger row of a file that was not parsed (unrouted, duplicate, skipped)."""
    mapping = candidate.mapping
    return {
        "_ledger_key": key,
        "file_id": candidate.file_id,
        "file_name": candidate.path.name,
        "path": str(candidate.path),
        "sha256": sha,
        "size": candidate.size,
        "entity": mapping.entity if mapping else None,
        "dialect": mapping.dialect if mapping else None,
        "contract": None,
        "file_version": candidate.version,
        "records_in_file": None,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "status": status,
        "error": reason,
        "duplicate_of": None,
        "superseded_by": None,
        "superseded_by_sha256": None,
        "rows_purged": None,
        "quarantine_rows_purged": None,
        "purged_at": None,
        "loaded_at": loaded_at,
        **extra,
    }


def _stored(record: dict[str, Any]) -> dict[str, Any]:
    """A ledger record as kept in the dlt source state (JSON-friendly)."""
    return {**record, "loaded_at": record["loaded_at"].isoformat()}


def _restored(record: dict[str, Any]) -> dict[str, Any]:
    restored = {name: record.get(name) for name in LEDGER_SCHEMA.names}
    restored["loaded_at"] = datetime.fromisoformat(record["loaded_at"])
    return restored


def count_records(raw: bytes, dialect: Dialect) -> int | None:
    """Records in the file by the independent counter (None: an unreadable workbook)."""
    if dialect.format == "xlsx":
        counted = count_xlsx_records(raw, dialect.sheet)
        return None if counted is None else counted.records
    return count_csv_records(raw, dialect.encoding, dialect.delimiter, dialect.quote).records


def _scan(
    landing_dirs: Sequence[str | Path],
    contract_path: str | Path | None,
    routes: Sequence[dict[str, str]] | None,
    recursive: bool,
    declare_tables: bool = False,
) -> Iterator[_Batch]:
    """Read new landing files, in (logical file, version, mtime) order, and decide each one.

    Every file that is read gets a ledger row: loaded, rejected, superseded (by a later accepted
    version), duplicate (same bytes as a file already recorded), unrouted, or skipped (an older
    version arriving after a newer one; an unreadable file). A version replaces the current one
    only when it is accepted (loaded, and clean when the contract says ``accept = "clean"``);
    a rejected re-issue leaves the current version in place.
    """
    contract = load_contract(contract_path)
    settings = FinanceSettings(
        landing_dirs=tuple(Path(p) for p in landing_dirs),
        contract_file=contract.path,  # type: ignore[arg-type]
        sources=tuple(SourceMapping(**r) for r in routes) if routes else None,
        recursive=recursive,
        ignore_patterns=DEFAULT_IGNORE,
    )
    state = dlt.current.source_state()
    files: dict[str, dict[str, Any]] = state.setdefault("files", {})  # current accepted version
    rejected: dict[str, list[dict[str, Any]]] = state.setdefault("rejected", {})
    seen_hashes: dict[str, str] = state.setdefault("hashes", {})  # sha -> file id
    hash_paths: dict[str, str] = state.setdefault("hash_paths", {})  # sha -> first path
    stats: dict[str, list] = state.setdefault("stats", {})
    # Ledger rows by key: a file superseded in the same run is written once, with its final status.
    ledger: dict[str, dict[str, Any]] = {}

    def record(row: dict[str, Any]) -> None:
        ledger[row["_ledger_key"]] = row

    candidates = list(discover(settings, contract))
    for number, candidate in enumerate(candidates, start=1):
        progress.report("finance", f"file {number:,} of {len(candidates):,}: {candidate.path.name}")
        stat_key = str(candidate.path)
        known = stats.get(stat_key)
        if known and known[:2] == [candidate.size, candidate.mtime_ns] and known[2] in seen_hashes:
            continue  # unchanged since it was recorded: not even read again
        loaded_at = datetime.now(UTC)
        try:
            raw = candidate.path.read_bytes()
        except OSError as exc:
            log.error("finance file %s unreadable: %s", candidate.path.name, exc)
            record(
                _unparsed_record(
                    candidate,
                    None,
                    loaded_at,
                    "skipped",
                    f"unreadable: {exc.strerror or exc}; retried on the next run",
                    f"unreadable:{candidate.path}",
                )
            )
            continue
        sha = hashlib.sha256(raw).hexdigest()
        if sha in seen_hashes and known is not None and known[2] == sha:
            # The same file touched again: nothing new, and a no-op must not even change the
            # pipeline state (that alone would make a load).
            continue
        stats[stat_key] = [candidate.size, candidate.mtime_ns, sha]
        if sha in seen_hashes:
            first_path = hash_paths.get(sha)
            first_name = Path(first_path).name if first_path else seen_hashes[sha]
            log.warning(
                "finance file %s has the same content as %s; recorded as a duplicate",
                candidate.path.name,
                first_name,
            )
            record(
                _unparsed_record(
                    candidate,
                    sha,
                    loaded_at,
                    "duplicate",
                    f"same content as {first_name} (already read); not loaded again",
                    f"{candidate.file_id}:{sha}:duplicate:{candidate.path.name}",
                    duplicate_of=first_name,
                )
            )
            continue
        seen_hashes[sha] = candidate.file_id
        hash_paths[sha] = stat_key
        if candidate.mapping is None:
            log.warning(
                "finance file %s matches no contract source; recorded as unrouted",
                candidate.path.name,
            )
            record(
                _unparsed_record(
                    candidate,
                    sha,
                    loaded_at,
                    "unrouted",
                    "no contract source matches this file name",
                    f"{candidate.file_id}:{sha}",
                )
            )
            continue
        current = files.get(candidate.file_id)
        if current is not None and candidate.version < int(current["file_version"]):
            reason = (
                f"version {candidate.version} is older than the current version "
                f"{current['file_version']} ({current['file_name']})"
            )
            log.warning("finance file %s skipped: %s", candidate.path.name, reason)
            record(
                _unparsed_record(
                    candidate, sha, loaded_at, "skipped", reason, f"{candidate.file_id}:{sha}"
                )
            )
            continue
        dialect = contract.dialects[candidate.mapping.dialect]
        try:
            parsed = parse_file(candidate.path, candidate.mapping, contract, raw=raw)
        except Exception as exc:  # noqa: BLE001 - one file's parser fault must not stop the rest
            log.exception("finance file %s could not be parsed", candidate.path.name)
            # Not marked as read: retried on the next run (e.g. after a fix), reported meanwhile.
            del seen_hashes[sha], hash_paths[sha], stats[stat_key]
            record(
                _unparsed_record(
                    candidate,
                    sha,
                    loaded_at,
                    "skipped",
                    f"parser error ({type(exc).__name__}: {exc}); nothing loaded, retried on "
                    "the next run",
                    f"{candidate.file_id}:{sha}",
                )
            )
            continue
        earlier = [current] if current is not None else []
        earlier += rejected.get(candidate.file_id, [])
        if (
            earlier
            and parsed.status == "loaded"
            and contract.reissue_accept == "clean"
            and parsed.rows_quarantined
        ):
            parsed = reject_parsed(
                parsed,
                raw,
                dialect,
                f"re-issue rejected: {parsed.rows_quarantined} of {parsed.rows_read} rows failed "
                f"the contract and the contract's re-issue policy is accept = clean",
            )
        if parsed.status == "rejected" and current is not None:
            parsed.error = (
                f"{parsed.error}; the earlier version {current['file_name']} stays current"
            )
        row = ledger_record(parsed, contract.name, loaded_at, count_records(raw, dialect))
        record(row)
        if parsed.status == "loaded":
            for previous in earlier:
                if previous["sha256"] == sha:
                    continue
                replaced = ledger.get(previous["_ledger_key"]) or _restored(previous)
                record(
                    {
                        **replaced,
                        "status": "superseded",
                        "superseded_by": parsed.file_name,
                        "superseded_by_sha256": sha,
                    }
                )
                log.info(
                    "finance file %s re-issued as %s: replaces version %s",
                    previous["file_name"],
                    parsed.file_name,
                    previous["sha256"][:12],
                )
            files[parsed.file_id] = _stored(row)
            rejected[parsed.file_id] = []
        else:
            rejected.setdefault(parsed.file_id, []).append(_stored(row))
        log.info(
            "finance file %s: %s, read %d, loaded %d, quarantined %d",
            parsed.file_name,
            parsed.status,
            parsed.rows_read,
            parsed.rows_loaded,
            parsed.rows_quarantined,
        )
        yield _Batch(parsed, [])
    if ledger or declare_tables:
        yield _Batch(None, list(ledger.values()), declare=True)


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
    declare_tables: bool = False,
) -> list[DltResource]:
    """Finance files in landing folders, loaded per contract with quarantine and a file ledger.

    Args:
        landing_dirs: folders to scan; when None, ``SOURCES__FINANCE__LANDING_DIRS`` (dlt
            config) or ``PMO_HUB_FINANCE_LANDING``, read when the resources run.
        contract_path: contract TOML; the packaged ``finance_v1.toml`` when None.
        routes: overrides of the contract's routing, as ``{"pattern", "entity", "dialect"}``.
        recursive: scan sub-folders too.
        declare_tables: create the ``quarantine`` and ``file_ledger`` tables (empty, typed) even
            when no file is new; otherwise a run with nothing new loads nothing at all.

    Returns:
        One resource per raw table: the entity tables, ``quarantine`` and ``file_ledger``.
    """

    @dlt.resource(name="landing_files", selected=False)
    def landing_files() -> Iterator[_Batch]:
        folders = landing_dirs
        if folders is None:
            configured = dlt.config.get("sources.finance.landing_dirs")
            folders = configured or [str(p) for p in FinanceSettings.from_env().landing_dirs]
        yield from _scan(folders, contract_path, routes, recursive, declare_tables)

    @dlt.transformer(data_from=landing_files, name=QUARANTINE_TABLE, write_disposition="append")
    def quarantine(batch: _Batch) -> Iterator[pa.Table]:
        if batch.parsed is not None and batch.parsed.quarantine.num_rows:
            yield _with_load_id(batch.parsed.quarantine)
        elif batch.parsed is None and batch.declare:
            # The last batch of a run that recorded files: an empty table, so the declared
            # quarantine table exists even after a clean landing (dlt creates it, typed).
            yield _with_load_id(QUARANTINE_SCHEMA.empty_table())

    @dlt.transformer(
        data_from=landing_files,
        name=LEDGER_TABLE,
        write_disposition="merge",
        primary_key="_ledger_key",
    )
    def file_ledger(batch: _Batch) -> Iterator[pa.Table]:
        if batch.ledger or batch.declare:
            yield _with_load_id(pa.Table.from_pylist(batch.ledger, schema=LEDGER_SCHEMA))

    entity_resources = [_entity_transformer(landing_files, table) for table in ENTITY_TABLES]
    return [landing_files, *entity_resources, quarantine, file_ledger]
