"""Plan files: discovery, hashing, stable plan ids, the change scan and the row spool.

The scan runs once per extraction (lazily, inside the first resource that needs it): each file
is hashed and compared with the hash kept in dlt source state; a changed file is parsed once and
its rows are spooled to temporary files per table, from which every table resource then reads.
One parse per file feeds all tables, and memory stays bounded by one batch.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from connectors.msproject.mpp import MppUnavailable, mpp_unavailable_reason, read_mpp
from connectors.msproject.parser import MspdiParseError, parse_mspdi
from connectors.msproject.settings import (
    ARROW_SCHEMAS,
    BATCH_SIZE,
    HASH_CHUNK_BYTES,
    LOAD_ID_COLUMN,
    MPP_FILE_GLOB,
    PLAN_TABLES,
    TOMBSTONE_COLUMN,
    MsProjectSettings,
)

logger = logging.getLogger(__name__)

Row = dict[str, Any]


def _with_load_id(table: pa.Table, load_id: str) -> pa.Table:
    return table.append_column(
        pa.field(LOAD_ID_COLUMN, pa.string(), nullable=False),
        pa.array([load_id] * table.num_rows, pa.string()),
    )


@dataclass(frozen=True)
class PlanFile:
    """One discovered plan file."""

    path: Path
    relative_path: str  # posix, relative to its configured folder
    plan_id: str

    @property
    def is_mpp(self) -> bool:
        return self.path.suffix.lower() == ".mpp"


def plan_id_for(relative_path: str) -> str:
    """Stable id of a plan file: derived from its path relative to the configured folder.

    Moving the whole folder keeps the ids; renaming or moving the file makes a new plan.
    """
    return "msp_" + hashlib.sha256(relative_path.encode("utf-8")).hexdigest()[:16]


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def discover_files(settings: MsProjectSettings) -> list[PlanFile]:
    """Plan files in the configured folders, sorted for a stable order.

    Raises:
        FileNotFoundError: a configured folder does not exist (a typo must not look like "no
            plans").
    """
    # .mpp files are looked for unless switched off explicitly: without the extra they are
    # still listed (ledger "skipped" with the reason) rather than silently ignored.
    patterns = [settings.file_glob] + ([MPP_FILE_GLOB] if settings.mpp_enabled is not False else [])
    found: dict[str, PlanFile] = {}
    for folder in settings.folders:
        root = Path(folder)
        if not root.is_dir():
            raise FileNotFoundError(f"msproject.folders: {root} is not a folder")
        for pattern in patterns:
            matches = root.rglob(pattern) if settings.recursive else root.glob(pattern)
            for path in matches:
                if not path.is_file():
                    continue
                relative = path.relative_to(root).as_posix()
                plan_id = plan_id_for(relative)
                if plan_id in found and found[plan_id].path != path:
                    # Same relative path under two folders: qualify by the folder name.
                    relative = f"{root.name}/{relative}"
                    plan_id = plan_id_for(relative)
                found.setdefault(plan_id, PlanFile(path, relative, plan_id))
    return sorted(found.values(), key=lambda f: f.relative_path)


@dataclass
class LedgerEntry:
    """One row of the ``files`` ledger."""

    source_file: str
    relative_path: str
    file_name: str
    plan_id: str
    status: str
    file_hash: str | None = None
    file_size_bytes: int | None = None
    modified_at: datetime | None = None
    error_message: str | None = None
    error_line: int | None = None
    error_column: int | None = None

    def row(self, scanned_at: datetime) -> Row:
        return {"scanned_at": scanned_at, **self.__dict__}


@dataclass
class PlanScan:
    """The change scan of one extraction, shared by every resource of the source.

    Constructing it does no I/O; ``ensure()`` scans on first use.
    """

    settings: MsProjectSettings
    batch_size: int = BATCH_SIZE
    ledger: list[LedgerEntry] = field(default_factory=list)
    replaced_plan_ids: list[str] = field(default_factory=list)
    # Things the run summary should show although nothing failed (e.g. .mpp files not read).
    warnings: list[str] = field(default_factory=list)
    scanned_at: datetime | None = None
    _spools: dict[str, list[Path]] = field(default_factory=dict)
    _tmp: tempfile.TemporaryDirectory | None = None
    _done: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def failures(self) -> list[LedgerEntry]:
        """Ledger entries of files that could not be loaded."""
        return [e for e in self.ledger if e.status == "failed"]

    def ensure(self, state: dict[str, Any]) -> None:
        """Scan the folders once, against ``state`` (dlt source state, edited in place)."""
        with self._lock:
            if not self._done:
                self._scan(state)
                self._done = True

    def _scan(self, state: dict[str, Any]) -> None:
        known: dict[str, dict[str, str]] = state.setdefault("files", {})
        self.scanned_at = datetime.now(UTC)
        self._tmp = tempfile.TemporaryDirectory(prefix="pmo_msproject_")
        self._spools = {table: [] for table in PLAN_TABLES}
        seen: set[str] = set()
        for plan_file in discover_files(self.settings):
            seen.add(plan_file.plan_id)
            self._scan_file(plan_file, known)
        for plan_id in sorted(set(known) - seen):
            # The file is gone: its rows go too (tombstones), and it leaves the state.
            previous = known.pop(plan_id)
            self.replaced_plan_ids.append(plan_id)
            self.ledger.append(
                LedgerEntry(
                    previous.get("source_file", ""),
                    previous.get("relative_path", ""),
                    Path(previous.get("relative_path", "")).name,
                    plan_id,
                    "removed",
                    file_hash=previous.get("hash"),
                )
            )
        for entry in self.failures:
            logger.error("MS Project file not loaded: %s", entry.error_message)

    def _scan_file(self, plan_file: PlanFile, known: dict[str, dict[str, str]]) -> None:
        path = plan_file.path
        stat = path.stat()
        entry = LedgerEntry(
            str(path),
            plan_file.relative_path,
            path.name,
            plan_file.plan_id,
            "loaded",
            modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
        )
        self.ledger.append(entry)
        entry.file_hash, entry.file_size_bytes = file_sha256(path)
        previous = known.get(plan_file.plan_id)
        if previous and previous.get("hash") == entry.file_hash:
            entry.status = "skipped"
            return
        if plan_file.is_mpp and self.settings.mpp_enabled is None:
            reason = mpp_unavailable_reason()
            if reason is not None:
                # Not an error of the file: recorded, warned about, and read once the extra is
                # installed (the state is not updated, so the next run tries again).
                entry.status = "skipped"
                entry.error_message = f"skipped: {reason}"
                self.warnings.append(f"{path}: {entry.error_message}")
                logger.warning("MS Project file not read: %s: %s", path, entry.error_message)
                return
        assert self._tmp is not None
        work = Path(self._tmp.name) / plan_file.plan_id
        work.mkdir(exist_ok=True)
        try:
            spools = self._spool_file(plan_file, entry, work)
        except MppUnavailable as exc:
            entry.status = "failed"
            entry.error_message = f"{path}: {exc}"
            shutil.rmtree(work, ignore_errors=True)
            return
        except MspdiParseError as exc:
            entry.status = "failed"
            entry.error_message = str(exc)
            entry.error_line, entry.error_column = exc.line, exc.column
            shutil.rmtree(work, ignore_errors=True)
            return
        except OSError as exc:
            entry.status = "failed"
            entry.error_message = f"{path}: cannot read the file: {exc.strerror or exc}"
            shutil.rmtree(work, ignore_errors=True)
            return
        for table, spool in spools.items():
            self._spools[table].append(spool)
        self.replaced_plan_ids.append(plan_file.plan_id)
        known[plan_file.plan_id] = {
            "hash": entry.file_hash or "",
            "relative_path": plan_file.relative_path,
            "source_file": str(path),
        }

    def _spool_file(self, plan_file: PlanFile, entry: LedgerEntry, work: Path) -> dict[str, Path]:
        """Parse one file into an Arrow IPC stream per table.

        Rows become Arrow here, inside the file's own try, so a value the warehouse type cannot
        hold fails this file only, not the run.
        """
        batches: dict[str, list[Row]] = {table: [] for table in PLAN_TABLES}
        spools = {table: work / f"{table}.arrow" for table in PLAN_TABLES}
        writers = {
            table: pa.ipc.new_stream(str(spools[table]), ARROW_SCHEMAS[table])
            for table in PLAN_TABLES
        }
        source_file = str(plan_file.path)

        def flush(table: str) -> None:
            try:
                writers[table].write_table(
                    pa.Table.from_pylist(batches[table], schema=ARROW_SCHEMAS[table])
                )
            except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
                raise MspdiParseError(
                    plan_file.path, f"{table}: a value does not fit its column: {exc}"
                ) from None
            batches[table] = []

        try:
            read = read_mpp if plan_file.is_mpp else parse_mspdi
            for table, row in read(
                plan_file.path,
                plan_file.plan_id,
                project_code_alias=self.settings.project_code_alias,
                project_code_field_id=self.settings.project_code_field_id,
            ):
                if table == "projects":
                    row["source_file"] = source_file
                    row["file_name"] = plan_file.path.name
                    row["file_hash"] = entry.file_hash
                    row["file_size_bytes"] = entry.file_size_bytes
                row["_source_file"] = source_file
                batches[table].append(row)
                if len(batches[table]) >= self.batch_size:
                    flush(table)
            for table in PLAN_TABLES:
                if batches[table]:
                    flush(table)
        finally:
            for writer in writers.values():
                writer.close()
        return spools

    def table_batches(self, table: str, load_id: str) -> Iterator[pa.Table]:
        """Arrow batches for ``table``: tombstones of replaced plans first, then new rows.

        Arrow items skip dlt's row normalizer (several times faster), which also means dlt adds
        no ``_dlt_load_id``: it is stamped here from the current load package.
        """
        if self.replaced_plan_ids:
            # Merge on plan_id deletes every earlier row of these plans; the tombstones themselves
            # are not inserted. This is how vanished tasks (and whole removed files) disappear.
            tombstones = [
                {"plan_id": pid, TOMBSTONE_COLUMN: True} for pid in self.replaced_plan_ids
            ]
            yield _with_load_id(
                pa.Table.from_pylist(tombstones, schema=ARROW_SCHEMAS[table]), load_id
            )
        for spool in self._spools.get(table, []):
            with pa.ipc.open_stream(str(spool)) as reader:
                for batch in reader:
                    if batch.num_rows:
                        yield _with_load_id(pa.Table.from_batches([batch]), load_id)
            spool.unlink(missing_ok=True)

    def cleanup(self) -> None:
        """Remove the spool folder (also happens when the scan is garbage-collected)."""
        if self._tmp is not None:
            self._tmp.cleanup()

    def ledger_rows(self) -> list[Row]:
        """The ``files`` ledger rows of this scan."""
        assert self.scanned_at is not None
        return [entry.row(self.scanned_at) for entry in self.ledger]


class ScanPerLoad:
    """One ``PlanScan`` per extraction, shared by the resources of that extraction.

    A source object can be extracted more than once (Dagster's dlt integration runs the same
    object on every materialization); keying the scan by the load id makes each run scan anew.
    """

    def __init__(self, settings: MsProjectSettings, batch_size: int = BATCH_SIZE) -> None:
        self.settings = settings
        self.batch_size = batch_size
        self._load_id: str | None = None
        self._scan: PlanScan | None = None
        self._lock = threading.Lock()

    def get(self, load_id: str) -> PlanScan:
        """The scan of the extraction ``load_id`` (a new one when the load id changes)."""
        with self._lock:
            if self._scan is None or self._load_id != load_id:
                if self._scan is not None:
                    self._scan.cleanup()
                self._scan = PlanScan(self.settings, batch_size=self.batch_size)
                self._load_id = load_id
            return self._scan
