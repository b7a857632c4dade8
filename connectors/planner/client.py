"""Microsoft Graph client for Planner: msal app-only auth, paging, throttling and ``$batch``.

Graph reference: https://learn.microsoft.com/graph/api/resources/planner-overview (v1.0) and the
throttling guidance https://learn.microsoft.com/graph/throttling. Planner pages at ~400 items and
ignores ``$top``; ``@odata.nextLink`` is followed verbatim. ``Retry-After`` values of minutes are
reported, so waits are bounded by settings and every wait is logged.

Failures are ``pmo_hub.errors.SourceError``s: refused credentials, 403, other 4xx and a host that
cannot be reached on first contact (DNS, refused, TLS, connect timeout; 10 s connect timeout on
every call, msal's included) fail at once; only 429, 5xx, read timeouts and connection resets are
retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import msal
import requests
from requests.adapters import HTTPAdapter

from connectors.planner.settings import (
    BATCH_PATH,
    HUB_SECRET_ENV,
    PlannerSettings,
    setting_hint,
)
from pmo_hub.errors import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceTransientError,
    SourceUnreachableError,
    connection_failure,
)

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_SECONDS = 60.0
HUB_CLIENT_SECRET_ENV = HUB_SECRET_ENV["client_secret"]
CONNECT_TIMEOUT_SECONDS = 10.0


class PlannerError(SourceError):
    """The Planner source failed; the message names the URL and the setting to fix."""

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__("planner", message, **kwargs)  # type: ignore[arg-type]


class PlannerAuthError(PlannerError, SourceAuthError):
    """The identity platform or Graph refused the app's credentials or permissions."""


class PlannerUnreachableError(PlannerError, SourceUnreachableError):
    """The identity authority or Graph could not be reached (DNS, refused, TLS, connect timeout)."""


class GraphThrottledError(PlannerError, SourceTransientError):
    """Graph asked to wait longer than the configured bounds; re-run later to resume."""


class GraphError(PlannerError, SourceDataError):
    """A Graph request failed for a reason retrying will not fix (or retries ran out)."""

    def __init__(self, message: str, status: int | None = None, **kwargs: object) -> None:
        super().__init__(message, status=status, **kwargs)


def _make_session(settings: PlannerSettings) -> requests.Session:
    session = requests.Session()
    # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment would override ``verify`` (and proxy
    # variables would reroute loopback calls); the configured CA file must win.
    session.trust_env = False
    session.verify = settings.verify
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _path(url: str) -> str:
    # Only the path is logged: query strings may carry skip tokens, never worth a log line.
    return urlsplit(url).path


def url_shown(url: str) -> str:
    """``scheme://host/path`` of ``url``: enough to act on, without query string or userinfo."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class GraphClient:
    """A small, synchronous Microsoft Graph client for the Planner connector.

    Creating the client does no I/O; msal fetches the authority's OpenID configuration on the first
    token request.

    Attributes:
        tokens_acquired: tokens obtained from the identity provider (not the cache).
        waits: every throttling/backoff wait in seconds, in order.
        requests_sent: HTTP requests sent to Graph (``$batch`` counts as one).
    """

    def __init__(
        self,
        settings: PlannerSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._session = _make_session(settings)
        self._auth_session = _make_session(settings)
        self._app: msal.ConfidentialClientApplication | None = None
        self._token: str | None = None
        self._waited = 0.0
        self._rng = random.Random()
        self.tokens_acquired = 0
        self.waits: list[float] = []
        self.requests_sent = 0
        # Once Graph has answered, a failed connection is a blip worth retrying; before that it
        # means a wrong URL, a down host or a TLS problem that retrying only hides.
        self._graph_reached = False

    # -- auth ------------------------------------------------------------------------------------

    def _credential(self) -> str | dict[str, str]:
        s = self.settings
        if s.uses_certificate:
            return {
                "private_key": s.client_cert_private_key or "",
                "thumbprint": s.client_cert_thumbprint or "",
            }
        return s.client_secret or ""

    def _credential_settings(self) -> str:
        if self.settings.uses_certificate:
            return (
                f"{setting_hint('client_cert_private_key')} and "
                f"{setting_hint('client_cert_thumbprint')}, and that the certificate is uploaded "
                "to the app registration"
            )
        return f"{setting_hint('client_secret')}: use the secret's value, not its id"

    def _msal_app(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            s = self.settings
            try:
                self._app = msal.ConfidentialClientApplication(
                    s.client_id,
                    client_credential=self._credential(),
                    authority=s.resolved_authority,
                    instance_discovery=s.resolved_instance_discovery,
                    http_client=self._auth_session,
                    token_cache=msal.TokenCache(),
                    timeout=(CONNECT_TIMEOUT_SECONDS, s.timeout_seconds),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise self._authority_unreachable(exc) from None
            except (ValueError, requests.RequestException) as exc:
                # msal's messages name the authority, never the credential.
                raise PlannerAuthError(
                    f"Cannot use the identity authority {s.resolved_authority} (check "
                    f"{setting_hint('authority')}, {setting_hint('tenant_id')}, "
                    f"{setting_hint('verify')}): "
                    f"{type(exc).__name__}: {exc}",
                    url=s.resolved_authority,
                    setting="[sources.planner] authority",
                ) from None
        return self._app

    def _authority_unreachable(self, exc: BaseException) -> SourceError:
        s = self.settings
        reason, unreachable = connection_failure(exc)
        message = (
            f"Microsoft Planner: the identity authority {s.resolved_authority} is unreachable "
            f"({reason}); check {setting_hint('authority')}, {setting_hint('tenant_id')}"
            + (f", {setting_hint('verify')} (CA bundle)" if "TLS" in reason else "")
            + ", the network or proxy"
        )
        if unreachable:
            return PlannerUnreachableError(
                message, url=s.resolved_authority, setting="[sources.planner] authority"
            )
        return GraphError(message, url=s.resolved_authority, transient=True)

    def access_token(self) -> str:
        """A valid app-only access token for Graph, from msal's cache when possible.

        Raises:
            PlannerAuthError: the identity platform refused the credentials; the message names
                the setting to fix and contains no secret.
        """
        if self._token is not None:
            return self._token
        try:
            result = self._msal_app().acquire_token_for_client(scopes=[self.settings.scope])
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise self._authority_unreachable(exc) from None
        if "access_token" not in result:
            error = result.get("error", "unknown_error")
            description = str(result.get("error_description", "")).split(" Trace ID:")[0]
            if error == "invalid_client":
                hint = f"check {self._credential_settings()}"
            elif error in ("unauthorized_client", "invalid_tenant"):
                hint = f"check {setting_hint('client_id')} and {setting_hint('tenant_id')}"
            elif error == "invalid_scope":
                hint = f"check {setting_hint('scope')}"
            else:
                hint = "check the app registration settings"
            raise PlannerAuthError(
                f"Microsoft identity platform ({self.settings.resolved_authority}) refused the "
                f"Planner app credentials ({error}: {description}); {hint}",
                url=self.settings.resolved_authority,
                setting=HUB_CLIENT_SECRET_ENV if error == "invalid_client" else None,
            )
        if result.get("token_source") == "identity_provider":
            self.tokens_acquired += 1
            logger.info("acquired a Graph access token (expires in %s s)", result.get("expires_in"))
        self._token = result["access_token"]
        return self._token

    def _invalidate_token(self) -> None:
        self._token = None
        if self._app is not None:
            self._app.remove_tokens_for_client()

    # -- requests --------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL for a Graph path such as ``/users``."""
        return self.settings.graph_url.rstrip("/") + path

    def _wait(self, delay: float, reason: str, url: str, attempt: int) -> None:
        s = self.settings
        if delay > s.max_retry_after_seconds:
            raise GraphThrottledError(
                f"Microsoft Graph asked to wait {delay:.0f} s ({reason}) on {url_shown(url)}, more than "
                f"max_retry_after_seconds={s.max_retry_after_seconds:g}; the run stopped without "
                "committing state — re-run later to resume"
            )
        if self._waited + delay > s.max_total_wait_seconds:
            raise GraphThrottledError(
                f"Microsoft Graph ({self.settings.graph_url}) throttling waits would exceed "
                "max_total_wait_seconds="
                f"{s.max_total_wait_seconds:g} ({self._waited:.0f} s already); the run stopped "
                "without committing state — re-run later to resume"
            )
        logger.warning(
            "Graph %s on %s (attempt %d): waiting %.2f s", reason, _path(url), attempt, delay
        )
        self._waited += delay
        self.waits.append(delay)
        self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff_base_seconds * (2 ** (attempt - 1))
        return min(MAX_BACKOFF_SECONDS, base) * self._rng.uniform(0.5, 1.5)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one Graph request with auth, one token re-acquire on 401, and bounded retries.

        Returns:
            The decoded JSON body.

        Raises:
            PlannerAuthError: 401 after a fresh token, or 403 (missing permissions).
            GraphThrottledError: a wait beyond the configured bounds.
            GraphError: another 4xx, or retries exhausted.
        """
        s = self.settings
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            headers = {
                "Authorization": f"Bearer {self.access_token()}",
                "Accept": "application/json",
            }
            try:
                self.requests_sent += 1
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=(10, s.timeout_seconds),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason, unreachable = connection_failure(exc)
                if unreachable and not self._graph_reached:
                    raise PlannerUnreachableError(
                        f"Microsoft Graph at {s.graph_url} is unreachable ({reason} on {method} "
                        f"{_path(url)}); check {setting_hint('graph_url')}"
                        + (f", {setting_hint('verify')} (CA bundle)" if "TLS" in reason else "")
                        + ", the network or proxy",
                        url=s.graph_url,
                        setting="[sources.planner] graph_url",
                    ) from None
                if attempt >= s.max_attempts:
                    raise GraphError(
                        f"Graph {method} {s.graph_url.rstrip('/')}{_path(url)} failed after "
                        f"{attempt} attempts ({reason}); run again later to resume",
                        url=s.graph_url,
                        transient=True,
                    ) from None
                self._wait(self._backoff(attempt), reason, url, attempt)
                continue
            self._graph_reached = True
            status = response.status_code
            if status == 401:
                if reauthenticated:
                    raise PlannerAuthError(
                        f"Microsoft Graph rejected a freshly acquired token on {url_shown(url)} "
                        f"(401 {_error_code(response)}); check {setting_hint('graph_url')}, "
                        f"{setting_hint('scope')} and {setting_hint('tenant_id')}",
                        url=s.graph_url,
                        status=401,
                    )
                # Tokens can expire mid-sync (or be revoked): drop msal's cached token, get one
                # fresh token, and retry once.
                logger.info("Graph answered 401 on %s; re-acquiring the token once", _path(url))
                reauthenticated = True
                attempt -= 1
                self._invalidate_token()
                continue
            if status == 403:
                raise PlannerAuthError(
                    f"Microsoft Graph denied access to {url_shown(url)} (403 "
                    f"{_error_code(response)}); grant the app [sources.planner] client_id the "
                    "application permissions Tasks.Read.All and Group.Read.All (User.Read.All for "
                    "users) with admin consent",
                    url=s.graph_url,
                    status=403,
                )
            if status in RETRY_STATUSES:
                if attempt >= s.max_attempts:
                    raise GraphError(
                        f"Graph {method} {s.graph_url.rstrip('/')}{_path(url)} still answered "
                        f"{status} after {attempt} attempts; run again later to resume",
                        status,
                        url=s.graph_url,
                        transient=True,
                    )
                retry_after = _retry_after(response)
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                reason = f"{status} Retry-After" if retry_after is not None else f"{status} backoff"
                self._wait(delay, reason, url, attempt)
                continue
            if status >= 400:
                raise GraphError(
                    f"Microsoft Graph {method} {url_shown(url)} failed with {status} "
                    f"{_error_code(response)}: {_error_message(response)}",
                    status,
                    url=s.graph_url,
                )
            return response.json()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a Graph path (relative to ``graph_url``) and return the JSON body."""
        return self.request("GET", self.url(path), params=params)

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Yield every item of a collection, following ``@odata.nextLink`` verbatim."""
        url: str | None = self.url(path)
        page_params = params
        while url:
            body = self.request("GET", url, params=page_params)
            yield from body.get("value", [])
            url = body.get("@odata.nextLink")
            page_params = None  # the next link already carries the query

    def get_many(self, paths: list[str]) -> dict[str, Any | None]:
        """GET many Graph paths, through ``$batch`` when the batch size allows.

        Returns:
            ``path -> body``; None for a 404 (the object was deleted meanwhile).
        """
        size = self.settings.details_batch_size
        results: dict[str, Any | None] = {}
        if size <= 1:
            for path in paths:
                try:
                    results[path] = self.get(path)
                except GraphError as exc:
                    if exc.status != 404:
                        raise
                    results[path] = None
            return results
        for start in range(0, len(paths), size):
            results.update(self._batch(paths[start : start + size]))
        return results

    def _batch(self, paths: list[str]) -> dict[str, Any | None]:
        results: dict[str, Any | None] = {}
        pending = list(paths)
        attempt = 0
        while pending:
            attempt += 1
            payload = {
                "requests": [
                    {"id": str(i), "method": "GET", "url": path} for i, path in enumerate(pending)
                ]
            }
            body = self.request("POST", self.url(BATCH_PATH), json=payload)
            retry: list[str] = []
            delay = 0.0
            for item in body.get("responses", []):
                path = pending[int(item["id"])]
                status = int(item.get("status", 500))
                if status == 200:
                    results[path] = item.get("body")
                elif status == 404:
                    results[path] = None
                elif status in RETRY_STATUSES:
                    retry.append(path)
                    headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
                    try:
                        delay = max(delay, float(headers.get("retry-after", 0)))
                    except ValueError:
                        delay = max(delay, self._backoff(attempt))
                elif status == 403:
                    raise PlannerAuthError(
                        f"Microsoft Graph denied access to {self.url(path)} (403); grant the app "
                        "[sources.planner] client_id the application permission Tasks.Read.All",
                        url=self.settings.graph_url,
                        status=403,
                    )
                else:
                    error = (item.get("body") or {}).get("error", {})
                    raise GraphError(
                        f"Graph GET {path} (in $batch) failed with {status} {error.get('code')}: "
                        f"{error.get('message')}"
                    )
            if retry and attempt >= self.settings.max_attempts:
                raise GraphError(
                    f"{len(retry)} $batch requests still throttled after {attempt} attempts"
                )
            if retry:
                self._wait(
                    delay or self._backoff(attempt),
                    "throttled $batch items",
                    self.url(BATCH_PATH),
                    attempt,
                )
            pending = retry
        return results

    def close(self) -> None:
        """Close the HTTP sessions."""
        self._session.close()
        self._auth_session.close()


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_code(response: requests.Response) -> str:
    return str(_error_body(response).get("code", ""))


def _error_message(response: requests.Response) -> str:
    return str(_error_body(response).get("message", ""))[:300]
