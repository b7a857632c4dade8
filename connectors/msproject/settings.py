"""Settings and plain data of the MS Project connector (MSPDI XML files, optional .mpp)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"
DATASET_NAME = "raw_msproject"
SOURCE_NAME = "msproject"

DEFAULT_FILE_GLOB = "*.xml"
MPP_FILE_GLOB = "*.mpp"
DEFAULT_PROJECT_CODE_ALIAS = "Finance Project Code"
# MS Project's ResourceUID for the placeholder assignment of a task without resources.
UNASSIGNED_RESOURCE_UID = -65535
# Rows per batch handed to dlt and per spool chunk; bounds memory for very large plans.
BATCH_SIZE = 5_000
HASH_CHUNK_BYTES = 1 << 20

# PredecessorLink Type codes.
LINK_TYPES = {0: "FF", 1: "FS", 2: "SF", 3: "SS"}
# Resource Type codes (cost resources are Type 1 or 0 with IsCostResource = 1).
RESOURCE_TYPES = {0: "material", 1: "work", 2: "cost"}
# TimephasedData Type 2 = assignment actual work.
TIMEPHASED_ACTUAL_WORK = 2

# Environment variables read by ``MsProjectSettings.from_env`` (pmo-hub's own config layer).
ENV_FOLDERS = "PMO_HUB_MSPROJECT_FOLDERS"
ENV_FILE_GLOB = "PMO_HUB_MSPROJECT_FILE_GLOB"
ENV_MPP_ENABLED = "PMO_HUB_MSPROJECT_MPP_ENABLED"

# Column hints per table: declared up front so that a column that is null in every row of a
# first load still exists (staging selects it), and types do not drift between files.
_PLAN = {"plan_id": "text", "_source_file": "text"}
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "projects": {
        **_PLAN,
        "source_file": "text",
        "file_name": "text",
        "file_hash": "text",
        "file_size_bytes": "bigint",
        "project_code": "text",
        "save_version": "bigint",
        "project_name": "text",
        "project_title": "text",
        "manager_name": "text",
        "author": "text",
        "company": "text",
        "status_date": "date",
        "currency_code": "text",
        "currency_symbol": "text",
        "start_at": "timestamp",
        "finish_at": "timestamp",
        "creation_date": "timestamp",
        "last_saved_at": "timestamp",
        "minutes_per_day": "bigint",
        "minutes_per_week": "bigint",
        "days_per_month": "bigint",
        "task_count": "bigint",
        "resource_count": "bigint",
        "assignment_count": "bigint",
    },
    "tasks": {
        **_PLAN,
        "task_uid": "bigint",
        "task_id": "bigint",
        "task_name": "text",
        "wbs": "text",
        "outline_number": "text",
        "outline_level": "bigint",
        "parent_task_uid": "bigint",
        "task_type": "bigint",
        "is_null": "bool",
        "is_summary": "bool",
        "is_milestone": "bool",
        "is_critical": "bool",
        "is_project_summary": "bool",
        "is_active": "bool",
        "priority": "bigint",
        "created_at": "timestamp",
        "start_at": "timestamp",
        "finish_at": "timestamp",
        "duration_hours": "double",
        "duration_format": "bigint",
        "work_hours": "double",
        "cost": "decimal",
        "fixed_cost": "decimal",
        "actual_start_at": "timestamp",
        "actual_finish_at": "timestamp",
        "actual_duration_hours": "double",
        "actual_work_hours": "double",
        "actual_cost": "decimal",
        "remaining_work_hours": "double",
        "remaining_cost": "decimal",
        "percent_complete": "bigint",
        "percent_work_complete": "bigint",
        "constraint_type": "bigint",
        "constraint_date": "timestamp",
        "deadline_date": "date",
        "total_slack_minutes": "double",
        "free_slack_minutes": "double",
        "baseline_start_at": "timestamp",
        "baseline_finish_at": "timestamp",
        "baseline_duration_hours": "double",
        "baseline_work_hours": "double",
        "baseline_cost": "decimal",
        "bcws": "decimal",
        "bcwp": "decimal",
        "acwp": "decimal",
        "notes": "text",
    },
    "resources": {
        **_PLAN,
        "resource_uid": "bigint",
        "resource_id": "bigint",
        "resource_name": "text",
        "resource_type_code": "bigint",
        "resource_type": "text",
        "is_cost_resource": "bool",
        "initials": "text",
        "resource_group": "text",
        "email": "text",
        "nt_account": "text",
        "max_units": "double",
        "standard_rate": "decimal",
        "standard_rate_format": "bigint",
        "overtime_rate": "decimal",
        "cost_per_use": "decimal",
        "is_generic": "bool",
        "is_inactive": "bool",
        "work_hours": "double",
        "actual_work_hours": "double",
        "cost": "decimal",
        "actual_cost": "decimal",
    },
    "assignments": {
        **_PLAN,
        "assignment_uid": "bigint",
        "task_uid": "bigint",
        "resource_uid": "bigint",
        "is_unassigned": "bool",
        "units": "double",
        "work_hours": "double",
        "actual_work_hours": "double",
        "remaining_work_hours": "double",
        "cost": "decimal",
        "actual_cost": "decimal",
        "remaining_cost": "decimal",
        "start_at": "timestamp",
        "finish_at": "timestamp",
        "actual_start_at": "timestamp",
        "actual_finish_at": "timestamp",
        "percent_work_complete": "bigint",
        "baseline_work_hours": "double",
        "baseline_cost": "decimal",
    },
    "predecessor_links": {
        **_PLAN,
        "task_uid": "bigint",
        "predecessor_uid": "bigint",
        "link_type_code": "bigint",
        "link_type": "text",
        "is_cross_project": "bool",
        "cross_project_name": "text",
        "lag_minutes": "double",
        "lag_format": "bigint",
    },
    "baselines": {
        **_PLAN,
        "entity": "text",
        "uid": "bigint",
        "baseline_number": "bigint",
        "start_at": "timestamp",
        "finish_at": "timestamp",
        "duration_hours": "double",
        "work_hours": "double",
        "cost": "decimal",
        "bcws": "decimal",
        "bcwp": "decimal",
    },
    "timephased_actuals": {
        **_PLAN,
        "assignment_uid": "bigint",
        "task_uid": "bigint",
        "resource_uid": "bigint",
        "work_date": "date",
        "actual_hours": "double",
    },
}
PLAN_TABLES = tuple(TABLE_COLUMNS)
TOMBSTONE_COLUMN = "_tombstone"
LOAD_ID_COLUMN = "_dlt_load_id"
# Raw money keeps 4 decimals (sub-cent values in hundredths, rates); staging casts to (18, 2).
DECIMAL_PRECISION, DECIMAL_SCALE = 18, 4

_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    # Naive MSPDI date-times are read as UTC (the format has no zone).
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "decimal": pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
}
ARROW_SCHEMAS: dict[str, pa.Schema] = {
    table: pa.schema(
        [
            pa.field(name, _ARROW_TYPES[data_type], nullable=name != "plan_id")
            for name, data_type in columns.items()
        ]
        + [pa.field(TOMBSTONE_COLUMN, pa.bool_())]
    )
    for table, columns in TABLE_COLUMNS.items()
}

FILES_TABLE_COLUMNS: dict[str, str] = {
    "scanned_at": "timestamp",
    "source_file": "text",
    "relative_path": "text",
    "file_name": "text",
    "plan_id": "text",
    "file_hash": "text",
    "file_size_bytes": "bigint",
    "modified_at": "timestamp",
    "status": "text",  # loaded | skipped | failed | removed
    "error_message": "text",
    "error_line": "bigint",
    "error_column": "bigint",
}


@dataclass(frozen=True)
class MsProjectSettings:
    """Where plan files live and how to read them.

    Attributes:
        folders: folders searched (recursively) for plan files.
        file_glob: MSPDI file name pattern.
        mpp_enabled: read ``.mpp`` files through the optional ``mpp`` extra (MPXJ + Java).
            ``None`` (default) = when the extra and Java are present; without them each
            ``.mpp`` gets a ``skipped`` ledger row naming what to install and a warning.
            ``True`` = a missing extra fails each ``.mpp`` file; ``False`` = ``.mpp`` ignored.
        project_code_alias: alias of the custom field holding the finance project code.
        project_code_field_id: FieldID to use when no custom field has that alias (e.g.
            188743731 = Text1); ``None`` = only the alias.
        recursive: descend into sub-folders.
    """

    folders: tuple[Path, ...]
    file_glob: str = DEFAULT_FILE_GLOB
    mpp_enabled: bool | None = None
    project_code_alias: str = DEFAULT_PROJECT_CODE_ALIAS
    project_code_field_id: int | None = None
    recursive: bool = True

    def __post_init__(self) -> None:
        # Accept what a TOML config gives: one path or a list of strings.
        folders = self.folders
        if isinstance(folders, str | Path):
            folders = (folders,)
        object.__setattr__(self, "folders", tuple(Path(f) for f in folders))

    @classmethod
    def from_env(cls) -> MsProjectSettings:
        """Read ``PMO_HUB_MSPROJECT_*`` variables (folders separated by ``os.pathsep``).

        Raises:
            ValueError: when ``PMO_HUB_MSPROJECT_FOLDERS`` is not set.
        """
        raw = os.environ.get(ENV_FOLDERS, "")
        folders = tuple(Path(p) for p in raw.split(os.pathsep) if p)
        if not folders:
            raise ValueError(f"msproject.folders is not set ({ENV_FOLDERS})")
        return cls(
            folders=folders,
            file_glob=os.environ.get(ENV_FILE_GLOB, DEFAULT_FILE_GLOB),
            mpp_enabled=_optional_bool(os.environ.get(ENV_MPP_ENABLED, "")),
        )


def _optional_bool(text: str) -> bool | None:
    """``1/true/yes`` -> True, ``0/false/no`` -> False, empty or ``auto`` -> None."""
    value = text.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    if value in ("", "auto"):
        return None
    raise ValueError(f"{ENV_MPP_ENABLED}: {text!r} is not true, false or auto")
