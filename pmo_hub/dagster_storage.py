"""The local Dagster instance's event log: Dagster's SQLite storage without an fsync per event.

Dagster's SQLite event log opens, commits and closes a connection for every event, and SQLite's
default (``synchronous=FULL``) flushes the disk at each commit and at each closing checkpoint. A
sync run writes ~2,000 events (every dbt model and test is an event), so on this project's
2-core machine the flushes alone took longer than dbt (~24 ms per event against ~1.6 ms without).
This storage keeps Dagster's files and schema and sets ``synchronous=OFF`` on its own
connections: a crash of the process loses nothing (the data is in the operating system's cache);
a power cut may lose the newest events of the run history, never the warehouse. A team deployment
stores runs in PostgreSQL instead (``deploy/dagster/dagster.yaml``).

Referenced from the ``dagster.yaml`` that ``pmo_hub.runs.dagster_home`` writes, so `pmo-hub run`,
`dagster dev` and the daemon all use it.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Folders whose SQLite files get synchronous=OFF: only the event logs of instances using this class.
_RELAXED_DIRS: set[str] = set()


@event.listens_for(Engine, "connect")
def _relax_fsync(dbapi_connection: Any, connection_record: Any) -> None:
    if not _RELAXED_DIRS or not isinstance(dbapi_connection, sqlite3.Connection):
        return
    row = dbapi_connection.execute("pragma database_list").fetchone()
    path = os.path.abspath(row[2]) if row and row[2] else ""
    if any(path.startswith(folder + os.sep) for folder in _RELAXED_DIRS):
        dbapi_connection.execute("pragma synchronous=OFF")


class LocalSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, one file per run plus the index, without per-event fsyncs."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        _RELAXED_DIRS.add(os.path.abspath(base_dir))
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: Any
    ) -> LocalSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)
