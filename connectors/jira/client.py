"""HTTP client for Jira Cloud (REST v3, Agile 1.0) and Data Center (REST v2).

Pooled ``requests.Session``; a 10 s connect timeout and a read timeout on every call; 429 and 503
honour ``Retry-After``; other 5xx, read timeouts and connection resets back off exponentially with
full jitter; every request has a bounded total wait. 401/403, other 4xx and a host that cannot be
reached on first contact (DNS, refused, TLS, connect timeout) fail at once with a message naming
the URL and the setting to fix, never the secret. Errors are ``pmo_hub.errors.SourceError``s.
API changes: https://developer.atlassian.com/changelog/
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from connectors.jira import settings as cfg
from pmo_hub.errors import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceTransientError,
    SourceUnreachableError,
    connection_failure,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
CONNECT_TIMEOUT_SECONDS = 10.0


class JiraError(SourceError):
    """A Jira request failed for good."""

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__("jira", message, **kwargs)  # type: ignore[arg-type]


class JiraAuthError(JiraError, SourceAuthError):
    """Jira rejected the credentials (401) or the permission (403)."""


class JiraUnreachableError(JiraError, SourceUnreachableError):
    """The Jira host could not be reached (DNS, connection refused, TLS, connect timeout)."""


class JiraRequestError(JiraError, SourceDataError):
    """Jira answered an error the client must not retry (400, 404, 410, ...)."""

    def __init__(
        self, status: int, method: str, path: str, messages: list[str], base_url: str = ""
    ) -> None:
        self.messages = messages
        super().__init__(
            f"Jira answered HTTP {status} to {method} {base_url}{path}: "
            f"{'; '.join(messages) or 'no message'}",
            url=base_url or None,
            status=status,
        )


class JiraRetryExhausted(JiraError, SourceTransientError):
    """Retries ran out (attempts or total wait) on 429/5xx/timeouts/connection resets."""


def _messages(response: requests.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return [response.text[:200]] if response.text else []
    if isinstance(body, dict):
        messages = list(body.get("errorMessages") or [])
        messages += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        return [str(m) for m in messages]
    return []


class JiraClient:
    """Typed access to the Jira endpoints the connector uses.

    Args:
        base_url: site root (Cloud site, scoped-token gateway, or Data Center host).
        deployment: ``cloud`` or ``datacenter``.
        email: Cloud account email (basic auth with ``api_token``).
        api_token: Cloud API token.
        pat: Data Center personal access token (or a Cloud service-account bearer token).
        verify: TLS verification (bool or CA bundle path); passed on every request so that
            ``REQUESTS_CA_BUNDLE`` in the environment cannot silently override it.
        timeout_seconds: read timeout per request.
        max_attempts: attempts per request on retryable failures.
        max_retry_wait_seconds: total sleep budget per request.
        backoff_base_seconds: first backoff ceiling on 5xx without ``Retry-After`` (doubles).
        sleep: injectable for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        deployment: str = "cloud",
        email: str | None = None,
        api_token: str | None = None,
        pat: str | None = None,
        verify: bool | str = True,
        timeout_seconds: float = 60.0,
        max_attempts: int = 8,
        max_retry_wait_seconds: float = 300.0,
        backoff_base_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.deployment = deployment
        self.api_version = "3" if deployment == "cloud" else "2"
        self.verify = verify
        self.timeout = (CONNECT_TIMEOUT_SECONDS, timeout_seconds)
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait_seconds
        self.backoff_base = backoff_base_seconds
        self._sleep = sleep
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["Accept"] = "application/json"
        if deployment == "cloud" and email and api_token:
            self.session.auth = (email, api_token)
        elif pat:
            self.session.headers["Authorization"] = f"Bearer {pat}"
        # The hub's variables first (README); dlt's own names for the standalone pipeline.
        self._credential_hint = (
            "PMO_HUB_JIRA_API_TOKEN (and [sources.jira] email; SOURCES__JIRA__API_TOKEN and "
            "SOURCES__JIRA__EMAIL when the dlt pipeline runs alone)"
            if deployment == "cloud"
            else "PMO_HUB_JIRA_PAT (SOURCES__JIRA__PAT when the dlt pipeline runs alone)"
        )
        self._has_credentials = bool((email and api_token) or pat)
        # Once the host has answered, a refused/failed connection is a blip worth retrying; before
        # that it means a wrong URL, a down host or a TLS problem: retrying only hides it.
        self._reached = False
        self.requests_made = 0
        self.retries = 0
        self.waited_seconds = 0.0

    def close(self) -> None:
        self.session.close()

    def path(self, template: str, **kwargs: Any) -> str:
        return template.format(v=self.api_version, **kwargs)

    # ---- core ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one request with retries; raise a :class:`JiraError` subclass on failure."""
        if not self._has_credentials:
            raise JiraAuthError(
                f"Jira credentials are not configured for {self.base_url}: set "
                f"{self._credential_hint}",
                url=self.base_url,
                setting="PMO_HUB_JIRA_API_TOKEN"
                if self.deployment == "cloud"
                else "PMO_HUB_JIRA_PAT",
            )
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        shown = urlsplit(url).path  # never log query strings or headers
        waited = 0.0
        for attempt in range(1, self.max_attempts + 1):
            delay: float | None = None
            try:
                response = self.session.request(
                    method, url, params=params, json=json, timeout=self.timeout, verify=self.verify
                )
                self.requests_made += 1
            except (requests.ConnectionError, requests.Timeout) as exc:
                self.requests_made += 1
                reason, unreachable = connection_failure(exc)
                if unreachable and not self._reached:
                    raise JiraUnreachableError(
                        f"Jira at {self.base_url} is unreachable ({reason} on {method} {shown}); "
                        "check [sources.jira] base_url, the network or proxy"
                        + (", and [sources.jira] verify (CA bundle)" if "TLS" in reason else ""),
                        url=self.base_url,
                        setting="[sources.jira] base_url",
                    ) from None
                response = None
            else:
                self._reached = True
                status = response.status_code
                if status < 400:
                    return response
                if status in (401, 403):
                    what = "credentials" if status == 401 else "permission"
                    raise JiraAuthError(
                        f"Jira rejected the {what} (HTTP {status}) for {self.base_url}: check "
                        f"{self._credential_hint} (tokens expire; rotate and update the secret) and "
                        "that the account may browse the configured projects.",
                        url=self.base_url,
                        setting="PMO_HUB_JIRA_API_TOKEN"
                        if self.deployment == "cloud"
                        else "PMO_HUB_JIRA_PAT",
                        status=status,
                    )
                if status not in RETRY_STATUSES:
                    raise JiraRequestError(
                        status, method, shown, _messages(response), base_url=self.base_url
                    )
                reason = f"HTTP {status}"
                if response.headers.get("RateLimit-Reason"):
                    reason += f" ({response.headers['RateLimit-Reason']})"
                retry_after = response.headers.get("Retry-After")
                if retry_after and status in (429, 503):
                    try:
                        delay = max(0.0, float(retry_after))
                    except ValueError:
                        delay = None
            if delay is None:
                # Full jitter keeps parallel clients from retrying in lockstep.
                delay = random.uniform(0, min(30.0, self.backoff_base * 2 ** (attempt - 1)))
            if attempt == self.max_attempts or waited + delay > self.max_retry_wait:
                raise JiraRetryExhausted(
                    f"Jira at {self.base_url} kept failing ({reason}) on {method} {shown} after "
                    f"{attempt} attempts and {waited:.1f} s of waiting; the run stopped without "
                    "committing state — run again later to resume",
                    url=self.base_url,
                )
            log.warning(
                "Jira %s on %s %s; retrying in %.2f s (attempt %d/%d)",
                reason,
                method,
                shown,
                delay,
                attempt + 1,
                self.max_attempts,
            )
            self.retries += 1
            self._sleep(delay)
            waited += delay
            self.waited_seconds += delay
        raise AssertionError("unreachable")

    # json.loads on the raw bytes: Response.json() may guess the charset over the whole body
    # (slow when a server omits it) and picks simplejson when installed.
    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return json.loads(self.request("GET", path, params=params).content)

    def post_json(self, path: str, body: Any) -> Any:
        return json.loads(self.request("POST", path, json=body).content)

    # ---- paging helpers ------------------------------------------------------------------

    def offset_pages(
        self, path: str, params: dict[str, Any] | None = None, page_size: int = cfg.OFFSET_PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``values`` from ``startAt``/``maxResults``/``isLast`` endpoints."""
        start = 0
        while True:
            body = self.get_json(
                path, {**(params or {}), "startAt": start, "maxResults": page_size}
            )
            values = body.get("values", [])
            if values:
                yield values
            start += len(values)
            if body.get("isLast", True) or not values:
                return

    def array_pages(
        self, path: str, params: dict[str, Any] | None = None, page_size: int = cfg.USERS_PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of bare-array endpoints (users): page until an empty page."""
        start = 0
        while True:
            values = self.get_json(
                path, {**(params or {}), "startAt": start, "maxResults": page_size}
            )
            if not values:
                return
            yield values
            start += len(values)

    def search(
        self,
        jql: str,
        fields: list[str],
        *,
        page_size: int,
        expand: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of issues for ``jql``: ``search/jql`` on Cloud, ``search`` with startAt on DC."""
        if self.deployment == "cloud":
            token: str | None = None
            while True:
                body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": page_size}
                if expand:
                    body["expand"] = expand
                if token:
                    body["nextPageToken"] = token
                page = self.post_json(self.path(cfg.SEARCH_JQL), body)
                issues = page.get("issues", [])
                if issues:
                    yield issues
                token = page.get("nextPageToken")
                if page.get("isLast", True) or not token:
                    return
        start = 0
        while True:
            body = {"jql": jql, "fields": fields, "maxResults": page_size, "startAt": start}
            if expand:
                body["expand"] = [expand]
            page = self.post_json(self.path(cfg.SEARCH_DC), body)
            issues = page.get("issues", [])
            if issues:
                yield issues
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def bulk_changelogs(self, issue_ids: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(issue id, history) for every history of ``issue_ids`` (Cloud ``changelog/bulkfetch``)."""
        for i in range(0, len(issue_ids), cfg.CHANGELOG_BATCH):
            batch = issue_ids[i : i + cfg.CHANGELOG_BATCH]
            token: str | None = None
            while True:
                body: dict[str, Any] = {
                    "issueIdsOrKeys": batch,
                    "maxResults": cfg.CHANGELOG_PAGE_SIZE,
                }
                if token:
                    body["nextPageToken"] = token
                page = self.post_json(self.path(cfg.CHANGELOG_BULK), body)
                for log_entry in page.get("issueChangeLogs", []):
                    for history in log_entry.get("changeHistories", []):
                        yield str(log_entry["issueId"]), history
                token = page.get("nextPageToken")
                if not token:
                    break

    def issue_changelog(self, issue_id: str) -> Iterator[dict[str, Any]]:
        """Every history of one issue (per-issue fallback where bulk fetch does not exist)."""
        for page in self.offset_pages(
            self.path(cfg.ISSUE_CHANGELOG, issue=issue_id), page_size=100
        ):
            yield from page

    def issue_comments(self, issue_id: str) -> list[dict[str, Any]]:
        """Every comment of one issue, oldest first (``issue/{id}/comment``, startAt paging)."""
        path = self.path(cfg.ISSUE_COMMENTS, issue=issue_id)
        out: list[dict[str, Any]] = []
        while True:
            page = self.get_json(
                path,
                {"startAt": len(out), "maxResults": cfg.COMMENT_PAGE_SIZE, "orderBy": "created"},
            )
            comments = page.get("comments") or []
            out.extend(comments)
            if not comments or len(out) >= int(page.get("total") or 0):
                return out

    def comments_by_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        """The comments of ``ids`` that still exist (Cloud ``comment/list``, 1000 ids a call)."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), cfg.COMMENT_LIST_BATCH):
            batch = ids[i : i + cfg.COMMENT_LIST_BATCH]
            page = self.post_json(self.path(cfg.COMMENTS_BY_IDS), {"ids": batch})
            out.extend(page.get("values") or [])
        return out

    def worklog_changes(
        self, kind: str, since_ms: int
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Pages of ``worklog/updated`` or ``worklog/deleted`` with each page's ``until``.

        Follows ``nextPage`` rather than recomputing ``since`` from the data: a page of 1000 ids
        sharing one timestamp could not advance a ``>=`` cursor.
        """
        template = cfg.WORKLOG_UPDATED if kind == "updated" else cfg.WORKLOG_DELETED
        url: str | None = self.path(template)
        params: dict[str, Any] | None = {"since": since_ms}
        while url:
            page = self.get_json(url, params)
            yield page.get("values", []), int(page.get("until") or since_ms)
            if page.get("lastPage", True):
                return
            url, params = page.get("nextPage"), None

    def worklogs_by_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), cfg.WORKLOG_LIST_BATCH):
            out.extend(
                self.post_json(
                    self.path(cfg.WORKLOG_LIST), {"ids": ids[i : i + cfg.WORKLOG_LIST_BATCH]}
                )
            )
        return out
