"""A small threaded HTTP(S) server with routing and fault injection, shared by the sandbox servers.

Each sandbox service (Jira, Microsoft identity + Graph) registers routes on a :class:`Router` and
runs in a :class:`SandboxServer` on a free loopback port. Faults (429 with ``Retry-After``, 5xx
bursts, latency) are injected before routing, deterministically by request number, so tests can
assert exact outcomes.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.tls import CertificatePair


@dataclass
class FaultConfig:
    """What goes wrong, and how often. Zero means never."""

    rate_limit_every: int = 0  # every Nth request answers 429
    retry_after_seconds: float = 1.0
    error_burst_every: int = 0  # every Nth request starts a burst of 5xx answers
    error_burst_length: int = 2
    error_status: int = 503
    latency_seconds: float = 0.0
    # Search-style endpoints hide changes younger than this, like an eventually consistent index.
    consistency_lag_seconds: float = 0.0
    # Paths (regex) exempt from faults, e.g. discovery documents.
    exempt_paths: tuple[str, ...] = ()


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups from the route

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        return default if value in (None, "") else int(value)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class SandboxResponse:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes for a raw body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def json_response(body: Any, status: int = 200, **headers: str) -> SandboxResponse:
    return SandboxResponse(status=status, body=body, headers=dict(headers))


Handler = Callable[[SandboxRequest], SandboxResponse]
# (status, message, request) -> the product's error response for 404/405/500 outside any route.
ErrorFactory = Callable[[int, str, SandboxRequest], SandboxResponse]


def jira_error(status: int, message: str, request: SandboxRequest) -> SandboxResponse:
    """Jira's error body: ``{"errorMessages": [...], "errors": {}}``."""
    return json_response({"errorMessages": [message], "errors": {}}, status)


class Router:
    def __init__(self, error: ErrorFactory = jira_error) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        # Each product answers unknown routes and wrong methods in its own error shape.
        self.error = error

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if method != request.method:
                continue
            request.params = match.groupdict()
            return handler(request)
        if path_matched:
            return self.error(405, "Method not allowed", request)
        return self.error(404, f"No route for {request.path}", request)


class FaultInjector:
    """Decides, per request number, whether to answer with a fault instead of the route."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._count = 0
        self._burst_left = 0
        self.injected: Counter[int] = Counter()

    def check(self, path: str) -> SandboxResponse | None:
        cfg = self.config
        if any(re.search(p, path) for p in cfg.exempt_paths):
            return None
        with self._lock:
            self._count += 1
            n = self._count
            if self._burst_left > 0:
                self._burst_left -= 1
                self.injected[cfg.error_status] += 1
                return self._error()
            if cfg.error_burst_every and n % cfg.error_burst_every == 0:
                self._burst_left = max(0, cfg.error_burst_length - 1)
                self.injected[cfg.error_status] += 1
                return self._error()
            if cfg.rate_limit_every and n % cfg.rate_limit_every == 0:
                self.injected[429] += 1
                return self._rate_limited()
        return None

    def _error(self) -> SandboxResponse:
        headers = {}
        if self.config.error_status == 503:
            headers["Retry-After"] = f"{self.config.retry_after_seconds:g}"
        return json_response(
            {"errorMessages": ["Service temporarily unavailable"]},
            self.config.error_status,
            **headers,
        )

    def _rate_limited(self) -> SandboxResponse:
        reset = datetime.now(UTC) + timedelta(seconds=self.config.retry_after_seconds)
        return json_response(
            {"errorMessages": ["Rate limit exceeded."]},
            429,
            **{
                "Retry-After": f"{self.config.retry_after_seconds:g}",
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat(timespec="seconds"),
                "RateLimit-Reason": "jira-burst-based",
            },
        )


class SandboxServer:
    """Runs a router on a loopback port in a background thread; use as a context manager."""

    def __init__(
        self,
        router: Router,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: CertificatePair | None = None,
        faults: FaultConfig | None = None,
    ) -> None:
        self.router = router
        self.name = name
        self.faults = FaultInjector(faults or FaultConfig())
        self.request_counts: Counter[str] = Counter()  # "GET /rest/api/3/search/jql" -> n
        # Called with every (request, response) before it is sent, faults included: a product's
        # own response headers (Graph's request-id) go here.
        self.response_hook: Callable[[SandboxRequest, SandboxResponse], None] | None = None
        self._counts_lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without TCP_NODELAY each keep-alive response waits ~40 ms for a delayed ACK.
            disable_nagle_algorithm = True
            # Headers and body go out in two writes; with Nagle on, each keep-alive response
            # then stalls ~40 ms on the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # keep test output clean; requests are counted instead

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = SandboxRequest(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with server._counts_lock:
                    server.request_counts[f"{self.command} {split.path}"] += 1
                if server.faults.config.latency_seconds:
                    time.sleep(server.faults.config.latency_seconds)
                response = server.faults.check(split.path)
                if response is None:
                    try:
                        response = server.router.dispatch(request)
                    except Exception as exc:  # a sandbox bug must surface as a 500, not a hang
                        response = server.router.error(500, f"sandbox error: {exc!r}", request)
                if server.response_hook is not None:
                    server.response_hook(request, response)
                self._send(response)

            def _send(self, response: SandboxResponse) -> None:
                if isinstance(response.body, bytes):
                    payload = response.body
                elif response.body is None:
                    payload = b""
                else:
                    payload = json.dumps(response.body, separators=(",", ":"), default=str).encode()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls.cert_path), str(tls.key_path))
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self.host = "localhost" if tls is not None else host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def total_requests(self) -> int:
        with self._counts_lock:
            return sum(self.request_counts.values())

    def reset_counts(self) -> None:
        with self._counts_lock:
            self.request_counts.clear()

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
