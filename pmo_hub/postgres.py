"""PostgreSQL target: fail fast on a wrong URL/role, and say who blocks when a lock times out.

dbt and the bi_reader grants run with ``lock_timeout`` (``[warehouse] lock_timeout_s``, passed
through libpq's ``PGOPTIONS``, see ``HubConfig.dbt_env``). When it fires, dbt only says
"canceling statement due to lock timeout"; :func:`explain_dbt_failure` turns that into a message
naming the sessions that hold locks on the warehouse's tables (pid, user, application, client,
state, since when, what they ran), read from ``pg_locks`` and ``pg_stat_activity``.
Messages never contain the password of the URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from pmo_hub.config import HubConfig
from pmo_hub.errors import WarehouseError, WarehouseLockedError

CONNECT_TIMEOUT_SECONDS = 10
URL_VARIABLE = "PMO_HUB_POSTGRES_URL"
LOCK_TIMEOUT_MARKERS = ("lock timeout", "LockNotAvailable", "canceling statement due to lock")


def describe_url(url: str) -> str:
    """``host:port/database as role`` of a PostgreSQL URL: no password, no query string."""
    parts = urlsplit(url)
    user = unquote(parts.username or "postgres")
    database = (parts.path or "/postgres").lstrip("/") or "postgres"
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}/{database} as role {user!r}"


def scrub(text: str, url: str | None) -> str:
    """``text`` with the URL's password (raw and decoded) and any user:password@ removed."""
    if url:
        password = urlsplit(url).password
        for secret in {password, unquote(password or "")} - {None, ""}:
            text = text.replace(secret, "***")  # type: ignore[arg-type]
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]+):[^@\s]+@", r"\1:***@", text)


def explain_connection_error(exc: BaseException, config: HubConfig) -> WarehouseError:
    """A WarehouseError for a failed connection: where, as whom, PostgreSQL's reason, what to fix."""
    url = config.warehouse.postgres_url or ""
    reason = " ".join(str(exc).split())  # psycopg2 spreads one message over several lines
    reason = scrub(reason, url)
    return WarehouseError(
        f"PostgreSQL at {describe_url(url)} refused or could not open the connection: {reason}; "
        f"check {URL_VARIABLE} (host, port, database, role and password) and that the server "
        "accepts connections from this machine"
    )


@contextmanager
def connect(config: HubConfig, application_name: str = "pmo-hub") -> Iterator[Any]:
    """A psycopg2 connection to the warehouse with a bounded connect timeout; errors explained."""
    import psycopg2

    url = config.require_postgres_url()
    try:
        con = psycopg2.connect(
            url, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name=application_name
        )
    except psycopg2.Error as exc:
        raise explain_connection_error(exc, config) from None
    try:
        yield con
    finally:
        con.close()


def check_connection(config: HubConfig) -> None:
    """Open and close one connection (``pmo-hub run`` does this before anything starts)."""
    with connect(config, "pmo-hub check") as con, con.cursor() as cur:
        cur.execute("select 1")


BLOCKERS_SQL = """
select a.pid, a.usename, a.application_name, host(a.client_addr), a.state,
       a.xact_start, a.query_start, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120),
       string_agg(distinct l.mode, ', ' order by l.mode),
       string_agg(distinct n.nspname || '.' || c.relname, ', ' order by n.nspname || '.' || c.relname)
from pg_locks l
join pg_stat_activity a on a.pid = l.pid
join pg_class c on c.oid = l.relation
join pg_namespace n on n.oid = c.relnamespace
where l.locktype = 'relation'
  and l.granted
  and l.database = (select oid from pg_database where datname = current_database())
  and l.pid <> pg_backend_pid()
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_%'
  and coalesce(a.application_name, '') not like 'pmo-hub%%'
group by 1, 2, 3, 4, 5, 6, 7, 8
order by a.xact_start nulls last
limit 5
"""


def lock_blockers(config: HubConfig) -> list[dict[str, Any]]:
    """Sessions (other than pmo-hub's own) holding locks on tables of the warehouse database."""
    with connect(config, "pmo-hub lock diagnosis") as con, con.cursor() as cur:
        cur.execute(BLOCKERS_SQL)
        names = (
            "pid",
            "user",
            "application_name",
            "client_addr",
            "state",
            "transaction_start",
            "query_start",
            "query",
            "modes",
            "tables",
        )
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def format_blocker(blocker: dict[str, Any]) -> str:
    since = blocker["transaction_start"] or blocker["query_start"]
    since_text = since.isoformat(timespec="seconds") if since else "unknown"
    app = blocker["application_name"] or "no application_name"
    client = blocker["client_addr"] or "local socket"
    return (
        f"pid {blocker['pid']} (user {blocker['user']}, {app}, from {client}, "
        f"{blocker['state']}, transaction open since {since_text}, last query: "
        f"{blocker['query']!r}) holds {blocker['modes']} on {blocker['tables']}"
    )


def is_lock_timeout(text: str) -> bool:
    return any(marker in text for marker in LOCK_TIMEOUT_MARKERS)


def lock_timeout_error(config: HubConfig, step: str) -> WarehouseLockedError:
    """The error to raise when ``step`` gave up waiting for a lock: names the blocking sessions."""
    timeout = config.warehouse.lock_timeout_s
    try:
        blockers = [format_blocker(b) for b in lock_blockers(config)]
    except WarehouseError as exc:  # could not even look: say so rather than hide the timeout
        blockers = [f"(could not list the blocking sessions: {exc})"]
    who = "; ".join(blockers) if blockers else "no session holds a lock any more (it has ended)"
    return WarehouseLockedError(
        f"{step} waited {timeout:g} s ([warehouse] lock_timeout_s) for a table lock on PostgreSQL "
        f"{describe_url(config.warehouse.postgres_url or '')} and gave up. Blocking: {who}. "
        "Ask its owner to commit or close it, end it with select pg_terminate_backend(<pid>), or "
        "raise lock_timeout_s (0 waits forever)."
    )


def explain_dbt_failure(
    exc: BaseException, config: HubConfig, step: str = "dbt"
) -> Exception | None:
    """A clearer error for a failed dbt invocation, or None to keep ``exc``.

    PostgreSQL: a lock timeout names the blocking sessions. DuckDB: a file locked by another
    process names that process.
    """
    text = str(exc)
    if config.warehouse.target == "postgres":
        return lock_timeout_error(config, step) if is_lock_timeout(text) else None
    return duckdb_lock_error(text, config, step)


def duckdb_lock_error(text: str, config: HubConfig, step: str) -> WarehouseLockedError | None:
    """DuckDB's "Could not set lock on file" (inside any wrapper's text) as a named error."""
    if "Could not set lock on file" not in text and "Conflicting lock is held" not in text:
        return None
    holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    who = f" (PID {holder.group(2)}: {holder.group(1)})" if holder else ""
    return WarehouseLockedError(
        f"the warehouse file {config.warehouse.duckdb_path} is locked by another process{who}; "
        f"{step} could not write to it. Wait for that process to finish, or close the program "
        "holding the file open (a DuckDB shell, a BI tool on the warehouse instead of the "
        "read-only copy)."
    )
