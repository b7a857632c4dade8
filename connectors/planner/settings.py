"""Planner connector settings: endpoints and limits as plain data, plus the ``PlannerSettings`` type.

Environment variables (dlt config/secrets, ``SOURCES__PLANNER__<NAME>``): ``TENANT_ID``,
``CLIENT_ID``, ``CLIENT_SECRET`` or ``CLIENT_CERT_PRIVATE_KEY`` + ``CLIENT_CERT_THUMBPRINT``,
``AUTHORITY``, ``GRAPH_URL``, ``GROUP_IDS``, ``VERIFY``, ``INSTANCE_DISCOVERY``,
``MAX_RETRY_AFTER_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
# Hosts of Microsoft's own identity clouds; msal's instance discovery only works against these.
MICROSOFT_AUTHORITY_HOSTS = (
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
)

UNIFIED_GROUPS_FILTER = "groupTypes/any(c:c eq 'Unified')"
GROUPS_PATH = "/groups"
GROUP_PATH = "/groups/{group_id}"
GROUP_PLANS_PATH = "/groups/{group_id}/planner/plans"
PLAN_DETAILS_PATH = "/planner/plans/{plan_id}/details"
PLAN_BUCKETS_PATH = "/planner/plans/{plan_id}/buckets"
PLAN_TASKS_PATH = "/planner/plans/{plan_id}/tasks"
TASK_DETAILS_PATH = "/planner/tasks/{task_id}/details"
USERS_PATH = "/users"
BATCH_PATH = "/$batch"

USER_SELECT = "id,displayName,mail,userPrincipalName,accountEnabled,department"
GROUP_SELECT = "id,displayName,mailNickname,groupTypes,visibility,createdDateTime"
# Directory collections honour $top (max 999); Planner ignores it and pages at ~400.
DIRECTORY_PAGE_SIZE = 999
GRAPH_BATCH_LIMIT = 20

# Environment variable names named in error messages, so a user knows what to fix: the hub's
# own variables for secrets, dlt's ``SOURCES__PLANNER__*`` when the source runs standalone.
ENV_PREFIX = "SOURCES__PLANNER__"
HUB_SECRET_ENV = {
    "client_secret": "PMO_HUB_PLANNER_CLIENT_SECRET",
    "client_cert_private_key": "PMO_HUB_PLANNER_CLIENT_CERT_KEY",
}


def setting_hint(name: str) -> str:
    """How to set ``name``: ``[sources.planner] name`` or the secret's environment variables."""
    dlt_var = f"{ENV_PREFIX}{name.upper()}"
    if name in HUB_SECRET_ENV:
        return f"{name} ({HUB_SECRET_ENV[name]}, or {dlt_var} for dlt)"
    return f"[sources.planner] {name} (or {dlt_var} for dlt)"


@dataclass(frozen=True)
class PlannerSettings:
    """Everything the Planner connector needs; secrets are excluded from ``repr``.

    Attributes:
        tenant_id: Entra tenant id (GUID).
        client_id: the app registration's application (client) id.
        client_secret: client secret value, or None when a certificate is used.
        client_cert_private_key: PEM private key of the app's certificate credential.
        client_cert_thumbprint: SHA-1 thumbprint (hex) of that certificate.
        authority: identity authority URL; defaults to ``https://login.microsoftonline.com/<tenant>``.
        graph_url: Microsoft Graph base URL including the version.
        scope: the client-credentials scope (``<resource>/.default``).
        group_ids: Microsoft 365 groups whose plans to read; empty means every Unified group the
            app can see (needs ``Group.Read.All``).
        verify: CA bundle path to trust, or True for the system store.
        instance_discovery: msal instance discovery; None means on only for Microsoft's hosts.
        max_retry_after_seconds: the longest single ``Retry-After`` wait honoured; longer requests
            stop the run (no state is committed, so the next run resumes).
        max_total_wait_seconds: budget for all throttling/backoff waits of one run.
        max_attempts: attempts per request on 429/5xx/connection errors.
        backoff_base_seconds: first backoff delay on 5xx without ``Retry-After`` (doubles, jittered).
        timeout_seconds: read timeout per request.
        details_batch_size: task details per ``$batch`` request (1 = one GET per task).
    """

    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    client_cert_private_key: str | None = field(default=None, repr=False)
    client_cert_thumbprint: str | None = None
    authority: str | None = None
    graph_url: str = DEFAULT_GRAPH_URL
    scope: str = DEFAULT_SCOPE
    group_ids: tuple[str, ...] = ()
    verify: str | bool = True
    instance_discovery: bool | None = None
    max_retry_after_seconds: float = 600.0
    max_total_wait_seconds: float = 1800.0
    max_attempts: int = 8
    backoff_base_seconds: float = 1.0
    timeout_seconds: float = 60.0
    details_batch_size: int = GRAPH_BATCH_LIMIT

    def __post_init__(self) -> None:
        if not self.tenant_id:
            raise ValueError(f"Planner tenant_id is not set: {setting_hint('tenant_id')}")
        if not self.client_id:
            raise ValueError(f"Planner client_id is not set: {setting_hint('client_id')}")
        has_cert = bool(self.client_cert_private_key and self.client_cert_thumbprint)
        if not self.client_secret and not has_cert:
            raise ValueError(
                "Planner credentials are not set: provide the client secret "
                f"{setting_hint('client_secret')} or a certificate "
                f"{setting_hint('client_cert_private_key')} with "
                f"{setting_hint('client_cert_thumbprint')}"
            )
        if not 1 <= self.details_batch_size <= GRAPH_BATCH_LIMIT:
            raise ValueError(f"details_batch_size must be 1..{GRAPH_BATCH_LIMIT}")

    @property
    def resolved_authority(self) -> str:
        """The authority URL msal is given."""
        return (self.authority or f"{DEFAULT_AUTHORITY_HOST}/{self.tenant_id}").rstrip("/")

    @property
    def uses_certificate(self) -> bool:
        """True when the certificate credential is used instead of the secret."""
        return bool(self.client_cert_private_key and self.client_cert_thumbprint)

    @property
    def resolved_instance_discovery(self) -> bool:
        """Whether msal may call Microsoft's instance discovery endpoint for this authority."""
        if self.instance_discovery is not None:
            return self.instance_discovery
        return (urlsplit(self.resolved_authority).hostname or "") in MICROSOFT_AUTHORITY_HOSTS

    def as_source_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``connectors.planner.planner_source``."""
        return {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "client_cert_private_key": self.client_cert_private_key,
            "client_cert_thumbprint": self.client_cert_thumbprint,
            "authority": self.authority,
            "graph_url": self.graph_url,
            "scope": self.scope,
            "group_ids": list(self.group_ids),
            "verify": self.verify if isinstance(self.verify, str) else str(self.verify).lower(),
            "instance_discovery": self.instance_discovery,
            "max_retry_after_seconds": self.max_retry_after_seconds,
            "max_total_wait_seconds": self.max_total_wait_seconds,
            "max_attempts": self.max_attempts,
            "backoff_base_seconds": self.backoff_base_seconds,
            "details_batch_size": self.details_batch_size,
        }
