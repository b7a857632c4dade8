"""MS Project plans of the sandbox world, derived from the shared portfolio.

One plan per portfolio project that uses MS Project: a WBS of phases (summary tasks) with work
packages, milestones, predecessor links, resources drawn from the project team, assignments with
timephased actual work, and baselines. Everything is held in whole minutes and whole cents so that
the MSPDI writer can emit the format's units exactly and tests can compare parsed values to the
world without rounding noise.

Progress is a pure function of the dates and the status date (``apply_progress``), so a tick can
move the status date and recompute a plan consistently.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sandbox.portfolio import Manifest, PlantedFault, Portfolio, Project

MINUTES_PER_DAY = 480
UNASSIGNED_RESOURCE_UID = -65535
PROJECT_CODE_FIELD_ID = 188743731  # Text1 (task field), the slot MS Project uses for the alias
PROJECT_CODE_ALIAS = "Finance Project Code"
DAY_START = time(8, 0)
DAY_FINISH = time(17, 0)

# PredecessorLink Type codes of the format.
LINK_FF, LINK_FS, LINK_SF, LINK_SS = 0, 1, 2, 3

PHASE_NAMES = (
    "Initiation",
    "Analysis",
    "Design",
    "Build",
    "Test",
    "Deployment",
    "Training",
    "Handover",
)
WORK_VERBS = "Define Draft Review Build Configure Migrate Test Validate Document Plan Align".split()
WORK_OBJECTS = (
    "requirements scope interfaces data model reports workflows security roles "
    "test cases cutover plan training material vendor contract"
).split()


@dataclass
class MspBaseline:
    """One baseline (number 0 = Baseline, 1..10 = Baseline1..10) of a task or assignment."""

    number: int
    start: datetime | None
    finish: datetime | None
    duration_minutes: int
    work_minutes: int
    cost_cents: int


@dataclass
class MspLink:
    """A predecessor link on the successor task."""

    predecessor_uid: int
    link_type: int  # 0 FF, 1 FS, 2 SF, 3 SS
    lag_minutes: int  # written as tenths of a minute


@dataclass
class MspTask:
    """A task row; summaries and UID 0 roll up their children."""

    uid: int
    name: str
    outline_level: int
    start: datetime
    finish: datetime
    duration_minutes: int
    is_summary: bool = False
    is_milestone: bool = False
    is_critical: bool = False
    outline_number: str = ""
    wbs: str = ""
    work_minutes: int = 0
    cost_cents: int = 0
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    actual_duration_minutes: int = 0
    actual_work_minutes: int = 0
    actual_cost_cents: int = 0
    percent_complete: int = 0
    created: datetime | None = None
    stuck: bool = False  # planted: never progresses (an overdue milestone)
    constraint_type: int = 0  # 0 ASAP; 2 must start on (a hard constraint, planted for GV-06)
    project_code: str | None = None  # only on UID 0: the Text1 value
    links: list[MspLink] = field(default_factory=list)
    baselines: list[MspBaseline] = field(default_factory=list)


@dataclass
class MspResource:
    """A work resource: a portfolio person."""

    uid: int
    name: str
    email: str
    standard_rate: int  # currency per hour (whole units keep cents exact)
    max_units: float = 1.0
    group: str = ""
    initials: str = ""
    work_minutes: int = 0
    actual_work_minutes: int = 0
    cost_cents: int = 0
    actual_cost_cents: int = 0


@dataclass
class MspTimephased:
    """Actual work of one assignment on one day (TimephasedData Type 2, Unit 2 = days)."""

    work_date: date
    minutes: int


@dataclass
class MspAssignment:
    """A task x resource assignment (resource ``-65535`` = unassigned placeholder)."""

    uid: int
    task_uid: int
    resource_uid: int
    units: float
    work_minutes: int
    cost_cents: int = 0
    actual_work_minutes: int = 0
    actual_cost_cents: int = 0
    start: datetime | None = None
    finish: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    baseline_work_minutes: int = 0  # before any overrun, the basis of Baseline 0
    timephased: list[MspTimephased] = field(default_factory=list)
    baselines: list[MspBaseline] = field(default_factory=list)


@dataclass
class MsProjectPlan:
    """One MS Project plan file of the sandbox."""

    file_name: str
    source_project_code: str  # the portfolio project, ground truth even when the file lacks it
    project_code: str | None  # the value written to the file (None = planted GV-10)
    title: str
    manager_name: str
    author: str
    company: str
    status_date: date
    currency: str
    start: datetime
    finish: datetime
    creation_date: datetime
    last_saved: datetime
    project_status: str
    has_baseline: bool
    tasks: list[MspTask] = field(default_factory=list)
    resources: list[MspResource] = field(default_factory=list)
    assignments: list[MspAssignment] = field(default_factory=list)
    revision: int = 1

    def task(self, uid: int) -> MspTask:
        """The task with ``uid``."""
        return next(t for t in self.tasks if t.uid == uid)

    @property
    def leaf_tasks(self) -> list[MspTask]:
        """Tasks that are neither summaries nor the project summary."""
        return [t for t in self.tasks if not t.is_summary and t.uid != 0]


# --------------------------------------------------------------------------- calendar helpers


def is_workday(day: date) -> bool:
    """Monday to Friday (the Standard calendar of the sandbox)."""
    return day.weekday() < 5


def next_workday(day: date) -> date:
    """``day`` itself when it is a working day, else the next one."""
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def add_workdays(day: date, days: int) -> date:
    """The working day ``days`` working days after ``day`` (``day`` is a working day)."""
    current = day
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(first: date, last: date) -> list[date]:
    """Working days from ``first`` to ``last`` inclusive."""
    out = []
    current = first
    while current <= last:
        if is_workday(current):
            out.append(current)
        current += timedelta(days=1)
    return out


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _cents(minutes: int, rate: int) -> int:
    # Integer arithmetic keeps file values exact: minutes * rate/h in cents, rounded half up.
    return (minutes * rate * 100 + 30) // 60


# --------------------------------------------------------------------------- generation


def _task_span(start_day: date, work_days: int) -> tuple[datetime, datetime]:
    finish_day = add_workdays(start_day, max(work_days, 1) - 1)
    return _at(start_day, DAY_START), _at(finish_day, DAY_FINISH)


def _build_plan(
    project: Project, portfolio: Portfolio, rng: random.Random, n_tasks: int
) -> MsProjectPlan:
    start_day = next_workday(project.start_date)
    end_day = project.closed_date if project.status == "closed" else project.finish_date
    end_day = max(end_day or project.finish_date, add_workdays(start_day, 20))
    span_days = max(len(workdays_between(start_day, end_day)), 20)

    n_phases = max(2, min(len(PHASE_NAMES), n_tasks // 12))
    per_phase = max(3, (n_tasks - n_phases) // n_phases)  # leaves + milestone (+ sub-summary)
    team = [portfolio.person(pid) for pid in project.team[:8]]
    resources = [
        MspResource(
            uid=i + 1,
            name=p.msproject_resource_name,
            email=p.email,
            standard_rate=int(p.cost_rate),
            max_units=1.0 if p.fte >= 1 else 0.5,
            group=p.department,
            initials="".join(part[0] for part in p.display_name.split()),
        )
        for i, p in enumerate(team)
    ]
    manager = portfolio.person(project.manager_id).display_name if project.manager_id else ""
    created = _at(start_day - timedelta(days=rng.randint(5, 30)), time(9, 30))
    plan = MsProjectPlan(
        file_name=f"{_slug(project.name)}.xml",
        source_project_code=project.project_code,
        project_code=project.project_code,
        title=project.name,
        manager_name=manager,
        author=manager or "PMO",
        company="Example Corp",
        status_date=project.last_status_date,
        currency=project.currency,
        start=_at(start_day, DAY_START),
        finish=_at(end_day, DAY_FINISH),
        creation_date=created,
        last_saved=_at(project.last_status_date, time(18, 5)),
        project_status=project.status,
        has_baseline=project.has_baseline,
    )

    tasks: list[MspTask] = [
        MspTask(0, project.name, 0, plan.start, plan.finish, 0, is_summary=True, created=created)
    ]
    next_uid = 1
    assignment_uid = 1
    assignments: list[MspAssignment] = []
    phase_days = max(span_days // n_phases, per_phase)
    cursor = start_day
    previous_milestone: int | None = None
    unassigned_done = False
    for phase_index in range(n_phases):
        phase_name = PHASE_NAMES[phase_index % len(PHASE_NAMES)]
        if phase_index >= len(PHASE_NAMES):
            phase_name += f" {phase_index // len(PHASE_NAMES) + 1}"
        summary = MspTask(next_uid, phase_name, 1, plan.start, plan.start, 0, is_summary=True)
        tasks.append(summary)
        next_uid += 1
        n_leaves = per_phase - 1
        # Work packages run on parallel tracks so that tasks last days to weeks, not hours.
        n_tracks = max(1, min(4, -(-n_leaves * 5 // phase_days)))
        slot = max(phase_days * n_tracks // max(n_leaves, 1), 1)
        # One phase in three groups its later work packages under a sub-summary (level 3 WBS).
        sub_at = n_leaves // 2 if n_leaves >= 4 and phase_index % 3 == 1 else -1
        track_cursor = [cursor] * n_tracks
        track_previous: list[int | None] = [previous_milestone] * n_tracks
        level = 2
        for leaf_index in range(n_leaves):
            track = leaf_index % n_tracks
            if leaf_index == sub_at:
                tasks.append(
                    MspTask(
                        next_uid,
                        f"{phase_name} work package",
                        2,
                        plan.start,
                        plan.start,
                        0,
                        is_summary=True,
                    )
                )
                next_uid += 1
                level = 3
            days = max(1, slot - rng.choice((0, 0, 1, 2))) if slot > 2 else slot
            t_start, t_finish = _task_span(track_cursor[track], days)
            task = MspTask(
                next_uid,
                f"{rng.choice(WORK_VERBS)} {rng.choice(WORK_OBJECTS)} {next_uid}",
                level,
                t_start,
                t_finish,
                days * MINUTES_PER_DAY,
                is_critical=track == 0,
                created=created,
            )
            previous_leaf = track_previous[track]
            if previous_leaf is not None:
                roll = rng.random()
                if roll < 0.8:
                    task.links.append(MspLink(previous_leaf, LINK_FS, 0))
                elif roll < 0.88:
                    task.links.append(MspLink(previous_leaf, LINK_FS, MINUTES_PER_DAY))
                elif roll < 0.95:
                    task.links.append(MspLink(previous_leaf, LINK_SS, 2 * MINUTES_PER_DAY))
                else:
                    task.links.append(MspLink(previous_leaf, LINK_FF, 0))
            tasks.append(task)
            if not unassigned_done and leaf_index == 1:
                # MS Project writes an assignment to resource -65535 for a task with no resource.
                assignments.append(
                    MspAssignment(assignment_uid, task.uid, UNASSIGNED_RESOURCE_UID, 1.0, 0)
                )
                assignment_uid += 1
                unassigned_done = True
            else:
                for resource in rng.sample(resources, k=1 if rng.random() < 0.7 else 2):
                    units = resource.max_units if rng.random() < 0.8 else resource.max_units / 2
                    minutes = round(days * MINUTES_PER_DAY * units / 60) * 60
                    assignments.append(
                        MspAssignment(
                            assignment_uid,
                            task.uid,
                            resource.uid,
                            units,
                            minutes,
                            baseline_work_minutes=minutes,
                        )
                    )
                    assignment_uid += 1
            track_previous[track] = task.uid
            next_uid += 1
            track_cursor[track] = add_workdays(t_finish.date(), 1)
        cursor = max(track_cursor)
        milestone_day = max(t.finish for t in tasks if t.outline_level >= 2).date()
        milestone = MspTask(
            next_uid,
            f"{phase_name} complete",
            2,
            _at(milestone_day, DAY_FINISH),
            _at(milestone_day, DAY_FINISH),
            0,
            is_milestone=True,
            is_critical=True,
            created=created,
        )
        for previous_leaf in track_previous:
            if previous_leaf is not None and previous_leaf != previous_milestone:
                milestone.links.append(MspLink(previous_leaf, LINK_FS, 0))
        tasks.append(milestone)
        previous_milestone = milestone.uid
        next_uid += 1

    plan.tasks = tasks
    plan.resources = resources
    plan.assignments = assignments
    _price_to_budget(plan, project)
    with_baseline1 = rng.random() < 0.4
    status_date = plan.status_date
    # Baseline 0 is the approved plan: taken before the slip and the overrun are applied.
    apply_progress(plan, plan.start.date() - timedelta(days=1))
    if plan.has_baseline:
        _take_baselines(plan, with_baseline1=with_baseline1, rng=rng)
    _apply_schedule(plan, project)
    _apply_overrun(plan, project.cost_overrun_factor, status_date)
    renumber(plan)
    return plan


def _price_to_budget(plan: MsProjectPlan, project: Project) -> None:
    """Planning rates that make the plan cost its project's approved budget (same currency):
    the plan's baseline is the project's BAC, so a plan priced at bare HR rates made BAC, and
    with it earned value, unrelated to the budget the time and invoices are booked against."""
    rates = {r.uid: r.standard_rate for r in plan.resources}
    planned = sum(
        a.baseline_work_minutes * rates.get(a.resource_uid, 0) / 60 for a in plan.assignments
    )
    if planned <= 0 or project.budget_total <= 0:
        return
    factor = float(project.budget_total) / planned
    for resource in plan.resources:
        resource.standard_rate = max(1, round(resource.standard_rate * factor))


def _apply_schedule(plan: MsProjectPlan, project: Project) -> None:
    """Stretch the generated (on-plan) dates into the slipped forecast of the project."""
    slip = project.schedule_slip_days
    if not slip:
        return
    first = plan.start.date()
    total = max((plan.finish.date() - first).days, 1)

    def shift(moment: datetime) -> datetime:
        delta = round(slip * (moment.date() - first).days / total)
        return datetime.combine(next_workday(moment.date() + timedelta(days=delta)), moment.time())

    for task in plan.tasks:
        if task.uid == 0 or task.is_summary:
            continue
        task.start, task.finish = shift(task.start), shift(task.finish)
        if task.finish < task.start:
            task.finish = task.start
        if not task.is_milestone:
            days = len(workdays_between(task.start.date(), task.finish.date()))
            task.duration_minutes = days * MINUTES_PER_DAY


def _take_baselines(plan: MsProjectPlan, *, with_baseline1: bool, rng: random.Random) -> None:
    """Baseline 0 = the approved plan; some plans also keep an earlier Baseline 1."""
    for task in plan.tasks:
        task.baselines.append(
            MspBaseline(
                0,
                task.start,
                task.finish,
                task.duration_minutes,
                task.work_minutes,
                task.cost_cents,
            )
        )
        if with_baseline1:
            early = timedelta(days=rng.choice((7, 14)))
            task.baselines.append(
                MspBaseline(
                    1,
                    task.start - early,
                    task.finish - early,
                    task.duration_minutes,
                    task.work_minutes,
                    task.cost_cents,
                )
            )
    for a in plan.assignments:
        a.baselines.append(MspBaseline(0, a.start, a.finish, 0, a.work_minutes, a.cost_cents))


def _apply_overrun(plan: MsProjectPlan, factor: float, status_date: date) -> None:
    """Work (and so cost) grows by the project's cost overrun factor versus Baseline 0."""
    for a in plan.assignments:
        if a.resource_uid == UNASSIGNED_RESOURCE_UID:
            continue
        a.work_minutes = round(a.baseline_work_minutes * factor / 60) * 60
    apply_progress(plan, status_date)


def apply_progress(plan: MsProjectPlan, status_date: date) -> None:
    """Set actuals, percent complete and timephased actual work as of ``status_date``."""
    plan.status_date = status_date
    closed = plan.project_status == "closed"
    rates = {r.uid: r.standard_rate for r in plan.resources}
    by_task: dict[int, list[MspAssignment]] = {}
    for a in plan.assignments:
        by_task.setdefault(a.task_uid, []).append(a)
    for task in plan.leaf_tasks:
        days = workdays_between(task.start.date(), task.finish.date())
        if task.stuck:
            done_days: list[date] = []
            pct = 0
        elif closed or task.finish.date() <= status_date:
            done_days, pct = days, 100
        elif task.start.date() <= status_date:
            done_days = [d for d in days if d <= status_date]
            pct = min(95, 100 * len(done_days) // max(len(days), 1))
        else:
            done_days, pct = [], 0
        task.percent_complete = pct
        task.actual_start = task.start if pct > 0 or (task.is_milestone and pct == 100) else None
        task.actual_finish = task.finish if pct == 100 else None
        task.actual_duration_minutes = task.duration_minutes * pct // 100
        task.work_minutes = task.actual_work_minutes = 0
        task.cost_cents = task.actual_cost_cents = 0
        for a in by_task.get(task.uid, []):
            rate = rates.get(a.resource_uid, 0)
            a.start, a.finish = task.start, task.finish
            a.actual_work_minutes = a.work_minutes * pct // 100
            a.cost_cents = _cents(a.work_minutes, rate)
            a.actual_cost_cents = _cents(a.actual_work_minutes, rate)
            a.actual_start = task.start if a.actual_work_minutes else None
            a.actual_finish = task.finish if pct == 100 and a.actual_work_minutes else None
            a.timephased = _spread(a.actual_work_minutes, done_days)
            task.work_minutes += a.work_minutes
            task.actual_work_minutes += a.actual_work_minutes
            task.cost_cents += a.cost_cents
            task.actual_cost_cents += a.actual_cost_cents
    _rollup(plan)
    for r in plan.resources:
        mine = [a for a in plan.assignments if a.resource_uid == r.uid]
        r.work_minutes = sum(a.work_minutes for a in mine)
        r.actual_work_minutes = sum(a.actual_work_minutes for a in mine)
        r.cost_cents = sum(a.cost_cents for a in mine)
        r.actual_cost_cents = sum(a.actual_cost_cents for a in mine)


def _spread(minutes: int, days: list[date]) -> list[MspTimephased]:
    """Whole minutes per day, the remainder on the last day, so the rows sum to the total."""
    if minutes <= 0 or not days:
        return []
    base, rest = divmod(minutes, len(days))
    rows = [MspTimephased(d, base) for d in days]
    rows[-1].minutes += rest
    return [r for r in rows if r.minutes > 0]


def _rollup(plan: MsProjectPlan) -> None:
    """Summary tasks (and UID 0) take dates, work, cost and progress from their children."""
    # Children of a summary are the following tasks with a deeper outline level.
    for index in range(len(plan.tasks) - 1, -1, -1):
        task = plan.tasks[index]
        if not task.is_summary:
            continue
        children = []
        for other in plan.tasks[index + 1 :]:
            if other.outline_level <= task.outline_level:
                break
            if not other.is_summary:
                children.append(other)
        if not children:
            continue
        task.start = min(c.start for c in children)
        task.finish = max(c.finish for c in children)
        task.duration_minutes = (
            len(workdays_between(task.start.date(), task.finish.date())) * MINUTES_PER_DAY
        )
        task.work_minutes = sum(c.work_minutes for c in children)
        task.cost_cents = sum(c.cost_cents for c in children)
        task.actual_work_minutes = sum(c.actual_work_minutes for c in children)
        task.actual_cost_cents = sum(c.actual_cost_cents for c in children)
        started = [c.actual_start for c in children if c.actual_start]
        task.actual_start = min(started) if started else None
        done = all(c.actual_finish for c in children)
        task.actual_finish = task.finish if done else None
        # Work-weighted percent complete (MS Project uses duration; close enough for a sandbox).
        task.percent_complete = (
            100
            if done
            else (100 * task.actual_work_minutes // task.work_minutes if task.work_minutes else 0)
        )
        if task.percent_complete == 100 and not done:
            task.percent_complete = 99
        task.actual_duration_minutes = task.duration_minutes * task.percent_complete // 100
    plan.start = plan.tasks[0].start
    plan.finish = plan.tasks[0].finish


def renumber(plan: MsProjectPlan) -> None:
    """Recompute outline numbers and WBS codes (WBS = outline number, MS Project's default)."""
    counters: list[int] = []
    for task in plan.tasks:
        if task.uid == 0:
            task.outline_number = task.wbs = "0"
            continue
        level = task.outline_level
        del counters[level:]
        while len(counters) < level:
            counters.append(0)
        counters[level - 1] += 1
        task.outline_number = task.wbs = ".".join(str(c) for c in counters)


def overdue_milestones(plans: list[MsProjectPlan], as_of: date) -> list[str]:
    """Keys ``<file name>|<task UID>`` of milestones not complete with Baseline 0 finish < as_of."""
    keys = []
    for plan in plans:
        for task in plan.tasks:
            if not task.is_milestone or task.percent_complete >= 100:
                continue
            b0 = next((b for b in task.baselines if b.number == 0), None)
            if b0 and b0.finish and b0.finish.date() < as_of:
                keys.append(f"{plan.file_name}|{task.uid}")
    return keys


def stale_tasks(plans: list[MsProjectPlan], as_of: date) -> list[str]:
    """Keys of leaf tasks (no milestones: they are GV-04's) GV-05 reports at ``as_of``: not
    complete and past their finish, or not started and past their start. A plan's progress is as
    of its status date, so tasks due between that date and ``as_of`` are genuinely behind; the
    manifest labels them rather than pretending the plans are current (issue 10)."""
    keys = []
    for plan in plans:
        for task in plan.leaf_tasks:
            if task.is_milestone or task.percent_complete >= 100:
                continue
            not_started = task.percent_complete == 0 and task.start.date() < as_of
            if not_started or task.finish.date() < as_of:
                keys.append(f"{plan.file_name}|{task.uid}")
    return keys


def generate_msproject(portfolio: Portfolio) -> list[MsProjectPlan]:
    """Build one plan per project that uses MS Project, and plant its faults in the manifest.

    Args:
        portfolio: the shared portfolio; only ``portfolio.rng("msproject")`` is drawn from.

    Returns:
        The plans in portfolio order. About ``portfolio.size.msproject_tasks`` tasks in total.
    """
    rng = portfolio.rng("msproject")
    projects = [p for p in portfolio.projects if "msproject" in p.tools]
    if not projects:
        return []
    per_plan = max(20, portfolio.size.msproject_tasks // len(projects))
    plans = [_build_plan(p, portfolio, rng, per_plan) for p in projects]
    seen: set[str] = set()
    for plan in plans:
        if plan.file_name in seen:  # two projects with the same name: keep files distinct
            plan.file_name = plan.file_name[:-4] + f"-{plan.source_project_code.lower()}.xml"
        seen.add(plan.file_name)
        plan.tasks[0].project_code = plan.project_code

    # GV-10: one plan whose file does not carry the finance project code.
    candidates = [p for p in plans if p.has_baseline] or plans
    unmapped = candidates[-1]
    unmapped.project_code = None
    unmapped.tasks[0].project_code = None
    portfolio.manifest.plant(
        "GV-10", "msproject", "project", unmapped.file_name, "no Finance Project Code"
    )

    # GV-04: one milestone stuck at 0 % although its baseline finish has passed, on top of the
    # milestones a slipped schedule leaves overdue by itself.
    as_of = portfolio.as_of
    for plan in plans:
        if plan.project_status == "closed" or not plan.has_baseline:
            continue
        passed = [
            t
            for t in plan.tasks
            if t.is_milestone and t.baselines and t.baselines[0].finish.date() < plan.status_date
        ]
        if passed:
            passed[0].stuck = True
            apply_progress(plan, plan.status_date)
            break
    for key in overdue_milestones(plans, as_of):
        portfolio.manifest.plant("GV-04", "msproject", "task", key, "milestone overdue")
    # GV-06: one open plan breaks several DCMA checks on purpose (missing logic, a lead, hard
    # constraints); the ground truth of every plan x check is then derived from the files.
    planted = _plant_schedule_faults(plans, as_of)
    if planted is not None:
        portfolio.manifest.plant(
            "CAP-01",
            "msproject",
            "person",
            planted_person_id(planted, portfolio),
            "over-allocated next month",
        )
    rederive_schedule_quality(plans, portfolio.manifest)
    # GV-05 is labelled on the final plans, planted faults included.
    for key in stale_tasks(plans, as_of):
        portfolio.manifest.plant("GV-05", "msproject", "task", key, "dates passed, state not")
    return plans


def _plant_schedule_faults(plans: list[MsProjectPlan], as_of: date) -> MsProjectPlan | None:
    """Re-plan the last work packages of one open plan into next month and break its logic.

    The chosen plan (the open plan with most tasks) gets its last six work packages (by finish)
    moved to start on the first Monday (working day) of the month after ``as_of``, in parallel, all on
    the plan's first resource at 50 %: that person is planned three full days a day next month
    (CAP-01). Then, among those open tasks: links removed (DCMA-01 missing logic), a
    must-start-on constraint (DCMA-05) and a one-day lead (DCMA-02).

    Returns:
        The plan changed, or None when no plan is open.
    """
    candidates = [p for p in plans if p.project_status != "closed" and p.resources]
    if not candidates:
        return None
    plan = max(candidates, key=lambda p: len(p.tasks))
    leaves = [t for t in plan.leaf_tasks if not t.is_milestone and not t.stuck]
    if len(leaves) < 8:
        return None
    n = 6
    moved = sorted(leaves, key=lambda t: (t.finish, t.uid))[-n:]
    # The first Monday of next month: "who is over-allocated next month?" reads the weeks that
    # start in it, and a month starting mid-week would put the planted days in the week before.
    first = (as_of.replace(day=1) + timedelta(days=32)).replace(day=1)
    first = next_workday(first + timedelta(days=(7 - first.weekday()) % 7))
    person = plan.resources[0]
    moved_uids = {t.uid for t in moved}
    for task in moved:
        days = max(task.duration_minutes // MINUTES_PER_DAY, 5)
        task.start, task.finish = _task_span(first, days)
        task.duration_minutes = days * MINUTES_PER_DAY
    for a in plan.assignments:
        if a.task_uid in moved_uids:
            task = plan.task(a.task_uid)
            a.resource_uid = person.uid
            a.units = 0.5
            a.work_minutes = task.duration_minutes // 2
    apply_progress(plan, plan.status_date)
    share = 2  # 2 of at least 6 open tasks: 33 % > the 5 % thresholds
    for task in moved[:share]:
        task.links.clear()  # DCMA-01 missing logic (no predecessor)
    for task in moved[share : 2 * share]:
        task.constraint_type = 2  # DCMA-05 must start on
    linked = [t for t in moved[2 * share :] if t.links]
    if linked:
        linked[0].links[0].lag_minutes = -MINUTES_PER_DAY  # DCMA-02 a one-day lead
    return plan


def planted_person_id(plan: MsProjectPlan, portfolio: Portfolio) -> str:
    """HR person id of the resource the over-allocation was planted on (matched by email)."""
    email = plan.resources[0].email.lower()
    return next(p.person_id for p in portfolio.people if p.email.lower() == email)


def schedule_quality_faults(plans: list[MsProjectPlan]) -> list[PlantedFault]:
    """GV-06 ground truth: every plan x DCMA check that fails, read from the plan's MSPDI text."""
    import io

    from sandbox.microsoft.dcma import assess
    from sandbox.microsoft.mspdi import render_mspdi

    faults = []
    for plan in plans:
        results = assess(io.StringIO(render_mspdi(plan)), plan.status_date)
        for check_id, result in sorted(results.items()):
            if result.is_pass is False:
                faults.append(
                    PlantedFault(
                        "GV-06",
                        "msproject",
                        "msproject_plan_check",
                        f"{plan.file_name}|{check_id}",
                        "DCMA check fails",
                    )
                )
    return faults


def rederive_schedule_quality(plans: list[MsProjectPlan], manifest: Manifest) -> None:
    """Make the manifest's GV-06 faults exactly the DCMA checks the plans fail now."""
    manifest.replace("msproject", ["GV-06"], schedule_quality_faults(plans))


# --------------------------------------------------------------------------- clock


def rederive_overdue_milestones(
    plans: list[MsProjectPlan], manifest: Manifest, as_of: date
) -> None:
    """Make the manifest's MS Project GV-04 faults exactly the milestones overdue at ``as_of``."""
    manifest.replace(
        "msproject",
        ("GV-04",),
        [
            PlantedFault("GV-04", "msproject", "task", key, "milestone overdue")
            for key in overdue_milestones(plans, as_of)
        ],
    )
    manifest.replace(
        "msproject",
        ("GV-05",),
        [
            PlantedFault("GV-05", "msproject", "task", key, "dates passed, state not")
            for key in stale_tasks(plans, as_of)
        ],
    )


def tick_msproject(
    plans: list[MsProjectPlan],
    now: datetime,
    rng: random.Random,
    manifest: Manifest | None = None,
) -> list[str]:
    """Advance some plans to ``now``: new status date and progress, one task added, one removed.

    Plans not chosen keep byte-identical files, so a sync skips them.

    Args:
        plans: the plans to edit in place.
        now: the world clock after the tick.
        rng: the caller's generator (the world's ``msproject`` stream).
        manifest: when given, its GV-04 overdue milestones and GV-06 failed schedule checks
            are re-derived for ``now``.

    Returns:
        File names of the plans that changed.
    """
    open_plans = [p for p in plans if p.project_status != "closed"]
    if not open_plans:
        if manifest is not None:
            rederive_overdue_milestones(plans, manifest, now.date())
            rederive_schedule_quality(plans, manifest)
        return []
    k = max(1, len(open_plans) // 3)
    if len(plans) > 1:
        k = min(k, len(plans) - 1)
    changed = rng.sample(open_plans, k=min(k, len(open_plans)))
    for index, plan in enumerate(changed):
        if index == 0:
            _add_task(plan, rng)
        if index == min(1, len(changed) - 1):
            _remove_task(plan, rng)
        apply_progress(plan, max(plan.status_date, now.date()))
        renumber(plan)
        plan.last_saved = now.replace(tzinfo=None, microsecond=0)
        plan.revision += 1
    if manifest is not None:
        rederive_overdue_milestones(plans, manifest, now.date())
        rederive_schedule_quality(plans, manifest)
    return [p.file_name for p in changed]


def _add_task(plan: MsProjectPlan, rng: random.Random) -> None:
    last_milestone = max(
        (i for i, t in enumerate(plan.tasks) if t.is_milestone), default=len(plan.tasks) - 1
    )
    before = plan.tasks[last_milestone - 1]
    uid = max(t.uid for t in plan.tasks) + 1
    start_day = next_workday(before.finish.date() + timedelta(days=1))
    t_start, t_finish = _task_span(start_day, 3)
    task = MspTask(
        uid,
        f"Added scope item {uid}",
        before.outline_level,
        t_start,
        t_finish,
        3 * MINUTES_PER_DAY,
        created=plan.last_saved,
    )
    task.links.append(MspLink(before.uid, LINK_FS, 0))
    plan.tasks.insert(last_milestone, task)
    milestone = plan.tasks[last_milestone + 1]
    milestone.links = [MspLink(uid, LINK_FS, 0)]
    if milestone.finish < t_finish:
        milestone.start = milestone.finish = t_finish
    if not plan.resources:
        return
    resource = rng.choice(plan.resources)
    plan.assignments.append(
        MspAssignment(
            max(a.uid for a in plan.assignments) + 1,
            uid,
            resource.uid,
            1.0,
            3 * MINUTES_PER_DAY,
            baseline_work_minutes=3 * MINUTES_PER_DAY,
        )
    )


def _remove_task(plan: MsProjectPlan, rng: random.Random) -> None:
    candidates = [
        t
        for t in plan.leaf_tasks
        if not t.is_milestone
        and t.links
        and any(a.task_uid == t.uid for a in plan.assignments)
        and not any(
            a.resource_uid == UNASSIGNED_RESOURCE_UID and a.task_uid == t.uid
            for a in plan.assignments
        )
    ]
    if not candidates:
        return
    victim = rng.choice(candidates)
    # Successors inherit the victim's predecessors, as when a task is deleted in MS Project.
    for task in plan.tasks:
        if any(link.predecessor_uid == victim.uid for link in task.links):
            task.links = [ln for ln in task.links if ln.predecessor_uid != victim.uid] + [
                MspLink(ln.predecessor_uid, ln.link_type, ln.lag_minutes) for ln in victim.links
            ]
    plan.tasks.remove(victim)
    plan.assignments = [a for a in plan.assignments if a.task_uid != victim.uid]
    # A summary left without children would roll up nothing: keep at least the structure valid.
    plan.tasks = [
        t
        for i, t in enumerate(plan.tasks)
        if not (
            t.is_summary
            and t.uid != 0
            and (i + 1 >= len(plan.tasks) or plan.tasks[i + 1].outline_level <= t.outline_level)
        )
    ]
