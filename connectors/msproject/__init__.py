"""MS Project plans (MSPDI XML, optionally ``.mpp`` via MPXJ) as a dlt source.

Tables (dataset ``raw_msproject``): ``projects``, ``tasks``, ``resources``, ``assignments``,
``predecessor_links``, ``baselines``, ``timephased_actuals`` and the ``files`` ledger.

Change handling: every file is hashed; a file whose hash matches the one in dlt source state is
skipped; a changed (or new) file is parsed and *replaces* its plan's rows in every table (merge
keyed on ``plan_id`` with a tombstone per replaced plan, so vanished tasks disappear); a file that
was deleted from the folder has its rows deleted; a malformed file is recorded as ``failed`` in
``files`` with the file name and position, keeps its earlier rows, and does not stop the others.
``pipelines.msproject_pipeline.load`` raises after loading when any file failed.

Format reference: https://learn.microsoft.com/office-project/xml-data-interchange/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from connectors.msproject.files import PlanScan, ScanPerLoad
from connectors.msproject.parser import MspdiParseError, parse_mspdi
from connectors.msproject.settings import (
    BATCH_SIZE,
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    DEFAULT_FILE_GLOB,
    DEFAULT_PROJECT_CODE_ALIAS,
    FILES_TABLE_COLUMNS,
    PLAN_TABLES,
    SOURCE_NAME,
    TABLE_COLUMNS,
    TOMBSTONE_COLUMN,
    MsProjectSettings,
)

__all__ = [
    "MsProjectSettings",
    "MspdiParseError",
    "PlanScan",
    "msproject_source",
    "parse_mspdi",
]


def _column_hints(columns: dict[str, str]) -> dict[str, dict[str, Any]]:
    hints: dict[str, dict[str, Any]] = {
        name: {"data_type": data_type, "nullable": name != "plan_id"}
        for name, data_type in columns.items()
    }
    for name, hint in hints.items():
        if hint["data_type"] == "decimal":
            hint["precision"], hint["scale"] = DECIMAL_PRECISION, DECIMAL_SCALE
        if name == "plan_id":
            hint["merge_key"] = True
    hints[TOMBSTONE_COLUMN] = {"data_type": "bool", "nullable": True, "hard_delete": True}
    return hints


def _plan_table(scans: ScanPerLoad, table: str) -> DltResource:
    def rows() -> Iterator[pa.Table]:
        load_id = dlt.current.load_package_state()["load_id"]
        scan = scans.get(load_id)
        scan.ensure(dlt.current.source_state())
        yield from scan.table_batches(table, load_id)

    return dlt.resource(
        rows,
        name=table,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key="plan_id",
        columns=_column_hints(TABLE_COLUMNS[table]),
    )


def _files_table(scans: ScanPerLoad) -> DltResource:
    def files() -> Iterator[list[dict[str, Any]]]:
        scan = scans.get(dlt.current.load_package_state()["load_id"])
        scan.ensure(dlt.current.source_state())
        yield scan.ledger_rows()

    return dlt.resource(
        files,
        name="files",
        write_disposition="append",
        columns={
            name: {"data_type": t, "nullable": True} for name, t in FILES_TABLE_COLUMNS.items()
        },
    )


@dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=False)
def msproject_source(
    folders: Sequence[str] = dlt.config.value,
    file_glob: str = DEFAULT_FILE_GLOB,
    mpp_enabled: bool | None = None,
    project_code_alias: str = DEFAULT_PROJECT_CODE_ALIAS,
    project_code_field_id: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> list[DltResource]:
    """MS Project plan files from folders. Calling it does no I/O; resources scan lazily.

    Args:
        folders: folders searched recursively (config ``sources.msproject.folders``).
        file_glob: MSPDI file name pattern.
        mpp_enabled: read ``*.mpp`` through the optional ``mpp`` extra (mpxj + Java); ``None``
            = when installed (otherwise ledger ``skipped`` + warning), ``False`` = ignore them.
        project_code_alias: alias of the custom field holding the finance project code.
        project_code_field_id: FieldID to read when no custom field has that alias.
        batch_size: rows per batch handed to dlt.

    Returns:
        One resource per table plus the ``files`` ledger.
    """
    if isinstance(folders, str | Path):
        folders = [str(folders)]
    settings = MsProjectSettings(
        folders=tuple(Path(f) for f in folders),
        file_glob=file_glob,
        mpp_enabled=mpp_enabled,
        project_code_alias=project_code_alias,
        project_code_field_id=project_code_field_id,
    )
    scans = ScanPerLoad(settings, batch_size=batch_size)
    return [_plan_table(scans, table) for table in PLAN_TABLES] + [_files_table(scans)]
