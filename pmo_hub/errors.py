"""Errors a run reports to the user: what failed, where, and which setting or variable fixes it.

Every exception here has a ``str()`` that is a complete, secret-free, actionable message, because
that text is what the run summary prints (Dagster's event log may be gone by then). Connectors
raise them (through their own subclasses); ``transient`` tells whether running again later may
succeed without changing anything.

The HTTP clients retry only transient failures (read timeouts, 429, 5xx, connection resets once
the host has answered); authentication/authorization errors, other 4xx and an unreachable host on
first contact fail at once.
"""

from __future__ import annotations

from typing import Any

# Short names of the systems as users know them (for messages).
SYSTEM_LABELS = {
    "jira": "Jira",
    "planner": "Microsoft Planner",
    "msproject": "MS Project",
    "finance": "Finance files",
    "warehouse": "The warehouse",
}


class PmoHubError(RuntimeError):
    """Base of pmo-hub's own errors; ``str()`` is the message to show as is."""


class SourceError(PmoHubError):
    """A source system failed; the message names the source, the URL and the setting to fix.

    Attributes:
        system: ``jira``, ``planner``, ``msproject``, ``finance``.
        url: the site/endpoint involved (never with a query string or credentials), if any.
        setting: the setting or environment variable most likely to fix it, if known.
        status: the HTTP status, when the server answered.
        transient: True when retrying later may succeed without a configuration change.
    """

    transient: bool = False

    def __init__(
        self,
        system: str,
        message: str,
        *,
        url: str | None = None,
        setting: str | None = None,
        status: int | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.system = system
        self.message = message
        self.url = url
        self.setting = setting
        self.status = status
        if transient is not None:
            self.transient = transient

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across Dagster's process boundaries
        return (
            _rebuild,
            (type(self), self.system, self.message, self.url, self.setting, self.status),
        )


def _rebuild(cls: type[SourceError], system: str, message: str, url, setting, status):  # noqa: ANN001
    error = cls.__new__(cls)
    SourceError.__init__(error, system, message, url=url, setting=setting, status=status)
    return error


class SourceAuthError(SourceError):
    """The source refused the credentials (401) or the permission (403): fix the secret/grant."""


class SourceUnreachableError(SourceError):
    """The host could not be reached: DNS, connection refused, TLS handshake, connect timeout."""

    transient = True


class SourceDataError(SourceError):
    """The source answered something deterministic the connector cannot use (bad request, bad
    file, 404 of a configured object): retrying gives the same answer."""


class SourceTransientError(SourceError):
    """Retries of a transient failure (429, 5xx, timeouts, resets) ran out; run again later."""

    transient = True


class WarehouseError(PmoHubError):
    """The warehouse could not be used (wrong URL/role, locked file, lock timeout)."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse (DuckDB file lock or a PostgreSQL lock)."""


class RunInProgressError(WarehouseError):
    """Another pmo-hub run writes to the same warehouse."""


# ---- classification of requests' connection errors ------------------------------------------


def connection_failure(exc: BaseException) -> tuple[str, bool]:
    """(short reason, unreachable?) for an exception from ``requests``.

    ``unreachable`` is True for failures that will not go away by retrying within this run: DNS
    lookup, connection refused, TLS handshake/certificate, connect timeout. A reset or a read
    timeout on an established connection is transient.
    """
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        detail = _innermost_text(exc)
        if "CERTIFICATE_VERIFY_FAILED" in detail or "certificate verify failed" in detail:
            return "TLS certificate verification failed", True
        return "TLS handshake failed", True
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout", True
    if isinstance(exc, requests.exceptions.ReadTimeout | requests.exceptions.Timeout):
        return "read timeout", False
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = _innermost_text(exc)
        lowered = text.lower()
        if (
            "nameresolution" in lowered
            or "name or service not known" in lowered
            or ("failed to resolve" in lowered)
            or "nodename nor servname" in lowered
            or "temporary failure in name resolution" in (lowered)
        ):
            return "DNS lookup failed", True
        if "refused" in lowered:
            return "connection refused", True
        if "unreachable" in lowered or "no route to host" in lowered:
            return "network unreachable", True
        if "newconnectionerror" in lowered:
            return "cannot connect", True
        if "reset" in lowered:
            return "connection reset", False
        if "aborted" in lowered or "remotedisconnected" in lowered:
            return "connection closed by the server", False
        return "connection error", False
    return type(exc).__name__, False


def _innermost_text(exc: BaseException) -> str:
    """Type names and messages along the exception's args/cause chain (for classification only)."""
    parts: list[str] = []
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        parts.append(f"{type(item).__name__}: {item}")
        stack.extend(item.args)
        stack.append(getattr(item, "reason", None))
        stack.append(item.__cause__)
        stack.append(item.__context__)
    return " | ".join(parts)


def find_source_error(exc: BaseException) -> SourceError | None:
    """The first :class:`SourceError` in ``exc``'s cause/context chain (dlt wraps extract errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, SourceError):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "exception", None)])
    return None
