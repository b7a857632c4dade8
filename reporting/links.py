"""Links from a report row back to the record in its source tool."""

from __future__ import annotations

from urllib.parse import quote

from pmo_hub.config import HubConfig

# The scoped-token gateway serves the REST API only; people browse the site itself.
_JIRA_API_GATEWAY = "api.atlassian.com/ex/jira"


def jira_site_url(config: HubConfig) -> str:
    """The Jira site root people open in a browser, or '' when unknown (disabled, gateway URL)."""
    if "jira" not in config.enabled:
        return ""
    base = str(config.sources.get("jira", {}).get("base_url") or "").rstrip("/")
    if not base or _JIRA_API_GATEWAY in base:
        return ""
    return base


def jira_browse_url(site_url: str, issue_key: str) -> str:
    return f"{site_url}/browse/{quote(issue_key, safe='')}" if site_url and issue_key else ""
