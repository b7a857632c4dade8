"""One writer per warehouse: a second concurrent run is refused at once, naming the first.

DuckDB target: an exclusive ``flock`` on ``<warehouse file>.run.lock`` beside the DuckDB file,
which also holds the owner's pid, host and start time. The operating system releases the lock
when its process ends (even on kill -9), so a lock left by a dead run is simply taken over.
PostgreSQL target: a session-level advisory lock (key derived from the database and schema
prefix) held by one connection for the run; PostgreSQL releases it when the connection ends.

Usage: ``with warehouse_run_lock(config): ...`` or ``lock = acquire_run_lock(config)`` then
``lock.release()`` (also released when the object is garbage-collected or the process exits).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmo_hub.config import HubConfig
from pmo_hub.errors import RunInProgressError

APPLICATION_NAME = "pmo-hub run"

# Locks this process holds, by identity: a nested acquire (the CLI, then the job it starts) shares
# the outer lock instead of refusing its own process.
_HELD: dict[str, int] = {}


def lock_path(config: HubConfig) -> Path:
    """The lock file of a DuckDB warehouse: beside the database file."""
    path = config.warehouse.duckdb_path
    return path.with_name(path.name + ".run.lock")


def _owner() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class RunLock:
    """A held run lock; :meth:`release` (or leaving the ``with`` block) frees it."""

    def __init__(self, release: Any) -> None:
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.release()


def _acquire_file_lock(config: HubConfig) -> RunLock:
    path = lock_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            owner = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
        except (OSError, ValueError):
            owner = {}
        os.close(fd)
        raise RunInProgressError(
            f"another run is in progress on the warehouse {config.warehouse.duckdb_path} "
            f"(pid {owner.get('pid', 'unknown')} on {owner.get('host', 'this machine')}, "
            f"started at {owner.get('started_at', 'unknown')}); wait for it to finish "
            f"(lock file {path})"
        ) from None
    # Ours now (a previous owner that died released its flock with its process): record us.
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(_owner()).encode("utf-8"), 0)

    def release() -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the flock

    return RunLock(release)


def advisory_key(config: HubConfig) -> int:
    """A stable non-negative 63-bit advisory lock key for this warehouse (database + prefix)."""
    from urllib.parse import urlsplit

    parts = urlsplit(config.require_postgres_url())
    identity = f"pmo-hub run|{parts.hostname}|{parts.port}|{parts.path}|"
    identity += config.warehouse.postgres_schema_prefix
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big") >> 1


def _acquire_advisory_lock(config: HubConfig) -> RunLock:
    from pmo_hub.postgres import connect

    key = advisory_key(config)
    owner = _owner()
    name = f"{APPLICATION_NAME} pid={owner['pid']} host={owner['host']}"[:63]
    stack = contextlib.ExitStack()
    con = stack.enter_context(connect(config, name))
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s)", (key,))
        if not cur.fetchone()[0]:
            cur.execute(
                "select a.pid, a.application_name, a.backend_start, host(a.client_addr) "
                "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
                "where l.locktype = 'advisory' and l.granted "
                "and l.classid = (%s::bigint >> 32)::oid and l.objid = (%s::bigint & 4294967295)::oid "
                "limit 1",
                (key, key),
            )
            row = cur.fetchone()
            stack.close()
            if row:
                pid, app, started, client = row
                who = f"{app or 'unknown application'}, PostgreSQL pid {pid}, from " + (
                    client or "local socket"
                )
                started_text = started.isoformat(timespec="seconds")
            else:
                who, started_text = "unknown", "unknown"
            raise RunInProgressError(
                f"another run is in progress on this PostgreSQL warehouse ({who}, started at "
                f"{started_text}); wait for it to finish"
            )
    return RunLock(stack.close)


def _identity(config: HubConfig) -> str:
    if config.warehouse.target == "postgres":
        return f"postgres:{advisory_key(config)}"
    return f"duckdb:{lock_path(config).resolve()}"


def acquire_run_lock(config: HubConfig) -> RunLock:
    """Take the warehouse's run lock now or raise :class:`RunInProgressError` at once."""
    identity = _identity(config)
    if _HELD.get(identity):
        _HELD[identity] += 1
        return RunLock(lambda: _HELD.__setitem__(identity, _HELD[identity] - 1))
    if config.warehouse.target == "postgres":
        lock = _acquire_advisory_lock(config)
    else:
        lock = _acquire_file_lock(config)
    _HELD[identity] = 1
    inner = lock._release

    def release() -> None:
        _HELD.pop(identity, None)
        inner()

    lock._release = release
    return lock


@contextlib.contextmanager
def warehouse_run_lock(config: HubConfig) -> Iterator[RunLock]:
    lock = acquire_run_lock(config)
    try:
        yield lock
    finally:
        lock.release()
