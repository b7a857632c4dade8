"""Checks before a run: the warehouse can be opened, and (``run --check``) each source answers.

``check_config`` (pmo_hub.config) already named every missing setting and secret without touching
the network; these checks do touch it, each bounded by a short timeout and with no retries, so a
wrong token or an unreachable host is reported in seconds with the source, URL and setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pmo_hub.config import HubConfig, source_settings
from pmo_hub.errors import PmoHubError

PROBE_TIMEOUT_SECONDS = 10.0


@dataclass
class CheckResult:
    name: str
    status: str  # ok | warning | failed
    message: str

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def check_warehouse(config: HubConfig) -> None:
    """Raise a WarehouseError when the warehouse cannot be opened (PostgreSQL: one connection)."""
    if config.warehouse.target == "postgres":
        from pmo_hub.postgres import check_connection

        check_connection(config)


def _probe_jira(config: HubConfig) -> str:
    from connectors.jira import settings as jira_cfg
    from connectors.jira.client import JiraClient

    s = source_settings("jira", config)
    client = JiraClient(
        s.base_url,
        deployment=s.deployment,
        email=s.email,
        api_token=s.api_token,
        pat=s.pat,
        verify=s.verify,
        timeout_seconds=PROBE_TIMEOUT_SECONDS,
        max_attempts=1,
    )
    try:
        me = client.get_json(client.path(jira_cfg.MYSELF))
    finally:
        client.close()
    return (
        f"Jira at {s.base_url} accepted the credentials of {me.get('displayName', 'the account')}"
    )


def _probe_planner(config: HubConfig) -> str:
    from connectors.planner.client import GraphClient

    s = replace(
        source_settings("planner", config), timeout_seconds=PROBE_TIMEOUT_SECONDS, max_attempts=1
    )
    client = GraphClient(s)
    try:
        client.access_token()
    finally:
        client.close()
    return f"Microsoft identity platform {s.resolved_authority} issued a token for the Planner app"


class _FolderMissing(Exception):
    """A configured folder does not exist yet: a warning, files may simply not have landed."""


def _probe_folders(key: str) -> Callable[[HubConfig, str], str]:
    def probe(config: HubConfig, system: str) -> str:
        settings = source_settings(system, config)
        folders = [Path(p) for p in getattr(settings, key)]
        missing = [str(p) for p in folders if not p.is_dir()]
        if missing:
            raise _FolderMissing(
                f"[sources.{system}] {key}: {', '.join(missing)} does not exist (nothing is read "
                "from it until it does)"
            )
        return f"{', '.join(str(p) for p in folders)} readable"

    return probe


def check_sources(config: HubConfig, network: bool = True) -> list[CheckResult]:
    """Probe every enabled source; never raises, one result per source."""
    results: list[CheckResult] = []
    for system in config.enabled:
        try:
            if system == "jira":
                message = _probe_jira(config) if network else "not contacted (--no-network)"
            elif system == "planner":
                message = _probe_planner(config) if network else "not contacted (--no-network)"
            elif system == "msproject":
                message = _probe_folders("folders")(config, system)
            else:
                message = _probe_folders("landing_dirs")(config, system)
        except _FolderMissing as exc:
            results.append(CheckResult(system, "warning", str(exc)))
        except (PmoHubError, ValueError) as exc:
            results.append(CheckResult(system, "failed", str(exc)))
        except Exception as exc:  # a probe must report, never crash the check
            results.append(CheckResult(system, "failed", f"{type(exc).__name__}: {exc}"))
        else:
            results.append(CheckResult(system, "ok", message))
    return results
