"""The Jira half of the sandbox world: projects, issues with full history, worklogs, agile data.

Generated deterministically from the shared :class:`~sandbox.portfolio.Portfolio` with
``portfolio.rng("jira")``. Memory stays modest at tier M (1M issues, 12M history rows): an issue
keeps only its current state plus the seed and length of its generated changelog, and the
changelog is regenerated on demand by replaying the same seeded walk (:meth:`JiraWorld.histories`).
Edits made by :meth:`JiraWorld.tick` are appended as extra histories.

All times are held as epoch milliseconds (UTC); the server renders them the way Jira does.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.jira.site import generate_site
from sandbox.portfolio import (
    JIRA_LABOUR_SHARE,
    Manifest,
    Person,
    PlantedFault,
    Portfolio,
    Project,
    expected_progress,
    labour_cost_to_date,
)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

# Status categories as Jira Cloud ships them (ids 2/4/3 are the real ones).
STATUS_CATEGORIES = {
    2: {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    4: {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    3: {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
TODO, IN_PROGRESS, IN_REVIEW, DONE, CANCELLED = 10000, 3, 10001, 10002, 10003
STATUSES = {
    TODO: ("To Do", 2),
    IN_PROGRESS: ("In Progress", 4),
    IN_REVIEW: ("In Review", 4),
    DONE: ("Done", 3),
    CANCELLED: ("Cancelled", 3),
}
PRIORITIES = {1: "Highest", 2: "High", 3: "Medium", 4: "Low", 5: "Lowest"}
RESOLUTIONS = {10000: "Done", 10001: "Won't Do", 10002: "Duplicate"}
EPIC, STORY, TASK, BUG, SUBTASK, RISK, ISSUE = 10001, 10002, 10003, 10004, 10005, 10006, 10007
ISSUE_TYPES = {
    EPIC: ("Epic", 1, False),
    STORY: ("Story", 0, False),
    TASK: ("Task", 0, False),
    BUG: ("Bug", 0, False),
    SUBTASK: ("Sub-task", -1, True),
    RISK: ("Risk", 0, False),
    ISSUE: ("Issue", 0, False),
}
TYPE_WEIGHTS = ((EPIC, 5), (STORY, 40), (TASK, 25), (BUG, 15), (SUBTASK, 8), (RISK, 4), (ISSUE, 3))

# Deliberately not the ids most tutorials hard-code (10016, 10020): clients must resolve by name.
# Rules whose Jira faults follow from the data; a tick re-derives them (GV-10 is fixed at birth).
DERIVED_RULES = ("GV-04", "TS-03", "TS-04", "TS-05", "TS-11", "GV-08")
STORY_POINTS_FIELD = "customfield_10837"
SPRINT_FIELD = "customfield_10412"
TEAM_FIELD = "customfield_11203"
LEGACY_POINTS_FIELD = "customfield_10016"

WORDS = (
    "login export invoice dashboard report search api cache sync import billing onboarding "
    "payment audit alert migration schema upload profile settings timeout mobile latency token "
    "workflow approval budget forecast vendor ledger portal gateway"
).split()
VERBS = "Fix Add Improve Refactor Investigate Document Remove Migrate Automate Review".split()
TEAM_NAMES = ("Team Alpha", "Team Bravo", "Team Cobalt", "Team Delta", "Team Ember", "Team Fjord")
COMMENTS = (
    "Analysis",
    "Implementation",
    "Code review",
    "Testing",
    "Meeting with stakeholders",
    "Bug fixing",
    "Deployment",
)

# Per-field history items: (field, fieldtype, fieldId, from, fromString, to, toString).
HistoryItem = tuple[str, str, str, str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class History:
    """One changelog entry (a Jira "history") with its items."""

    id: int
    issue_id: int
    author: str | None
    created_ms: int
    items: tuple[HistoryItem, ...]


@dataclass
class JiraUser:
    account_id: str
    display_name: str
    email: str | None  # None when the profile hides it
    active: bool
    account_type: str  # atlassian | app
    time_zone: str
    dc_key: str  # Data Center user key (JIRAUSERnnnnn)
    dc_name: str  # Data Center user name


@dataclass
class JiraProject:
    id: int
    key: str
    name: str
    category_id: int | None
    category_name: str | None  # the finance project code, None when unmapped
    lead: str | None
    closed_ms: int | None  # close date of the finance project (worklogs after it are TS-05)
    members: tuple[str, ...]  # account ids who work on it
    project_code: str | None


@dataclass
class Board:
    id: int
    name: str
    type: str  # scrum | kanban
    project_id: int


@dataclass
class Sprint:
    id: int
    board_id: int
    name: str
    state: str  # closed | active | future
    start_ms: int
    end_ms: int
    complete_ms: int | None
    created_ms: int
    goal: str


@dataclass
class Version:
    id: int
    project_id: int
    name: str
    description: str
    start_date: date | None
    release_date: date | None
    released: bool
    archived: bool


@dataclass
class Component:
    id: int
    project_id: int
    name: str
    lead: str | None


@dataclass
class Team:
    id: str
    name: str


class Issue:
    """Current state of an issue; its generated changelog is replayed from ``hist_seed``."""

    __slots__ = (
        "id",
        "key",
        "project_id",
        "type_id",
        "summary",
        "status_id",
        "priority_id",
        "resolution_id",
        "assignee",
        "reporter",
        "parent_id",
        "story_points",
        "sprint_ids",
        "team_id",
        "created_ms",
        "updated_ms",
        "resolved_ms",
        "due_date",
        "estimate_seconds",
        "time_spent_seconds",
        "component_ids",
        "version_ids",
        "labels",
        "hist_seed",
        "hist_n",
        "hist_id_base",
        "hist_end_ms",
    )

    def __init__(self, **kwargs: object) -> None:
        for name in self.__slots__:
            setattr(self, name, kwargs.get(name))

    @property
    def is_done(self) -> bool:
        return STATUSES[self.status_id][1] == 3


class Worklog:
    """One worklog; ``started_ms`` in UTC, ``seconds`` = timeSpentSeconds."""

    __slots__ = (
        "id",
        "issue_id",
        "author",
        "started_ms",
        "seconds",
        "comment",
        "created_ms",
        "updated_ms",
    )

    def __init__(
        self,
        id: int,  # noqa: A002 - Jira's own name
        issue_id: int,
        author: str,
        started_ms: int,
        seconds: int,
        comment: str,
        created_ms: int,
        updated_ms: int,
    ) -> None:
        self.id = id
        self.issue_id = issue_id
        self.author = author
        self.started_ms = started_ms
        self.seconds = seconds
        self.comment = comment
        self.created_ms = created_ms
        self.updated_ms = updated_ms


@dataclass
class IssueState:
    """Mutable field state used while replaying an issue's walk."""

    status_id: int
    priority_id: int
    assignee: str | None
    story_points: float | None
    sprint_ids: tuple[int, ...]
    summary: str
    resolution_id: int | None = None
    resolved_ms: int | None = None


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass
class JiraWorld:
    """Everything the sandbox Jira serves. Mutate only through :meth:`tick`."""

    portfolio: Portfolio
    now_ms: int
    projects: list[JiraProject]
    users: list[JiraUser]
    api_user: JiraUser
    teams: list[Team]
    boards: list[Board]
    sprints: list[Sprint]
    versions: list[Version]
    components: list[Component]
    issues: dict[int, Issue]
    issues_by_project: dict[int, list[int]]
    worklogs: dict[int, Worklog]
    worklogs_by_issue: dict[int, list[int]]
    extra_histories: dict[int, list[History]] = field(default_factory=dict)
    deleted_issues: dict[int, int] = field(default_factory=dict)  # id -> deleted at (ms)
    deleted_worklogs: dict[int, int] = field(default_factory=dict)  # id -> deleted at (ms)
    # Real (wall-clock) time of each issue's last write, for the server's consistency lag.
    written_at: dict[int, float] = field(default_factory=dict)
    revision: int = 0
    next_issue_id: int = 0
    next_issue_num: dict[int, int] = field(default_factory=dict)
    next_history_id: int = 0
    next_worklog_id: int = 0
    ticks: int = 0
    # Custom fields, comments and links (sandbox.jira.site.JiraSite), generated last.
    site: Any = None
    _dirty: set[int] = field(default_factory=set)
    # Worklog ids per (author, UTC work date), built on the first tick and kept up to date by it,
    # so re-deriving the person-day faults after a tick only looks at the days it touched.
    _day_index: dict[tuple[str, date], set[int]] | None = field(default=None, repr=False)
    _touched_days: set[tuple[str, date]] = field(default_factory=set, repr=False)
    _touched_worklogs: set[int] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.project_by_id = {p.id: p for p in self.projects}
        self.project_by_key = {p.key: p for p in self.projects}
        self.user_by_id = {u.account_id: u for u in self.users}
        self.user_by_id[self.api_user.account_id] = self.api_user
        self.sprint_by_id = {s.id: s for s in self.sprints}
        self.sprints_by_project: dict[int, list[Sprint]] = {}
        board_project = {b.id: b.project_id for b in self.boards}
        for sprint in self.sprints:
            self.sprints_by_project.setdefault(board_project[sprint.board_id], []).append(sprint)
        self.issue_by_key = {i.key: i.id for i in self.issues.values()}
        self.team_by_id = {t.id: t for t in self.teams}
        self.component_by_id = {c.id: c for c in self.components}
        self.version_by_id = {v.id: v for v in self.versions}

    @property
    def now(self) -> datetime:
        return ms_to_datetime(self.now_ms)

    # ---- reading -------------------------------------------------------------------------

    def histories(self, issue: Issue) -> list[History]:
        """The complete changelog of ``issue``, oldest first (generated walk + tick edits)."""
        project = self.project_by_id[issue.project_id]
        _, events = _walk(self, issue, project)
        return events + self.extra_histories.get(issue.id, [])

    def initial_state(self, issue: Issue) -> IssueState:
        """The field values the issue was created with (what a changelog cannot tell you)."""
        state, _ = _walk(self, issue, self.project_by_id[issue.project_id], replay=False)
        return state

    def live_issues(self) -> Iterator[Issue]:
        for ids in self.issues_by_project.values():
            for issue_id in ids:
                yield self.issues[issue_id]

    def issue_worklogs(self, issue_id: int) -> list[Worklog]:
        return [self.worklogs[w] for w in self.worklogs_by_issue.get(issue_id, ())]

    # ---- mutation ------------------------------------------------------------------------

    def tick(
        self,
        now: datetime | None = None,
        *,
        change_fraction: float = 0.01,
        spread: timedelta | None = None,
        worklog_fraction: float | None = None,
        drift: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, int]:
        """Advance the clock and edit, create and delete issues and worklogs.

        Args:
            now: the new world time (default: one day later). Must not go backwards.
            change_fraction: share of live issues edited (creates and deletes scale with it).
            spread: edits get ``updated`` times spread over ``[now - spread, now]``
                (default: the whole interval since the previous clock, at most one day).
            worklog_fraction: share of worklogs edited (creates and deletes scale with it);
                default ``change_fraction``; 0 leaves worklogs alone. Every worklog change also
                bumps its issue's ``updated`` (as Jira does), so it re-surfaces that issue.
            drift: custom-field changes applied in this tick, each ``{"op": ...}`` with op
                ``add_field`` (name, kind, fill_fraction, options), ``remove_field`` (field),
                ``rename_field`` (field, name), ``change_type`` (field, kind) or
                ``change_values`` (field, fraction); ``field`` is an id or a name.

        Returns:
            Counts of what changed, e.g. ``{"issues_updated": 4, "issues_deleted": 1, ...}``.
        """
        import time as _time

        new_now = to_ms(now) if now is not None else self.now_ms + DAY_MS
        if new_now < self.now_ms:
            raise ValueError("the world clock cannot go backwards")
        if spread is not None:
            window = int(spread.total_seconds() * 1000)
        else:
            window = min(new_now - self.now_ms, DAY_MS)
        window = max(window, 1)
        self.ticks += 1
        rng = random.Random(f"{self.portfolio.seed}:{self.portfolio.tier}:jira-tick:{self.ticks}")
        if self._day_index is None:
            self._day_index = {day: {w.id for w in logs} for day, logs in person_days(self).items()}
        self._touched_days.clear()
        self._touched_worklogs.clear()
        wall = _time.time()
        counts = dict.fromkeys(
            (
                "issues_updated",
                "issues_created",
                "issues_deleted",
                "worklogs_updated",
                "worklogs_created",
                "worklogs_deleted",
            ),
            0,
        )

        def when(floor_ms: int) -> int:
            t = new_now - rng.randrange(window)
            return min(new_now, max(t, floor_ms + 1))

        live = sorted(i.id for i in self.live_issues())
        n_change = max(1, int(len(live) * change_fraction))
        touched: set[int] = set()
        for issue_id in rng.sample(live, k=min(n_change, len(live))):
            issue = self.issues[issue_id]
            t = when(issue.updated_ms)
            self._edit_issue(issue, rng, t)
            touched.add(issue_id)
            counts["issues_updated"] += 1
        created: list[int] = []
        for _ in range(max(1, n_change // 5)):
            project = rng.choice([p for p in self.projects if p.category_name is not None])
            t = when(self.now_ms)
            created.append(self._create_issue(project, rng, t).id)
            counts["issues_created"] += 1
        # Parents stay: Jira would delete their sub-tasks too, which this sandbox does not model.
        parents = {i.parent_id for i in self.live_issues() if i.parent_id is not None}
        live = sorted(set(live) - touched - parents)
        for issue_id in rng.sample(live, k=min(max(1, n_change // 10), len(live))):
            self._delete_issue(issue_id, when(self.now_ms))
            counts["issues_deleted"] += 1

        if self.site is not None:
            # Its own random stream: the edits above stay what they were before the site existed.
            site_rng = random.Random(
                f"{self.portfolio.seed}:{self.portfolio.tier}:site:{self.ticks}"
            )
            created = [i for i in created if i in self.issues]
            counts.update(self.site.on_tick(self, site_rng, touched, created, when))
            for op in drift:
                apply_drift(self, op, site_rng, when(self.now_ms))
                counts["fields_drifted"] = counts.get("fields_drifted", 0) + 1
        if worklog_fraction is None:
            worklog_fraction = change_fraction
        if worklog_fraction > 0:
            self._tick_worklogs(rng, worklog_fraction, when, new_now, counts)

        for issue_id in self._dirty:
            self.written_at[issue_id] = wall
        self.now_ms = new_now
        _rederive_touched_faults(self, set(self._dirty))
        self._dirty.clear()
        self.revision += 1
        return counts

    def _touch_worklog(self, wl: Worklog, *, added: bool = False, removed: bool = False) -> None:
        day = (wl.author, ms_to_datetime(wl.started_ms).date())
        if self._day_index is not None:
            if added:
                self._day_index.setdefault(day, set()).add(wl.id)
            if removed:
                self._day_index[day].discard(wl.id)
        self._touched_days.add(day)
        self._touched_worklogs.add(wl.id)

    def _tick_worklogs(
        self,
        rng: random.Random,
        fraction: float,
        when: Callable[[int], int],
        new_now: int,
        counts: dict[str, int],
    ) -> None:
        worklog_ids = sorted(self.worklogs)
        n_wl = max(1, int(len(worklog_ids) * fraction))
        for wid in rng.sample(worklog_ids, k=min(n_wl, len(worklog_ids))):
            wl = self.worklogs.get(wid)
            if wl is None:
                continue
            t = when(wl.updated_ms)
            old = wl.seconds
            wl.seconds = max(900, wl.seconds + rng.choice((-1800, 900, 1800, 3600)))
            wl.updated_ms = t
            self._touch_worklog(wl)
            self._bump_time_spent(wl.issue_id, wl.seconds - old, t)
            counts["worklogs_updated"] += 1
        live = sorted(i.id for i in self.live_issues() if i.type_id != EPIC)
        for _ in range(max(1, n_wl // 2)):
            issue = self.issues[rng.choice(live)]
            project = self.project_by_id[issue.project_id]
            t = when(self.now_ms)
            author = rng.choice(
                _members_on(project, t, contract_end_ms(self))
                if project.members
                else [self.users[0].account_id]
            )
            started = (
                _day_start(t - rng.randrange(0, 3) * DAY_MS) + rng.randrange(510, 900) * 60_000
            )
            wl = Worklog(
                self.next_worklog_id,
                issue.id,
                author,
                min(started, new_now),
                rng.choice((1800, 3600, 5400, 7200)),
                rng.choice(COMMENTS),
                t,
                t,
            )
            self.next_worklog_id += 1
            self.worklogs[wl.id] = wl
            self.worklogs_by_issue.setdefault(issue.id, []).append(wl.id)
            self._touch_worklog(wl, added=True)
            self._bump_time_spent(issue.id, wl.seconds, t)
            counts["worklogs_created"] += 1
        worklog_ids = sorted(self.worklogs)
        for wid in rng.sample(worklog_ids, k=min(max(1, n_wl // 5), len(worklog_ids))):
            wl = self.worklogs.pop(wid)
            t = when(self.now_ms)
            self.worklogs_by_issue[wl.issue_id].remove(wid)
            self.deleted_worklogs[wid] = t
            self._touch_worklog(wl, removed=True)
            self._bump_time_spent(wl.issue_id, -wl.seconds, t)
            counts["worklogs_deleted"] += 1

    def _bump_time_spent(self, issue_id: int, delta: int, t: int) -> None:
        issue = self.issues.get(issue_id)
        if issue is None:
            return
        issue.time_spent_seconds = max(0, (issue.time_spent_seconds or 0) + delta)
        issue.updated_ms = max(issue.updated_ms, t)
        self._dirty.add(issue_id)

    def _edit_issue(self, issue: Issue, rng: random.Random, t: int) -> None:
        project = self.project_by_id[issue.project_id]
        state = IssueState(
            issue.status_id,
            issue.priority_id,
            issue.assignee,
            issue.story_points,
            issue.sprint_ids,
            issue.summary,
            issue.resolution_id,
            issue.resolved_ms,
        )
        author = rng.choice(project.members) if project.members else None
        items = _random_change(self, rng, issue.type_id, project, state, t, allow_status=True)
        history = History(self.next_history_id, issue.id, author, t, items)
        self.next_history_id += 1
        self.extra_histories.setdefault(issue.id, []).append(history)
        issue.status_id = state.status_id
        issue.priority_id = state.priority_id
        issue.assignee = state.assignee
        issue.story_points = state.story_points
        issue.sprint_ids = state.sprint_ids
        issue.summary = state.summary
        issue.resolution_id = state.resolution_id
        issue.resolved_ms = state.resolved_ms
        issue.updated_ms = t
        self._dirty.add(issue.id)

    def _create_issue(self, project: JiraProject, rng: random.Random, t: int) -> Issue:
        issue = _new_issue(self, project, rng, rng.choice((STORY, TASK, BUG)), t, t, hist_n=0)
        self.issues[issue.id] = issue
        self.issues_by_project[project.id].append(issue.id)
        self.issue_by_key[issue.key] = issue.id
        self._dirty.add(issue.id)
        return issue

    def _delete_issue(self, issue_id: int, t: int) -> None:
        issue = self.issues.pop(issue_id)
        self.issues_by_project[issue.project_id].remove(issue_id)
        self.issue_by_key.pop(issue.key, None)
        self.deleted_issues[issue_id] = t
        self.revision += 1
        if self.site is not None:
            self.site.on_delete(issue_id)
        # Jira deletes an issue's worklogs with it; they show up in worklog/deleted.
        for wid in self.worklogs_by_issue.pop(issue_id, []):
            self._touch_worklog(self.worklogs.pop(wid), removed=True)
            self.deleted_worklogs[wid] = t
        # Children of a deleted parent lose the link (Jira deletes sub-tasks; keep it simple).
        self._dirty.discard(issue_id)


# ---- generation ------------------------------------------------------------------------------


def _day_start(ms: int) -> int:
    return ms - ms % DAY_MS


def _summary(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(WORDS)} {rng.choice(WORDS)}"


def _random_change(
    world: JiraWorld,
    rng: random.Random,
    type_id: int,
    project: JiraProject,
    state: IssueState,
    t: int,
    *,
    allow_status: bool,
    no_owner: bool = False,
) -> tuple[HistoryItem, ...]:
    """Apply one random non-structural change to ``state`` and describe it as history items."""
    roll = rng.random()
    if allow_status and roll < 0.35 and state.status_id in (TODO, IN_PROGRESS, IN_REVIEW):
        nxt = {TODO: IN_PROGRESS, IN_PROGRESS: IN_REVIEW, IN_REVIEW: DONE}[state.status_id]
        return _status_items(state, nxt, t)
    if roll < 0.6 and project.members and not no_owner:
        new = rng.choice(project.members)
        if new != state.assignee:
            old = state.assignee
            state.assignee = new
            return (
                (
                    "assignee",
                    "jira",
                    "assignee",
                    old,
                    world.user_by_id[old].display_name if old else None,
                    new,
                    world.user_by_id[new].display_name,
                ),
            )
    if roll < 0.75 and type_id in (STORY, BUG):
        old_sp = state.story_points
        state.story_points = float(rng.choice((1, 2, 3, 5, 8, 13)))
        return (
            (
                "Story Points",
                "custom",
                STORY_POINTS_FIELD,
                None,
                _num(old_sp),
                None,
                _num(state.story_points),
            ),
        )
    if roll < 0.85:
        sprints = world.sprints_by_project.get(project.id, [])
        candidates = [
            s for s in sprints if s.start_ms <= t + 14 * DAY_MS and s.id not in state.sprint_ids
        ]
        if candidates:
            sprint = min(candidates, key=lambda s: abs(s.start_ms - t))
            old_ids = state.sprint_ids
            state.sprint_ids = (*old_ids, sprint.id)
            return (
                (
                    "Sprint",
                    "custom",
                    SPRINT_FIELD,
                    ", ".join(str(i) for i in old_ids) or None,
                    ", ".join(world.sprint_by_id[i].name for i in old_ids) or None,
                    ", ".join(str(i) for i in state.sprint_ids),
                    ", ".join(world.sprint_by_id[i].name for i in state.sprint_ids),
                ),
            )
    if roll < 0.93:
        old_p = state.priority_id
        state.priority_id = rng.choice([p for p in PRIORITIES if p != old_p])
        return (
            (
                "priority",
                "jira",
                "priority",
                str(old_p),
                PRIORITIES[old_p],
                str(state.priority_id),
                PRIORITIES[state.priority_id],
            ),
        )
    old_s = state.summary
    state.summary = _summary(rng)
    return (("summary", "jira", "summary", None, old_s, None, state.summary),)


def _num(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _status_items(state: IssueState, nxt: int, t: int) -> tuple[HistoryItem, ...]:
    old = state.status_id
    state.status_id = nxt
    items: list[HistoryItem] = [
        ("status", "jira", "status", str(old), STATUSES[old][0], str(nxt), STATUSES[nxt][0])
    ]
    if STATUSES[nxt][1] == 3 and state.resolution_id is None:
        state.resolution_id = 10000 if nxt == DONE else 10001
        state.resolved_ms = t
        items.append(
            (
                "resolution",
                "jira",
                "resolution",
                None,
                None,
                str(state.resolution_id),
                RESOLUTIONS[state.resolution_id],
            )
        )
    return tuple(items)


def _schedule_share(world: JiraWorld, project: JiraProject, created_ms: int) -> float:
    """How likely an issue is finished by the generation clock: the share of its project's
    approved schedule that has elapsed, less for projects whose schedule slips. Work then keeps
    pace with the plan, so earned value tracks planned value (issue 10: a credible portfolio);
    issues of unmapped projects age over 400 days as before."""
    now = to_ms(world.portfolio.now)
    finance = next(
        (p for p in world.portfolio.projects if p.project_code == project.project_code), None
    )
    if finance is None:
        return min(1.0, (now - created_ms) / (400 * DAY_MS))
    # Issues created late in the project dilute the done share: 1.1 keeps on-plan projects on plan.
    return min(1.0, 1.1 * expected_progress(finance, ms_to_datetime(now).date()))


def _walk(
    world: JiraWorld, issue: Issue, project: JiraProject, *, replay: bool = True
) -> tuple[IssueState, list[History]]:
    """Replay the seeded changelog walk of ``issue`` from its creation state.

    Returns the initial state and the generated histories; the final state of the walk is the
    issue's state at generation time (tick edits come on top as extra histories).
    """
    rng = random.Random(issue.hist_seed)
    members = project.members
    type_id = issue.type_id
    no_owner = type_id in (RISK, ISSUE) and rng.random() < 0.3
    initial = IssueState(
        status_id=TODO,
        priority_id=rng.choice((2, 3, 3, 3, 4)),
        assignee=None if no_owner or not members else rng.choice(members),
        story_points=float(rng.choice((1, 2, 3, 5, 8)))
        if type_id in (STORY, BUG) and rng.random() < 0.8
        else None,
        sprint_ids=(),
        summary=_summary(rng),
    )
    target_done = rng.random()  # compared with the issue's age share to pick the final status
    last_status = DONE if rng.random() < 0.9 else CANCELLED
    keep = rng.randrange(0, 3)
    if not replay:
        return initial, []
    state = IssueState(**initial.__dict__)
    n = issue.hist_n
    events: list[History] = []
    if n == 0:
        return initial, events
    span = max(1, issue.hist_end_ms - issue.created_ms)
    times = sorted(issue.created_ms + 1 + rng.randrange(span) for _ in range(n - 1))
    times.append(issue.hist_end_ms)
    # The generation clock, not world.now_ms: a replay after tick() must give the same walk.
    age_share = _schedule_share(world, project, issue.created_ms)
    finish = project.closed_ms is not None or target_done < age_share
    full_path = [IN_PROGRESS, IN_REVIEW, last_status]
    if finish:
        # A finished issue's last event is its resolution; short walks skip the early steps.
        path = full_path[-min(3, n) :]
        slots = sorted(rng.sample(range(n - 1), k=len(path) - 1)) + [n - 1]
    else:
        path = full_path[: min(keep, n)]
        slots = sorted(rng.sample(range(n), k=len(path)))
    status_at = dict(zip(slots, path, strict=True))
    author_pool = members or (world.api_user.account_id,)
    for idx, t in enumerate(times):
        author = rng.choice(author_pool)
        nxt = status_at.get(idx)
        if nxt is not None and nxt != state.status_id:
            items = _status_items(state, nxt, t)
        else:
            items = _random_change(
                world, rng, type_id, project, state, t, allow_status=False, no_owner=no_owner
            )
        events.append(History(issue.hist_id_base + idx, issue.id, author, t, items))
    issue_final = state
    _LAST_FINAL[0] = issue_final
    return initial, events


# The final state of the most recent replay (saves returning it through every caller).
_LAST_FINAL: list[IssueState] = [IssueState(TODO, 3, None, None, (), "")]


def _new_issue(
    world: JiraWorld,
    project: JiraProject,
    rng: random.Random,
    type_id: int,
    created_ms: int,
    hist_end_ms: int,
    *,
    hist_n: int,
    parent_id: int | None = None,
) -> Issue:
    num = world.next_issue_num.get(project.id, 1)
    world.next_issue_num[project.id] = num + 1
    issue = Issue(
        id=world.next_issue_id,
        key=f"{project.key}-{num}",
        project_id=project.id,
        type_id=type_id,
        created_ms=created_ms,
        updated_ms=hist_end_ms,
        hist_seed=rng.getrandbits(63),
        hist_n=hist_n,
        hist_id_base=world.next_history_id,
        hist_end_ms=hist_end_ms,
        parent_id=parent_id,
        reporter=rng.choice(project.members) if project.members else None,
        team_id=rng.choice(world.teams).id if rng.random() < 0.6 else None,
        due_date=(ms_to_datetime(created_ms) + timedelta(days=rng.randrange(14, 90))).date()
        if rng.random() < 0.5
        else None,
        estimate_seconds=rng.choice((2, 4, 8, 16, 24)) * 3600
        if type_id in (TASK, SUBTASK, BUG)
        else None,
        time_spent_seconds=None,
        labels=tuple(
            sorted(rng.sample(("backend", "frontend", "ux", "infra", "pmo"), k=rng.randrange(0, 3)))
        ),
        component_ids=(),
        version_ids=(),
    )
    world.next_issue_id += 1
    world.next_history_id += hist_n
    _, events = _walk(world, issue, project)
    state = _LAST_FINAL[0] if events else _walk(world, issue, project, replay=False)[0]
    issue.summary = state.summary
    issue.status_id = state.status_id
    issue.priority_id = state.priority_id
    issue.assignee = state.assignee
    issue.story_points = state.story_points
    issue.sprint_ids = state.sprint_ids
    issue.resolution_id = state.resolution_id
    issue.resolved_ms = state.resolved_ms
    return issue


def _apply_item(state: IssueState, item: HistoryItem) -> None:
    field_name, _, field_id, _, _, to, to_string = item
    if field_id == "status":
        state.status_id = int(to)  # type: ignore[arg-type]
    elif field_id == "resolution":
        state.resolution_id = int(to) if to else None
    elif field_id == "assignee":
        state.assignee = to
    elif field_id == "priority":
        state.priority_id = int(to)  # type: ignore[arg-type]
    elif field_id == STORY_POINTS_FIELD:
        state.story_points = float(to_string) if to_string else None
    elif field_id == SPRINT_FIELD:
        state.sprint_ids = tuple(int(x) for x in to.split(", ")) if to else ()
    elif field_id == "summary":
        state.summary = to_string or ""


def _user_for(person: Person, rng: random.Random, index: int) -> JiraUser:
    return JiraUser(
        account_id=person.jira_account_id,
        display_name=person.display_name,
        email=None if rng.random() < 0.2 else person.email,
        active=person.is_active,
        account_type="atlassian",
        time_zone=rng.choice(
            ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata")
        ),
        dc_key=f"JIRAUSER{10100 + index}",
        dc_name=person.email.split("@")[0],
    )


def generate_jira(portfolio: Portfolio) -> JiraWorld:
    """Generate the deterministic Jira world for ``portfolio`` (plants faults in its manifest).

    Args:
        portfolio: the shared portfolio; ``portfolio.size.jira_issues`` issues are spread over the
            projects that use Jira, with about ``history_rows`` changelog entries and
            ``worklog_rows`` worklogs in total.

    Returns:
        The world, with its clock at ``portfolio.now``.
    """
    rng = portfolio.rng("jira")
    size = portfolio.size
    now_ms = to_ms(portfolio.now)
    manifest = portfolio.manifest

    users: list[JiraUser] = []
    for index, person in enumerate(p for p in portfolio.people if p.uses_jira):
        users.append(_user_for(person, rng, index))
        if any(o.person_id == person.person_id for o in portfolio.labour_overlaps):
            # A planted TS-12 double booking needs a person the identity crosswalk can match.
            users[-1].email = person.email
    users.append(
        JiraUser(
            account_id="557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
            display_name="Automation for Jira",
            email=None,
            active=True,
            account_type="app",
            time_zone="UTC",
            dc_key="JIRAUSER10000",
            dc_name="automation",
        )
    )
    api_user = JiraUser(
        account_id=f"{rng.getrandbits(96):024x}",
        display_name="PMO Hub Sync",
        email="pmo-sync@example.com",
        active=True,
        account_type="atlassian",
        time_zone="America/Los_Angeles",
        dc_key="JIRAUSER10001",
        dc_name="pmo-sync",
    )
    jira_people = {p.person_id for p in portfolio.people if p.uses_jira}
    fallback_members = tuple(
        u.account_id for u in users if u.account_type == "atlassian" and u.active
    )

    projects: list[JiraProject] = []
    for index, proj in enumerate(p for p in portfolio.projects if "jira" in p.tools):
        members = (
            tuple(
                portfolio.person(pid).jira_account_id
                for pid in proj.team
                if pid in jira_people and portfolio.person(pid).is_active
            )
            or fallback_members[:3]
        )
        projects.append(_jira_project(proj, 10000 + index, members, portfolio))
    extra_key = "OPSX"
    projects.append(
        JiraProject(
            id=10000 + len(projects),
            key=extra_key,
            name="Ops scratchpad",
            category_id=None,
            category_name=None,
            lead=None,
            closed_ms=None,
            members=fallback_members[:4],
            project_code=None,
        )
    )
    manifest.plant("GV-10", "jira", "project", extra_key, "Jira project without a project category")

    teams = [Team(str(uuid.UUID(int=rng.getrandbits(128), version=4)), name) for name in TEAM_NAMES]

    boards: list[Board] = []
    sprints: list[Sprint] = []
    versions: list[Version] = []
    components: list[Component] = []
    world = JiraWorld(
        portfolio=portfolio,
        now_ms=now_ms,
        projects=projects,
        users=users,
        api_user=api_user,
        teams=teams,
        boards=boards,
        sprints=sprints,
        versions=versions,
        components=components,
        issues={},
        issues_by_project={p.id: [] for p in projects},
        worklogs={},
        worklogs_by_issue={},
        next_issue_id=10000,
        next_history_id=100000,
        next_worklog_id=10000,
    )
    project_start: dict[int, int] = {}
    open_jira = [p for p in portfolio.projects if "jira" in p.tools and p.status != "closed"]
    most_slipping = max(open_jira, key=lambda p: p.schedule_slip_days, default=None)
    for proj, jproj in zip(
        [p for p in portfolio.projects if "jira" in p.tools] + [None], projects, strict=True
    ):
        start = (
            to_ms(datetime.combine(proj.start_date, datetime.min.time(), UTC))
            if proj
            else now_ms - 200 * DAY_MS
        )
        project_start[jproj.id] = start
        end = jproj.closed_ms or now_ms
        board_type = "kanban" if jproj.category_name is None or rng.random() < 0.3 else "scrum"
        board = Board(len(boards) + 1, f"{jproj.key} board", board_type, jproj.id)
        boards.append(board)
        if board_type == "scrum":
            t = start
            n = 1
            while t < now_ms + 28 * DAY_MS and t < end + 14 * DAY_MS:
                sprint_end = t + 14 * DAY_MS
                state = (
                    "closed" if sprint_end <= now_ms else ("active" if t <= now_ms else "future")
                )
                sprints.append(
                    Sprint(
                        len(sprints) + 1,
                        board.id,
                        f"{jproj.key} Sprint {n}",
                        state,
                        t,
                        sprint_end,
                        sprint_end + 3_600_000 if state == "closed" else None,
                        t - DAY_MS,
                        rng.choice(("", "Ship the MVP", "Stabilise", "Close the audit findings")),
                    )
                )
                t = sprint_end
                n += 1
        # A version past its release date stays unreleased (GV-04, schedule days late) only on
        # projects whose schedule slips by a month or more (and the most slipping one, so every
        # world has some), or for the ten days a release may lag (schedule Amber): overdue
        # versions on every fifth release made most projects Red.
        may_overrun = proj is None or proj.schedule_slip_days >= 30 or proj is most_slipping
        for v in range(rng.randrange(2, 6)):
            release = ms_to_datetime(start + (v + 1) * rng.randrange(30, 120) * DAY_MS).date()
            lag = (portfolio.as_of - release).days
            past = release < portfolio.as_of
            draw = rng.random() if past and jproj.closed_ms is None else 1.0
            # The most slipping project keeps its first past release open, whatever the draw.
            forced = (
                past
                and proj is most_slipping
                and all(v.released for v in versions if v.project_id == jproj.id)
            )
            released = past and (
                jproj.closed_ms is not None
                or (draw < 0.8 and not forced)
                or not (may_overrun or lag <= 10)
            )
            versions.append(
                Version(
                    10000 + len(versions),
                    jproj.id,
                    f"{v + 1}.0",
                    f"Release {v + 1}.0 of {jproj.name}",
                    ms_to_datetime(start).date(),
                    release,
                    released,
                    False,
                )
            )
        for name in rng.sample(
            ("Backend", "Frontend", "Data", "Infrastructure", "Reporting"), k=rng.randrange(2, 5)
        ):
            components.append(
                Component(
                    10000 + len(components), jproj.id, name, rng.choice(jproj.members or (None,))
                )
            )
    world.__post_init__()
    _plant_overdue_versions(world, manifest, portfolio.as_of)

    # Issues: spread the tier's volume over the mapped projects by random weights.
    weights = [rng.uniform(0.5, 1.5) if p.category_name else 0.2 for p in projects]
    total_w = sum(weights)
    counts = [max(3, int(size.jira_issues * w / total_w)) for w in weights]
    mean_hist = size.history_rows / max(1, size.jira_issues)
    types, type_w = zip(*TYPE_WEIGHTS, strict=True)
    comps_by_project: dict[int, list[int]] = {}
    for c in components:
        comps_by_project.setdefault(c.project_id, []).append(c.id)
    vers_by_project: dict[int, list[int]] = {}
    for v in versions:
        vers_by_project.setdefault(v.project_id, []).append(v.id)
    for jproj, count in zip(projects, counts, strict=True):
        start = project_start[jproj.id]
        end = jproj.closed_ms or now_ms
        span = max(DAY_MS, end - start)
        created_list = sorted(start + rng.randrange(span) for _ in range(count))
        epics: list[int] = []
        parents: list[int] = []
        for created in created_list:
            type_id = rng.choices(types, type_w)[0]
            if type_id == SUBTASK and not parents:
                type_id = TASK
            parent_id = None
            if type_id == SUBTASK:
                parent_id = rng.choice(parents[-50:])
            elif type_id in (STORY, TASK, BUG) and epics and rng.random() < 0.7:
                parent_id = rng.choice(epics[-10:])
            # Mostly around the mean, a tail beyond the 40 that embedded changelogs keep.
            if rng.random() < 0.04:
                hist_n = rng.randrange(41, 90)
            else:
                hist_n = rng.randrange(0, max(2, int(2 * mean_hist * 0.85)))
            if jproj.closed_ms is not None:
                hist_n = max(hist_n, 1)
            hist_end = created + int((end - created) * rng.random() ** 2) if hist_n else created
            issue = _new_issue(
                world, jproj, rng, type_id, created, hist_end, hist_n=hist_n, parent_id=parent_id
            )
            if comps_by_project.get(jproj.id) and rng.random() < 0.5:
                issue.component_ids = (rng.choice(comps_by_project[jproj.id]),)
            if vers_by_project.get(jproj.id) and rng.random() < 0.4:
                issue.version_ids = (rng.choice(vers_by_project[jproj.id]),)
            world.issues[issue.id] = issue
            world.issues_by_project[jproj.id].append(issue.id)
            if type_id == EPIC:
                epics.append(issue.id)
            elif type_id in (STORY, TASK, BUG):
                parents.append(issue.id)

    _generate_worklogs(world, rng)
    world.__post_init__()
    _plant_derived_faults(world)
    world.site = generate_site(world)
    return world


def apply_drift(
    world: JiraWorld, op: Mapping[str, Any], rng: random.Random, t: int
) -> dict[str, Any]:
    """Apply one custom-field drift operation (see :meth:`JiraWorld.tick`)."""
    site = world.site
    kind = op.get("op")
    if kind == "add_field":
        cf = site.add_field(
            world,
            op["name"],
            op.get("kind", "text"),
            fill_fraction=float(op.get("fill_fraction", 0.3)),
            options=tuple(op.get("options") or ()),
            rng=rng,
            t=t,
        )
    elif kind == "remove_field":
        cf = site.remove_field(op["field"])
    elif kind == "rename_field":
        cf = site.rename_field(op["field"], op["name"])
    elif kind == "change_type":
        cf = site.change_type(world, op["field"], op["kind"], t)
    elif kind == "change_values":
        site.change_values(world, op["field"], float(op.get("fraction", 0.2)), rng, t)
        cf = site._find(op["field"])
    else:
        raise ValueError(
            f"unknown drift op {kind!r}: add_field, remove_field, rename_field, change_type, "
            "change_values"
        )
    world.revision += 1
    return {"op": kind, "field": cf.id, "name": cf.name, "kind": cf.kind}


def _jira_project(
    proj: Project, project_id: int, members: tuple[str, ...], portfolio: Portfolio
) -> JiraProject:
    manager = portfolio.person(proj.manager_id) if proj.manager_id else None
    closed_ms = (
        to_ms(datetime.combine(proj.closed_date, datetime.min.time(), UTC))
        if proj.closed_date
        else None
    )
    return JiraProject(
        id=project_id,
        key=proj.jira_key or f"J{project_id}",
        name=proj.name,
        category_id=project_id,
        category_name=proj.project_code,
        lead=manager.jira_account_id if manager and manager.uses_jira else None,
        closed_ms=closed_ms,
        members=members,
        project_code=proj.project_code,
    )


def contract_end_ms(world: JiraWorld) -> dict[str, int]:
    """Jira account id -> start of the day after a contractor's contract ends (exclusive bound):
    a contractor logs no time after their contract, so only planted faults break TS-10."""
    ends: dict[str, int] = {}
    for person in world.portfolio.people:
        if person.employment_type == "contractor" and person.contract_end_date is not None:
            end = datetime.combine(person.contract_end_date, datetime.min.time(), tzinfo=UTC)
            ends[person.jira_account_id] = int(end.timestamp() * 1000) + DAY_MS
    return ends


def _generate_worklogs(world: JiraWorld, rng: random.Random) -> None:
    size = world.portfolio.size
    now_ms = world.now_ms
    contract_ends = contract_end_ms(world)
    loggable = [
        i for i in world.issues.values() if i.type_id != EPIC and i.created_ms < now_ms - 3 * DAY_MS
    ]
    n_regular = max(0, size.worklog_rows - 40)
    # Regular time stays within 8 h per person and day, so only planted days break TS-03.
    booked: dict[tuple[str, int], int] = {}
    # Planted TS-12 (portfolio.labour_overlaps): the same hours also go into a finance timesheet.
    project_by_code = {p.project_code: p for p in world.projects if p.project_code}
    for overlap in world.portfolio.labour_overlaps:
        project = project_by_code[overlap.project_code]
        day = int(
            datetime.combine(overlap.work_date, datetime.min.time(), tzinfo=UTC).timestamp() * 1000
        )
        issues = [
            world.issues[i]
            for i in world.issues_by_project[project.id]
            if world.issues[i].type_id != EPIC
        ]
        issue = next((i for i in issues if i.created_ms < day), issues[0])
        author = world.portfolio.person(overlap.person_id).jira_account_id
        seconds = int(overlap.hours * 3600)
        booked[(author, day)] = booked.get((author, day), 0) + seconds
        _add_worklog(world, rng, issue, project, day, seconds, author=author)
    # A few long-running issues collect many worklogs (more than the 20 that search embeds).
    busy = rng.sample(loggable, k=max(3, len(loggable) // 100))
    busy_ids = {i.id for i in busy}
    # Each mapped project books worklogs up to its share of the labour the plan has consumed so
    # far (portfolio.labour_cost_to_date), so actual cost follows the plan; the unmapped project
    # gets a small fixed share. Worklogs drawn at random over all issues made CPI a lottery.
    finance = {p.project_code: p for p in world.portfolio.projects}
    rates = {p.jira_account_id: float(p.cost_rate) for p in world.portfolio.people}
    as_of = world.portfolio.as_of
    budgets: dict[int, float] = {}
    for project in world.projects:
        if project.project_code in finance:
            target = labour_cost_to_date(finance[project.project_code], as_of)
            budgets[project.id] = float(target) * JIRA_LABOUR_SHARE
        else:
            budgets[project.id] = 0.01 * n_regular * 2 * _AVERAGE_RATE
    by_project: dict[int, list[Issue]] = {}
    for issue in loggable:
        by_project.setdefault(issue.project_id, []).append(issue)
    for project_id, issues in sorted(by_project.items()):
        project_busy = [i for i in issues if i.id in busy_ids]
        spent, misses = 0.0, 0
        while spent < budgets.get(project_id, 0.0) and misses < 200:
            issue = rng.choice(project_busy) if project_busy and rng.random() < 0.1 else None
            issue = issue or rng.choice(issues)
            logged = _regular_worklog(world, rng, issue, booked, contract_ends)
            if logged is None:
                misses += 1
                continue
            misses = 0
            spent += logged.seconds / 3600 * rates.get(logged.author, _AVERAGE_RATE)

    # Planted: a few people logging well over 8 hours a day (TS-03), some without comments (TS-11).
    active = [p for p in world.projects if p.closed_ms is None and p.members and p.category_name]
    for k in range(6):
        project = active[k % len(active)]
        issues = [
            world.issues[i]
            for i in world.issues_by_project[project.id]
            if world.issues[i].type_id != EPIC
        ]
        day = _day_start(now_ms - rng.randrange(3, 40) * DAY_MS)
        author = rng.choice(_members_on(project, day, contract_ends))
        while (author, day) in booked:  # a day of its own, so TS-11 depends on these two only
            day -= DAY_MS
        booked[(author, day)] = 9 * 3600 + 1800
        for seconds in (5 * 3600, 4 * 3600 + 1800):
            wl = _add_worklog(world, rng, rng.choice(issues), project, day, seconds, author=author)
            if k % 2 == 0:
                wl.comment = ""
    # Planted: future-dated worklogs (TS-04).
    for k in range(4):
        project = rng.choice(active)
        issue = world.issues[rng.choice(world.issues_by_project[project.id])]
        # The first is two days ahead, so a few ticks always pass one (the clock retracts it).
        day = _day_start(now_ms + (2 if k == 0 else rng.randrange(2, 20)) * DAY_MS)
        author = rng.choice(_members_on(project, day, contract_ends))
        wl = _add_worklog(world, rng, issue, project, day, 3600, author=author)
        wl.created_ms = wl.updated_ms = now_ms - rng.randrange(1, 5) * HOUR_MS
    # Planted: time booked after the project closed (TS-05).
    closed = [
        p for p in world.projects if p.closed_ms is not None and world.issues_by_project[p.id]
    ]
    for k in range(min(6, 2 * len(closed))):
        project = closed[k % len(closed)]
        issue = world.issues[rng.choice(world.issues_by_project[project.id])]
        day = _day_start(project.closed_ms) + rng.randrange(1, 4) * DAY_MS
        if day < now_ms - DAY_MS:
            author = rng.choice(_members_on(project, day, contract_ends))
            _add_worklog(world, rng, issue, project, day, 7200, author=author)


_AVERAGE_RATE = 85.0  # per hour, for the unmapped project's share


def _regular_worklog(
    world: JiraWorld,
    rng: random.Random,
    issue: Issue,
    booked: dict[tuple[str, int], int],
    contract_ends: dict[str, int],
) -> Worklog | None:
    """One worklog on ``issue`` within its life, its project's and its author's contract, and
    8 h per person and day (so only planted days break TS-03); None when none fits."""
    now_ms = world.now_ms
    project = world.project_by_id[issue.project_id]
    last = min(issue.resolved_ms or now_ms, project.closed_ms or now_ms, now_ms - DAY_MS)
    last = max(last, issue.created_ms + DAY_MS)
    author = rng.choice(project.members or (world.users[0].account_id,))
    author_last = min(last, contract_ends.get(author, last + DAY_MS) - DAY_MS)
    if author_last <= issue.created_ms:
        return None
    seconds = rng.choice((1800, 3600, 5400, 7200, 10800, 14400))
    for _attempt in range(6):
        day = _day_start(issue.created_ms + rng.randrange(author_last - issue.created_ms))
        if project.closed_ms is not None and day >= _day_start(project.closed_ms):
            day = _day_start(project.closed_ms) - DAY_MS
        if booked.get((author, day), 0) + seconds <= 8 * 3600:
            break
    else:
        return None
    booked[(author, day)] = booked.get((author, day), 0) + seconds
    return _add_worklog(world, rng, issue, project, day, seconds, author=author)


def _members_on(project: JiraProject, day_ms: int, contract_ends: dict[str, int]) -> list[str]:
    """Members who may log time on ``day_ms`` (contractors only up to their contract end)."""
    members = [m for m in project.members if day_ms < contract_ends.get(m, day_ms + 1)]
    return members or list(project.members)


def _add_worklog(
    world: JiraWorld,
    rng: random.Random,
    issue: Issue,
    project: JiraProject,
    day_ms: int,
    seconds: int,
    *,
    author: str | None = None,
) -> Worklog:
    # Started between 08:30 and 15:00 UTC: the same calendar day in UTC and in the US/EU zones.
    started = day_ms + rng.randrange(510, 900) * 60_000
    created = started + seconds * 1000 + rng.randrange(0, 2 * DAY_MS)
    created = min(created, world.now_ms - 60_000)
    updated = (
        created
        if rng.random() < 0.85
        else min(world.now_ms - 60_000, created + rng.randrange(1, 5 * DAY_MS))
    )
    wl = Worklog(
        world.next_worklog_id,
        issue.id,
        author or rng.choice(project.members or (world.users[0].account_id,)),
        started,
        seconds,
        "" if rng.random() < 0.25 else rng.choice(COMMENTS),
        created,
        max(updated, created),
    )
    world.next_worklog_id += 1
    world.worklogs[wl.id] = wl
    world.worklogs_by_issue.setdefault(issue.id, []).append(wl.id)
    issue.time_spent_seconds = (issue.time_spent_seconds or 0) + seconds
    return wl


def person_days(world: JiraWorld) -> dict[tuple[str, date], list[Worklog]]:
    """Worklogs grouped by (author account id, UTC work date)."""
    days: dict[tuple[str, date], list[Worklog]] = {}
    for wl in world.worklogs.values():
        days.setdefault((wl.author, ms_to_datetime(wl.started_ms).date()), []).append(wl)
    return days


def _plant_overdue_versions(world: JiraWorld, manifest: Manifest, as_of: date) -> None:
    for version in world.versions:
        if not version.released and version.release_date and version.release_date < as_of:
            manifest.plant(
                "GV-04",
                "jira",
                "version",
                str(version.id),
                f"release date {version.release_date} passed",
            )


def rederive_faults(world: JiraWorld) -> None:
    """Re-derive every data-derived Jira fault from scratch (what a tick does incrementally).

    A tick deletes and edits worklogs, moves the clock past future-dated ones and past release
    dates, and reassigns RAID items; the faults of :data:`DERIVED_RULES` follow the data.
    """
    derived = Manifest()
    _plant_overdue_versions(world, derived, world.now.date())
    _plant_derived_faults(world, derived)
    world.portfolio.manifest.replace("jira", DERIVED_RULES, derived.faults)


def _day_faults(author: str, day: date, logs: list[Worklog]) -> list[PlantedFault]:
    hours = sum(w.seconds for w in logs) / 3600
    if hours <= 8:
        return []
    key = f"{author}|{day.isoformat()}"
    faults = [PlantedFault("TS-03", "jira", "person_day", key, f"{hours:g} h logged")]
    if all(not w.comment for w in logs):
        faults.append(PlantedFault("TS-11", "jira", "person_day", key, f"{hours:g} h, no comment"))
    return faults


def _worklog_faults(world: JiraWorld, wl: Worklog) -> list[PlantedFault]:
    faults = []
    if wl.started_ms > world.now_ms:
        faults.append(PlantedFault("TS-04", "jira", "worklog", str(wl.id), "started in the future"))
    project = world.project_by_id[world.issues[wl.issue_id].project_id]
    if project.closed_ms is not None and _day_start(wl.started_ms) > _day_start(project.closed_ms):
        faults.append(
            PlantedFault("TS-05", "jira", "worklog", str(wl.id), f"project {project.key} closed")
        )
    return faults


def _issue_faults(issue: Issue, site: Any = None) -> list[PlantedFault]:
    # A RAID item: a Risk or Issue, or (with the sandbox's field roles) a task whose RAID
    # Category field says so; its owner is the assignee, else the Decision Owner field.
    raid = issue.type_id in (RISK, ISSUE)
    owner = issue.assignee
    if site is not None and not raid:
        raid, decision_owner = site.raid_flags(issue.id)
        owner = owner or decision_owner
    if raid and owner is None and not issue.is_done:
        return [PlantedFault("GV-08", "jira", "issue", issue.key, "RAID item without owner")]
    return []


def _plant_derived_faults(world: JiraWorld, manifest: Manifest | None = None) -> None:
    """Record every rule breach present in the generated data, planted or incidental, exactly."""
    if manifest is None:
        manifest = world.portfolio.manifest
    found = [
        f for (a, d), logs in sorted(person_days(world).items()) for f in _day_faults(a, d, logs)
    ]
    for wl in sorted(world.worklogs.values(), key=lambda w: w.id):
        found += _worklog_faults(world, wl)
    for issue in sorted(world.issues.values(), key=lambda i: i.id):
        found += _issue_faults(issue, world.site)
    for fault in found:
        manifest.plant(fault.rule_id, fault.system, fault.entity, fault.key, fault.detail)


def _rederive_touched_faults(world: JiraWorld, touched_issues: set[int]) -> None:
    """After a tick: the faults :func:`rederive_faults` would list, from what the tick touched.

    The manifest held exactly the derived faults before the tick, so only the person days and
    worklogs it touched, the issues it changed and the faults already listed need a look.
    """
    manifest = world.portfolio.manifest
    old = [f for f in manifest.faults if f.system == "jira" and f.rule_id in DERIVED_RULES]
    kept = {(f.rule_id, f.key): f for f in old if f.rule_id != "GV-04"}
    index = world._day_index or {}
    for author, day in world._touched_days:
        key = f"{author}|{day.isoformat()}"
        kept.pop(("TS-03", key), None)
        kept.pop(("TS-11", key), None)
        logs = [world.worklogs[w] for w in index.get((author, day), ())]
        kept.update(((f.rule_id, f.key), f) for f in _day_faults(author, day, logs))
    worklog_ids = set(world._touched_worklogs)
    worklog_ids.update(int(f.key) for f in old if f.rule_id in ("TS-04", "TS-05"))
    for wid in worklog_ids:
        kept.pop(("TS-04", str(wid)), None)
        kept.pop(("TS-05", str(wid)), None)
        if wid in world.worklogs:
            kept.update(
                ((f.rule_id, f.key), f) for f in _worklog_faults(world, world.worklogs[wid])
            )
    issue_ids = set(touched_issues)
    for fault in old:
        if fault.rule_id == "GV-08":
            kept.pop(("GV-08", fault.key), None)
            if fault.key in world.issue_by_key:
                issue_ids.add(world.issue_by_key[fault.key])
    for issue_id in issue_ids:
        if issue_id in world.issues:
            kept.update(
                ((f.rule_id, f.key), f) for f in _issue_faults(world.issues[issue_id], world.site)
            )

    # The order of a full derivation: person days, then worklogs, then issues.
    rank = {"TS-03": 0, "TS-11": 1, "TS-04": 0, "TS-05": 1}

    def order(fault: PlantedFault) -> tuple:
        if fault.entity == "person_day":
            author, _, day = fault.key.partition("|")
            return (0, author, day, rank[fault.rule_id])
        if fault.entity == "worklog":
            return (1, int(fault.key), "", rank[fault.rule_id])
        return (2, world.issue_by_key[fault.key], "", 0)

    versions = Manifest()
    _plant_overdue_versions(world, versions, world.now.date())
    manifest.replace("jira", DERIVED_RULES, versions.faults + sorted(kept.values(), key=order))
