"""Write sandbox MS Project plans as MSPDI XML (Project XML Data Interchange, SaveVersion 14).

The writer streams: every element goes straight to the file, so a plan with 100k tasks (see
``write_large_mspdi``) never exists as a document tree. The format's units are applied here:
money in hundredths (``<Cost>352625</Cost>`` = 3,526.25), durations and work as ``PT8H0M0S``,
LinkLag in tenths of a minute, MaxUnits as a fraction, and timephased actual work per day.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from sandbox.microsoft.msproject_world import (
    DAY_FINISH,
    DAY_START,
    LINK_FS,
    MINUTES_PER_DAY,
    PROJECT_CODE_ALIAS,
    PROJECT_CODE_FIELD_ID,
    MspAssignment,
    MspBaseline,
    MspLink,
    MspResource,
    MsProjectPlan,
    MspTask,
    MspTimephased,
    add_workdays,
    next_workday,
)

NAMESPACE = "http://schemas.microsoft.com/project"
SAVE_VERSION = 14
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
TIMEPHASED_ACTUAL_WORK = 2
UNIT_DAYS = 2

Write = Callable[[str], object]


def fmt_datetime(moment: datetime | date | None) -> str:
    """MSPDI dateTime: no time zone, seconds precision."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0, 0))
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def fmt_duration(minutes: int) -> str:
    """xsd:duration in hours of working time, as MS Project writes it (``PT8H0M0S``)."""
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    return f"{sign}PT{hours}H{rest}M0S"


def _el(write: Write, tag: str, value: object, indent: str = "\t\t\t") -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        value = int(value)
    write(f"{indent}<{tag}>{escape(str(value))}</{tag}>\n")


def _write_header(write: Write, plan: MsProjectPlan) -> None:
    write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    write(f'<Project xmlns="{NAMESPACE}">\n')
    for tag, value in (
        ("SaveVersion", SAVE_VERSION),
        ("Name", plan.file_name),
        ("Title", plan.title),
        ("Company", plan.company),
        ("Author", plan.author),
        ("Manager", plan.manager_name),
        ("CreationDate", fmt_datetime(plan.creation_date)),
        ("LastSaved", fmt_datetime(plan.last_saved)),
        ("ScheduleFromStart", 1),
        ("StartDate", fmt_datetime(plan.start)),
        ("FinishDate", fmt_datetime(plan.finish)),
        ("FYStartDate", 1),
        ("CriticalSlackLimit", 0),
        ("CurrencyDigits", 2),
        ("CurrencySymbol", CURRENCY_SYMBOLS.get(plan.currency, plan.currency)),
        ("CurrencyCode", plan.currency),
        ("CurrencySymbolPosition", 0),
        ("CalendarUID", 1),
        ("DefaultStartTime", "08:00:00"),
        ("DefaultFinishTime", "17:00:00"),
        ("MinutesPerDay", MINUTES_PER_DAY),
        ("MinutesPerWeek", MINUTES_PER_DAY * 5),
        ("DaysPerMonth", 20),
        ("DefaultTaskType", 0),
        ("DurationFormat", 7),
        ("WorkFormat", 2),
        ("StatusDate", fmt_datetime(datetime.combine(plan.status_date, DAY_FINISH))),
        ("CurrentDate", fmt_datetime(plan.last_saved)),
    ):
        _el(write, tag, value, "\t")
    write("\t<ExtendedAttributes>\n\t\t<ExtendedAttribute>\n")
    _el(write, "FieldID", PROJECT_CODE_FIELD_ID)
    _el(write, "FieldName", "Text1")
    _el(write, "Alias", PROJECT_CODE_ALIAS)
    write("\t\t</ExtendedAttribute>\n\t</ExtendedAttributes>\n")
    _write_calendars(write)


def _write_calendars(write: Write) -> None:
    # A minimal Standard calendar: Mon-Fri 08:00-12:00 and 13:00-17:00, weekends off.
    write("\t<Calendars>\n\t\t<Calendar>\n")
    _el(write, "UID", 1)
    _el(write, "Name", "Standard")
    _el(write, "IsBaseCalendar", 1)
    _el(write, "BaseCalendarUID", -1)
    write("\t\t\t<WeekDays>\n")
    for day_type in range(1, 8):
        working = day_type not in (1, 7)
        write("\t\t\t\t<WeekDay>\n")
        write(f"\t\t\t\t\t<DayType>{day_type}</DayType>\n")
        write(f"\t\t\t\t\t<DayWorking>{int(working)}</DayWorking>\n")
        if working:
            write("\t\t\t\t\t<WorkingTimes>\n")
            for start, finish in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
                write(
                    "\t\t\t\t\t\t<WorkingTime>"
                    f"<FromTime>{start}</FromTime><ToTime>{finish}</ToTime></WorkingTime>\n"
                )
            write("\t\t\t\t\t</WorkingTimes>\n")
        write("\t\t\t\t</WeekDay>\n")
    write("\t\t\t</WeekDays>\n\t\t</Calendar>\n\t</Calendars>\n")


def _write_baseline(write: Write, b: MspBaseline, *, with_duration: bool = True) -> None:
    write("\t\t\t<Baseline>\n")
    ind = "\t\t\t\t"
    _el(write, "Number", b.number, ind)
    if with_duration:
        _el(write, "Interim", 0, ind)
    _el(write, "Start", fmt_datetime(b.start), ind)
    _el(write, "Finish", fmt_datetime(b.finish), ind)
    if with_duration:
        _el(write, "Duration", fmt_duration(b.duration_minutes), ind)
        _el(write, "DurationFormat", 7, ind)
        _el(write, "EstimatedDuration", 0, ind)
    _el(write, "Work", fmt_duration(b.work_minutes), ind)
    _el(write, "Cost", b.cost_cents, ind)
    write("\t\t\t</Baseline>\n")


def _write_link(write: Write, link: MspLink) -> None:
    write("\t\t\t<PredecessorLink>\n")
    ind = "\t\t\t\t"
    _el(write, "PredecessorUID", link.predecessor_uid, ind)
    _el(write, "Type", link.link_type, ind)
    _el(write, "CrossProject", 0, ind)
    _el(write, "LinkLag", link.lag_minutes * 10, ind)  # tenths of a minute
    _el(write, "LagFormat", 7, ind)
    write("\t\t\t</PredecessorLink>\n")


def write_task(write: Write, task: MspTask, task_id: int) -> None:
    """Write one ``<Task>`` element (``task_id`` is the row number, unlike the stable UID)."""
    write("\t\t<Task>\n")
    remaining_work = max(task.work_minutes - task.actual_work_minutes, 0)
    remaining_cost = max(task.cost_cents - task.actual_cost_cents, 0)
    for tag, value in (
        ("UID", task.uid),
        ("ID", task_id),
        ("Name", task.name),
        ("Type", 0),
        ("IsNull", 0),
        ("CreateDate", fmt_datetime(task.created)),
        ("WBS", task.wbs),
        ("OutlineNumber", task.outline_number),
        ("OutlineLevel", task.outline_level),
        ("Priority", 500),
        ("Start", fmt_datetime(task.start)),
        ("Finish", fmt_datetime(task.finish)),
        ("Duration", fmt_duration(task.duration_minutes)),
        ("DurationFormat", 7),
        ("Work", fmt_duration(task.work_minutes)),
        ("ResumeValid", 0),
        ("EffortDriven", 0),
        ("Recurring", 0),
        ("OverAllocated", 0),
        ("Estimated", 0),
        ("Milestone", task.is_milestone),
        ("Summary", task.is_summary),
        ("Critical", task.is_critical),
        ("IsSubproject", 0),
        ("ExternalTask", 0),
        ("FixedCostAccrual", 3),
        ("PercentComplete", task.percent_complete),
        ("PercentWorkComplete", task.percent_complete),
        ("Cost", task.cost_cents),
        ("FixedCost", 0),
        ("ActualStart", fmt_datetime(task.actual_start)),
        ("ActualFinish", fmt_datetime(task.actual_finish)),
        ("ActualDuration", fmt_duration(task.actual_duration_minutes)),
        ("ActualCost", task.actual_cost_cents),
        ("ActualWork", fmt_duration(task.actual_work_minutes)),
        ("RemainingDuration", fmt_duration(task.duration_minutes - task.actual_duration_minutes)),
        ("RemainingCost", remaining_cost),
        ("RemainingWork", fmt_duration(remaining_work)),
        ("ConstraintType", task.constraint_type),
        ("ConstraintDate", fmt_datetime(task.start) if task.constraint_type else ""),
        ("CalendarUID", -1),
        ("LevelAssignments", 1),
        ("Active", 1),
        ("Manual", 0),
    ):
        _el(write, tag, value)
    for link in task.links:
        _write_link(write, link)
    if task.project_code:
        write("\t\t\t<ExtendedAttribute>\n")
        _el(write, "FieldID", PROJECT_CODE_FIELD_ID, "\t\t\t\t")
        _el(write, "Value", task.project_code, "\t\t\t\t")
        write("\t\t\t</ExtendedAttribute>\n")
    for baseline in task.baselines:
        _write_baseline(write, baseline)
    write("\t\t</Task>\n")


def write_resource(write: Write, resource: MspResource, resource_id: int) -> None:
    """Write one work ``<Resource>`` (StandardRate per hour, costs in hundredths)."""
    write("\t\t<Resource>\n")
    for tag, value in (
        ("UID", resource.uid),
        ("ID", resource_id),
        ("Name", resource.name),
        ("Type", 1),
        ("IsNull", 0),
        ("Initials", resource.initials),
        ("Group", resource.group),
        ("EmailAddress", resource.email),
        ("MaxUnits", f"{resource.max_units:.2f}"),
        ("PeakUnits", f"{resource.max_units:.2f}"),
        ("OverAllocated", 0),
        ("CanLevel", 1),
        ("AccrueAt", 3),
        ("Work", fmt_duration(resource.work_minutes)),
        ("RegularWork", fmt_duration(resource.work_minutes)),
        ("ActualWork", fmt_duration(resource.actual_work_minutes)),
        ("RemainingWork", fmt_duration(resource.work_minutes - resource.actual_work_minutes)),
        (
            "PercentWorkComplete",
            (
                100 * resource.actual_work_minutes // resource.work_minutes
                if resource.work_minutes
                else 0
            ),
        ),
        ("StandardRate", resource.standard_rate),
        ("StandardRateFormat", 2),
        ("Cost", resource.cost_cents),
        ("OvertimeRate", 0),
        ("OvertimeRateFormat", 2),
        ("CostPerUse", 0),
        ("ActualCost", resource.actual_cost_cents),
        ("RemainingCost", resource.cost_cents - resource.actual_cost_cents),
        ("CalendarUID", 1),
        ("IsGeneric", 0),
        ("IsInactive", 0),
        ("IsEnterprise", 0),
        ("IsCostResource", 0),
    ):
        _el(write, tag, value)
    write("\t\t</Resource>\n")


def _write_timephased(write: Write, assignment_uid: int, row: MspTimephased) -> None:
    start = datetime.combine(row.work_date, time(0, 0))
    write("\t\t\t<TimephasedData>\n")
    ind = "\t\t\t\t"
    _el(write, "Type", TIMEPHASED_ACTUAL_WORK, ind)
    _el(write, "UID", assignment_uid, ind)
    _el(write, "Start", fmt_datetime(start), ind)
    _el(write, "Finish", fmt_datetime(start + timedelta(days=1)), ind)
    _el(write, "Unit", UNIT_DAYS, ind)
    _el(write, "Value", fmt_duration(row.minutes), ind)
    write("\t\t\t</TimephasedData>\n")


def write_assignment(write: Write, a: MspAssignment) -> None:
    """Write one ``<Assignment>`` with its baselines and daily actual work."""
    write("\t\t<Assignment>\n")
    for tag, value in (
        ("UID", a.uid),
        ("TaskUID", a.task_uid),
        ("ResourceUID", a.resource_uid),
        (
            "PercentWorkComplete",
            100 * a.actual_work_minutes // a.work_minutes if a.work_minutes else 0,
        ),
        ("ActualCost", a.actual_cost_cents),
        ("ActualFinish", fmt_datetime(a.actual_finish)),
        ("ActualStart", fmt_datetime(a.actual_start)),
        ("ActualWork", fmt_duration(a.actual_work_minutes)),
        ("Cost", a.cost_cents),
        ("Finish", fmt_datetime(a.finish)),
        ("RemainingCost", a.cost_cents - a.actual_cost_cents),
        ("RemainingWork", fmt_duration(a.work_minutes - a.actual_work_minutes)),
        ("Start", fmt_datetime(a.start)),
        ("Units", f"{a.units:g}"),
        ("Work", fmt_duration(a.work_minutes)),
        ("WorkContour", 0),
    ):
        _el(write, tag, value)
    for baseline in a.baselines:
        _write_baseline(write, baseline, with_duration=False)
    for row in a.timephased:
        _write_timephased(write, a.uid, row)
    write("\t\t</Assignment>\n")


def _write_body(
    write: Write,
    tasks: Iterable[MspTask],
    resources: Iterable[MspResource],
    assignments: Iterable[MspAssignment],
) -> None:
    write("\t<Tasks>\n")
    for task_id, task in enumerate(tasks):
        write_task(write, task, task_id)
    write("\t</Tasks>\n\t<Resources>\n")
    for resource_id, resource in enumerate(resources, start=1):
        write_resource(write, resource, resource_id)
    write("\t</Resources>\n\t<Assignments>\n")
    for assignment in assignments:
        write_assignment(write, assignment)
    write("\t</Assignments>\n</Project>\n")


def write_mspdi(plan: MsProjectPlan, path: str | Path) -> Path:
    """Write ``plan`` to ``path`` as an MSPDI XML file.

    Args:
        plan: a sandbox plan (see ``sandbox.microsoft.msproject_world``).
        path: target file; its folder is created.

    Returns:
        The written path.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        _write_header(handle.write, plan)
        _write_body(handle.write, plan.tasks, plan.resources, plan.assignments)
    return target


def render_mspdi(plan: MsProjectPlan) -> str:
    """The MSPDI XML text of ``plan`` (the bytes ``write_mspdi`` writes)."""
    parts: list[str] = []
    _write_header(parts.append, plan)
    _write_body(parts.append, plan.tasks, plan.resources, plan.assignments)
    return "".join(parts)


def write_msproject_files(plans: Iterable[MsProjectPlan], directory: str | Path) -> list[Path]:
    """Write every plan to ``directory/<plan.file_name>``; unchanged plans give identical bytes.

    Args:
        plans: the sandbox plans.
        directory: target folder, created when missing.

    Returns:
        The written paths in plan order.
    """
    folder = Path(directory)
    return [write_mspdi(plan, folder / plan.file_name) for plan in plans]


# --------------------------------------------------------------------------- large plans


def write_large_mspdi(
    path: str | Path, n_tasks: int = 100_000, *, seed: int = 0, resources: int = 50
) -> Path:
    """Write one synthetic plan of ``n_tasks`` tasks without holding it in memory.

    Tasks, assignments and their daily actuals are generated on the fly from ``seed``; the file
    has the same shape as the sandbox plans (phases of 50 tasks, a milestone per phase, FS links,
    Baseline 0, one or two assignments per work task, actual work per day for started tasks).

    Args:
        path: target file.
        n_tasks: number of tasks besides the project summary (UID 0).
        seed: randomness of durations and assignments.
        resources: number of work resources.

    Returns:
        The written path.
    """
    start = datetime(2025, 1, 6, 8, 0)
    status = date(2026, 6, 30)
    pool = [
        MspResource(
            uid=i,
            name=f"Resource {i}",
            email=f"resource{i}@example.com",
            standard_rate=60 + (i % 7) * 10,
            initials=f"R{i}",
        )
        for i in range(1, resources + 1)
    ]

    def tasks() -> Iterator[MspTask]:
        yield MspTask(
            0,
            "Large plan",
            0,
            start,
            start + timedelta(days=900),
            0,
            is_summary=True,
            project_code="FIN-9999",
        )
        for _, task, _ in _large_tasks(n_tasks, seed, start, status, pool):
            yield task

    def assignments() -> Iterator[MspAssignment]:
        for _, _, task_assignments in _large_tasks(n_tasks, seed, start, status, pool):
            yield from task_assignments

    plan = MsProjectPlan(
        file_name=Path(path).name,
        source_project_code="FIN-9999",
        project_code="FIN-9999",
        title="Large plan",
        manager_name="Large Manager",
        author="Benchmark",
        company="Example",
        status_date=status,
        currency="EUR",
        start=start,
        finish=start + timedelta(days=900),
        creation_date=start,
        last_saved=start,
        project_status="active",
        has_baseline=True,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", buffering=1 << 20) as handle:
        _write_header(handle.write, plan)
        _write_body(handle.write, tasks(), pool, assignments())
    return target


def _large_tasks(
    n_tasks: int, seed: int, start: datetime, status: date, pool: list[MspResource]
) -> Iterator[tuple[int, MspTask, list[MspAssignment]]]:
    rng = random.Random(seed)
    day = start.date()
    previous: int | None = None
    assignment_uid = 1
    for uid in range(1, n_tasks + 1):
        position = (uid - 1) % 50
        if position == 0:
            task = MspTask(uid, f"Phase {uid // 50 + 1}", 1, start, start, 0, is_summary=True)
            yield uid, task, []
            continue
        if position == 49:
            moment = datetime.combine(day, DAY_FINISH)
            task = MspTask(uid, f"Milestone {uid}", 2, moment, moment, 0, is_milestone=True)
            task.percent_complete = 100 if day <= status else 0
            if previous:
                task.links.append(MspLink(previous, LINK_FS, 0))
            task.baselines.append(MspBaseline(0, moment, moment, 0, 0, 0))
            previous = uid
            yield uid, task, []
            continue
        days = rng.randint(1, 5)
        finish_day = add_workdays(day, days - 1)
        task = MspTask(
            uid,
            f"Task {uid}",
            2,
            datetime.combine(day, DAY_START),
            datetime.combine(finish_day, DAY_FINISH),
            days * MINUTES_PER_DAY,
        )
        if previous:
            task.links.append(MspLink(previous, LINK_FS, MINUTES_PER_DAY if uid % 9 == 0 else 0))
        worked = [d for d in (add_workdays(day, k) for k in range(days)) if d <= status]
        task_assignments = []
        for resource in rng.sample(pool, k=1 if rng.random() < 0.7 else 2):
            minutes = days * MINUTES_PER_DAY
            actual = minutes * len(worked) // days
            a = MspAssignment(
                assignment_uid,
                uid,
                resource.uid,
                1.0,
                minutes,
                cost_cents=(minutes * resource.standard_rate * 100) // 60,
                actual_work_minutes=actual,
                actual_cost_cents=(actual * resource.standard_rate * 100) // 60,
                start=task.start,
                finish=task.finish,
            )
            a.timephased = [MspTimephased(d, MINUTES_PER_DAY) for d in worked]
            a.baselines.append(MspBaseline(0, task.start, task.finish, 0, minutes, a.cost_cents))
            task_assignments.append(a)
            assignment_uid += 1
            task.work_minutes += minutes
            task.actual_work_minutes += actual
            task.cost_cents += a.cost_cents
            task.actual_cost_cents += a.actual_cost_cents
        task.percent_complete = 100 * len(worked) // days
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
        previous = uid
        day = next_workday(finish_day + timedelta(days=1)) if uid % 3 else day
        yield uid, task, task_assignments
