"""Configuration of the Jira connector: the settings object plus endpoints and page sizes as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Endpoints relative to the site (``{v}`` = 3 on Cloud, 2 on Data Center).
SERVER_INFO = "/rest/api/{v}/serverInfo"
MYSELF = "/rest/api/{v}/myself"
FIELDS = "/rest/api/{v}/field"
STATUSES = "/rest/api/{v}/status"
PRIORITIES = "/rest/api/{v}/priority"
RESOLUTIONS = "/rest/api/{v}/resolution"
ISSUE_TYPES = "/rest/api/{v}/issuetype"
PROJECT_SEARCH = "/rest/api/{v}/project/search"  # Cloud, paginated
PROJECTS_DC = "/rest/api/{v}/project"  # Data Center, bare array
VERSIONS = "/rest/api/{v}/project/{project}/version"
COMPONENTS_DC = "/rest/api/{v}/project/{project}/components"
COMPONENTS = "/rest/api/{v}/project/{project}/component"
SEARCH_JQL = "/rest/api/{v}/search/jql"  # Cloud: nextPageToken / isLast
SEARCH_DC = "/rest/api/{v}/search"  # Data Center: startAt / total (410 Gone on Cloud)
CHANGELOG_BULK = "/rest/api/{v}/changelog/bulkfetch"  # Cloud only
ISSUE_CHANGELOG = "/rest/api/{v}/issue/{issue}/changelog"
WORKLOG_UPDATED = "/rest/api/{v}/worklog/updated"
WORKLOG_DELETED = "/rest/api/{v}/worklog/deleted"
WORKLOG_LIST = "/rest/api/{v}/worklog/list"
USERS_SEARCH = "/rest/api/{v}/users/search"  # Cloud
USERS_SEARCH_DC = "/rest/api/{v}/user/search"  # Data Center (needs username=)
FIELD_CONTEXTS = "/rest/api/{v}/field/{field}/context"  # Cloud, paginated
FIELD_OPTIONS = "/rest/api/{v}/field/{field}/context/{context}/option"  # Cloud, paginated
ISSUE_COMMENTS = "/rest/api/{v}/issue/{issue}/comment"  # only when the embedded page is short
COMMENTS_BY_IDS = "/rest/api/{v}/comment/list"  # Cloud: re-read known long threads in bulk
BOARDS = "/rest/agile/1.0/board"
BOARD_SPRINTS = "/rest/agile/1.0/board/{board}/sprint"

# Page sizes: the largest each endpoint honours.
SEARCH_PAGE_SIZE = 100  # search/jql with many fields
CENSUS_PAGE_SIZE = 5000  # search/jql with fields=id only
DC_SEARCH_PAGE_SIZE = 1000  # jira.search.views.default.max default
DC_CENSUS_PAGE_SIZE = 1000
CHANGELOG_BATCH = 1000  # issue ids per changelog/bulkfetch call
SEARCH_PROJECTS_PER_QUERY = 100  # projects per incremental search (keeps the JQL short)
MAX_CONCURRENCY = 5  # Atlassian's advice for API-token clients: 3-5 requests in flight
CHANGELOG_PAGE_SIZE = 10000  # histories per bulkfetch page
WORKLOG_LIST_BATCH = 1000
OFFSET_PAGE_SIZE = 50
USERS_PAGE_SIZE = 1000
COMMENT_PAGE_SIZE = 5000  # issue/{id}/comment maxResults cap
COMMENT_LIST_BATCH = 1000  # comment ids per comment/list call
OPTIONS_PAGE_SIZE = 100  # field/{id}/context/{ctx}/option cap

# PMO roles a site's custom fields can play (``[sources.jira.field_roles]``, role -> name or id).
# Staging exposes one column per role; the PMO schema uses them as described.
FIELD_ROLES = {
    "finance_code": "finance project code: crosswalk Jira project -> finance budgets",
    "cost_center": "cost center of the work",
    "risk_probability": "RAID probability score (number, or an option like '3 - Possible')",
    "risk_impact": "RAID impact score (number, or an option like '4 - Major')",
    "target_start": "planned start date",
    "target_end": "planned end date",
    "decision_owner": "owner of a decision (user field)",
    "mitigation": "mitigation or response plan of a RAID item",
    "raid_category": "RAID type of an issue whose issue type does not say (Decision, ...)",
}
# Schema types whose values are options, i.e. fields with contexts and option lists.
OPTION_SCHEMA_TYPES = ("option", "option-with-child")

# Custom fields are found by their schema type first, then by name (overridable per site).
CUSTOM_FIELD_TYPES = {
    "story_points": "com.pyxis.greenhopper.jira:jsw-story-points",
    "sprint": "com.pyxis.greenhopper.jira:gh-sprint",
    "team": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
}
CUSTOM_FIELD_NAMES = {"story_points": "Story Points", "sprint": "Sprint", "team": "Team"}

ISSUE_SYSTEM_FIELDS = (
    "summary",
    "issuetype",
    "project",
    "status",
    "priority",
    "resolution",
    "resolutiondate",
    "assignee",
    "reporter",
    "creator",
    "created",
    "updated",
    "duedate",
    "timeoriginalestimate",
    "timespent",
    "parent",
    "labels",
    "components",
    "fixVersions",
    "description",
    "issuelinks",
    "comment",
)

NO_SPRINTS_MESSAGE = "The board does not support sprints"


@dataclass
class JiraSettings:
    """Everything the Jira source needs. Secrets come from the environment, never from code.

    Attributes:
        base_url: site root, e.g. ``https://acme.atlassian.net`` or the scoped-token gateway
            ``https://api.atlassian.com/ex/jira/<cloudId>``.
        deployment: ``cloud`` or ``datacenter``.
        email: Cloud account email (``SOURCES__JIRA__EMAIL``).
        api_token: Cloud API token (``SOURCES__JIRA__API_TOKEN``).
        pat: Data Center personal access token (``SOURCES__JIRA__PAT``).
        projects: project keys to include; empty means every visible project.
        start_date: first sync reads issues and worklogs updated on or after this date.
        page_size: issues per search page; by default the largest the deployment serves with
            fields (Cloud 100, Data Center 1000), and never more than that.
        custom_field_overrides: ``{"story_points": "customfield_10016", ...}`` when a site's
            field cannot be found by type or name.
        overlap_minutes: re-read window on the ``updated`` cursor (search is eventually consistent).
        reconcile: also take an id-only census per project to detect deleted issues.
        verify: TLS verification: True, False, or a CA bundle path.
        timeout_seconds: per-request read timeout.
        max_attempts: attempts per request on 429/5xx/connection errors.
        max_retry_wait_seconds: total time one request may spend waiting for retries.
        backoff_base_seconds: first backoff ceiling on 5xx without ``Retry-After``.
        mass_delete_ratio: a census that loses more than this share of a project's issues since
            the previous census stops the run instead of marking them deleted.
        concurrency: requests in flight at once (per-project dimensions, first search pages,
            changelog batches); 1 disables threads; capped at ``MAX_CONCURRENCY``.
        dimension_refresh_hours: how old the per-project, per-board and per-field listings
            (versions, components, sprints, field contexts and options) and the users may get
            before an incremental run fetches them again; a first or reconcile run, a change in
            what they are listed for (projects, boards, fields) or 0 fetches them every time.
        field_roles: ``[sources.jira.field_roles]``: PMO role -> custom field name or id, e.g.
            ``{"finance_code": "Project Code", "risk_probability": "customfield_10071"}``.
            Roles are listed in ``FIELD_ROLES``; an unknown role is a configuration error, a
            field the site does not have is a warning (its column stays empty).
    """

    base_url: str
    deployment: str = "cloud"
    email: str | None = None
    api_token: str | None = None
    pat: str | None = None
    projects: tuple[str, ...] = ()
    start_date: date | None = None
    page_size: int | None = None
    custom_field_overrides: dict[str, str] = field(default_factory=dict)
    overlap_minutes: int = 5
    reconcile: bool = False
    verify: bool | str = True
    timeout_seconds: float = 60.0
    max_attempts: int = 8
    max_retry_wait_seconds: float = 300.0
    backoff_base_seconds: float = 0.5
    mass_delete_ratio: float = 0.5
    concurrency: int = 4
    dimension_refresh_hours: float = 24.0
    field_roles: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.deployment not in ("cloud", "datacenter"):
            raise ValueError(
                "jira deployment must be 'cloud' or 'datacenter' (SOURCES__JIRA__DEPLOYMENT)"
            )
        self.base_url = self.base_url.rstrip("/")
        self.projects = tuple(self.projects)
        self.concurrency = max(1, min(int(self.concurrency), MAX_CONCURRENCY))
        self.field_roles = dict(self.field_roles or {})
        unknown = sorted(set(self.field_roles) - set(FIELD_ROLES))
        if unknown:
            from pmo_hub.config import ConfigError

            raise ConfigError(
                f"unknown Jira field role(s) in [sources.jira.field_roles]: {', '.join(unknown)}; "
                f"known roles: {', '.join(FIELD_ROLES)}"
            )
        empty = sorted(k for k, v in self.field_roles.items() if not str(v or "").strip())
        if empty:
            from pmo_hub.config import ConfigError

            raise ConfigError(
                f"[sources.jira.field_roles] {', '.join(empty)} must name a field (name or id)"
            )

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return (
            f"JiraSettings(base_url={self.base_url!r}, deployment={self.deployment!r}, "
            f"projects={self.projects!r}, reconcile={self.reconcile!r})"
        )
