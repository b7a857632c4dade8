"""``.mpp`` files read natively through MPXJ's object model (the optional ``mpp`` extra).

MPXJ (https://www.mpxj.org, LGPL) is the reference open-source reader of MS Project's binary
format; its Python wheel bundles the Java jars, and JPype runs them in a JVM inside this process
(nothing is downloaded at run time; a Java 11+ runtime must be installed).

Earlier versions converted ``.mpp`` to MSPDI with ``MSPDIWriter`` on default settings, which drops
timephased actuals, invents unassigned assignments on summary tasks and turns zeros into blanks.
Here every table is read from the ``ProjectFile`` directly and produces the same rows, in the
same units, as the MSPDI parser (``parser.py``):

* durations and work -> hours (days/weeks converted with the plan's minutes per day/week);
* slack and link lag -> minutes; money as decimals; MaxUnits and assignment units -> fractions;
  StandardRate/OvertimeRate -> per hour;
* timephased actual work (regular + overtime) -> hours per calendar day, from MPXJ's own
  ``ResourceAssignment.getTimephasedActualWork`` over day ranges (it spreads each period along the
  assignment's effective calendar);
* blank rows (``Task.getNull()``) are not tasks; parents come from MPXJ's task hierarchy.

The JVM is started once per process (JPype cannot restart it) and shared by every caller.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.msproject.parser import MspdiParseError
from connectors.msproject.settings import (
    LINK_TYPES,
    UNASSIGNED_RESOURCE_UID,
)

Row = dict[str, Any]

INSTALL_HINT = "install the mpp extra: pip install 'pmo-hub[mpp]' (mpxj + JPype1)"
JAVA_HINT = (
    "Java runtime not found: install Java 11+ (java on PATH or JAVA_HOME) to read .mpp files"
)
BASELINE_COUNT = 11  # Baseline, Baseline1 .. Baseline10
_QUANTUM = Decimal("0.0001")
_JVM_LOCK = threading.Lock()

# MPXJ TimeUnit name -> MSPDI DurationFormat / LagFormat code (estimated adds 32).
_DURATION_FORMATS = {
    "MINUTES": 3,
    "ELAPSED_MINUTES": 4,
    "HOURS": 5,
    "ELAPSED_HOURS": 6,
    "DAYS": 7,
    "ELAPSED_DAYS": 8,
    "WEEKS": 9,
    "ELAPSED_WEEKS": 10,
    "MONTHS": 11,
    "ELAPSED_MONTHS": 12,
    "PERCENT": 19,
    "ELAPSED_PERCENT": 20,
}
# MPXJ TimeUnit name -> MSPDI StandardRateFormat code.
_RATE_FORMATS = {"MINUTES": 1, "HOURS": 2, "DAYS": 3, "WEEKS": 4, "MONTHS": 5, "YEARS": 7}
_RESOURCE_TYPE_CODES = {"MATERIAL": 0, "WORK": 1, "COST": 2}
_RELATION_CODES = {"FINISH_FINISH": 0, "FINISH_START": 1, "START_FINISH": 2, "START_START": 3}
_TASK_TYPE_CODES = {"FIXED_UNITS": 0, "FIXED_DURATION": 1, "FIXED_WORK": 2}
_CONSTRAINT_CODES = {
    "AS_SOON_AS_POSSIBLE": 0,
    "AS_LATE_AS_POSSIBLE": 1,
    "MUST_START_ON": 2,
    "MUST_FINISH_ON": 3,
    "START_NO_EARLIER_THAN": 4,
    "START_NO_LATER_THAN": 5,
    "FINISH_NO_EARLIER_THAN": 6,
    "FINISH_NO_LATER_THAN": 7,
}


class MppUnavailable(RuntimeError):
    """The ``mpp`` extra or Java is missing; ``str()`` says what to install."""


def mpp_unavailable_reason() -> str | None:
    """Why ``.mpp`` files cannot be read here, or ``None`` when they can."""
    try:
        import jpype  # noqa: F401  (optional extra)
        import mpxj  # noqa: F401  (optional extra; puts the MPXJ jars on the class path)
    except ImportError:
        return INSTALL_HINT
    import jpype

    if jpype.isJVMStarted():
        return None
    try:
        jpype.getDefaultJVMPath()
    except Exception:  # JVMNotFoundException: no JAVA_HOME, no java on PATH
        if shutil.which("java") is None:
            return JAVA_HINT
    return None


def start_jvm() -> None:
    """Start the shared JVM once per process (MPXJ's jars on its class path).

    Raises:
        MppUnavailable: the extra or Java is missing.
    """
    reason = mpp_unavailable_reason()
    if reason is not None:
        raise MppUnavailable(reason)
    import jpype
    import mpxj  # noqa: F401

    with _JVM_LOCK:
        if not jpype.isJVMStarted():
            try:
                # Log4j (a dependency of POI) would print a "no logging provider" line per run.
                jpype.startJVM(
                    "-Dlog4j2.loggerContextFactory=" + _NO_OP_LOG4J, convertStrings=False
                )
            except Exception as exc:
                raise MppUnavailable(f"{JAVA_HINT} ({exc})") from None


_NO_OP_LOG4J = "org.apache.logging.log4j.simple.SimpleLoggerContextFactory"


def read_project(path: Path) -> Any:
    """MPXJ's ``ProjectFile`` of ``path``.

    Raises:
        MspdiParseError: MPXJ cannot read it (corrupt, password protected, not a plan).
        MppUnavailable: the extra or Java is missing.
    """
    start_jvm()
    from org.mpxj.reader import UniversalProjectReader  # type: ignore[import-not-found]

    try:
        project = UniversalProjectReader().read(str(path))
    except Exception as exc:  # a Java exception
        raise MspdiParseError(path, f"MPXJ cannot read the file: {exc}") from None
    if project is None:
        raise MspdiParseError(path, "MPXJ found no project in the file")
    return project


# --------------------------------------------------------------------------- value converters


def to_datetime(value: Any) -> datetime | None:
    """java.time.LocalDateTime -> naive datetime (as the MSPDI path stores them)."""
    return None if value is None else datetime.fromisoformat(str(value.toString()))


def to_hours(duration: Any, defaults: Any) -> float | None:
    """An MPXJ Duration in hours (days/weeks with the plan's minutes per day/week)."""
    if duration is None:
        return None
    from org.mpxj import TimeUnit  # type: ignore[import-not-found]

    return float(duration.convertUnits(TimeUnit.HOURS, defaults).getDuration())


def to_minutes(duration: Any, defaults: Any) -> float | None:
    """An MPXJ Duration in minutes."""
    hours = to_hours(duration, defaults)
    return None if hours is None else hours * 60


def to_decimal(number: Any) -> Decimal | None:
    """A java Number (money) as a decimal with the raw tables' scale."""
    if number is None:
        return None
    return Decimal(repr(_as_float(number))).quantize(_QUANTUM)


def _as_float(number: Any) -> float:
    # JPype hands back primitives (JInt, JDouble) or boxed java.lang.Number objects.
    try:
        return float(number)
    except TypeError:
        return float(number.doubleValue())


def to_float(number: Any) -> float | None:
    return None if number is None else _as_float(number)


def to_int(number: Any) -> int | None:
    if number is None:
        return None
    try:
        return int(number)
    except TypeError:
        return int(number.intValue())


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None


def _enum(value: Any) -> str | None:
    return None if value is None else str(value.name())


def duration_format(duration: Any) -> int | None:
    """MSPDI DurationFormat code of an MPXJ Duration's units."""
    if duration is None:
        return None
    return _DURATION_FORMATS.get(_enum(duration.getUnits()) or "")


def rate_per_hour(rate: Any, defaults: Any) -> Decimal | None:
    """An MPXJ Rate (amount per time unit) per hour, as MSPDI stores StandardRate."""
    if rate is None:
        return None
    from org.mpxj import Duration, TimeUnit  # type: ignore[import-not-found]

    hours = Duration.convertUnits(1.0, rate.getUnits(), TimeUnit.HOURS, defaults).getDuration()
    amount = float(rate.getAmount())
    per_hour = amount / float(hours) if hours else amount
    return Decimal(repr(per_hour)).quantize(_QUANTUM)


def _baseline(entity: Any, name: str, number: int) -> Any:
    getter = getattr(entity, f"getBaseline{name}")
    return getter() if number == 0 else getter(number)


def _is_zero(value: Any) -> bool:
    return value is None or float(value) == 0


# --------------------------------------------------------------------------- rows


class MppPlanReader:
    """One ``ProjectFile`` as ``(table, row)`` pairs in the MSPDI parser's shape."""

    def __init__(
        self,
        project: Any,
        path: Path,
        plan_id: str,
        project_code_alias: str,
        project_code_field_id: int | None,
    ) -> None:
        self.project = project
        self.path = path
        self.plan_id = plan_id
        self.alias = project_code_alias.strip().lower()
        self.code_field_id = project_code_field_id
        self.props = project.getProjectProperties()
        self.counts = {"tasks": 0, "resources": 0, "assignments": 0}
        self.null_task_uids: set[int] = set()

    def _hours(self, duration: Any) -> float | None:
        return to_hours(duration, self.props)

    def rows(self) -> Iterator[tuple[str, Row]]:
        project_code = None
        for task in self.project.getTasks():
            if task.getNull():
                # A blank row of the Gantt sheet: not a task, not part of the outline.
                uid = to_int(task.getUniqueID())
                if uid is not None:
                    self.null_task_uids.add(uid)
                continue
            yield from self._task(task)
            if to_int(task.getUniqueID()) == 0:
                project_code = self._project_code(task)
        for resource in self.project.getResources():
            yield from self._resource(resource)
        for assignment in self.project.getResourceAssignments():
            yield from self._assignment(assignment)
        yield "projects", self._project_row(project_code)

    def _project_code(self, summary_task: Any) -> str | None:
        field_type = None
        if self.alias:
            for custom_field in self.project.getCustomFields():
                alias = to_text(custom_field.getAlias())
                if alias and alias.strip().lower() == self.alias:
                    field_type = custom_field.getFieldType()
                    break
        if field_type is None and self.code_field_id is not None:
            from org.mpxj.common import FieldTypeHelper  # type: ignore[import-not-found]

            field_type = FieldTypeHelper.getInstance(self.project, self.code_field_id)
        if field_type is None:
            return None
        value = summary_task.get(field_type)
        text = to_text(value)
        return text.strip() or None if text else None

    def _baselines(self, entity: Any, kind: str, uid: int) -> Iterator[Row]:
        """Baselines that were saved: a date, or work/cost, present (MPXJ reads unsaved as 0)."""
        for number in range(BASELINE_COUNT):
            work = _baseline(entity, "Work", number)
            cost = _baseline(entity, "Cost", number)
            start = _baseline(entity, "Start", number) if kind != "resource" else None
            finish = _baseline(entity, "Finish", number) if kind != "resource" else None
            duration = _baseline(entity, "Duration", number) if kind == "task" else None
            work_hours = self._hours(work)
            if (
                start is None
                and finish is None
                and _is_zero(work_hours)
                and _is_zero(to_float(cost))
                and _is_zero(self._hours(duration))
            ):
                continue
            yield {
                "plan_id": self.plan_id,
                "entity": kind,
                "uid": uid,
                "baseline_number": number,
                "start_at": to_datetime(start),
                "finish_at": to_datetime(finish),
                "duration_hours": self._hours(duration),
                "work_hours": work_hours,
                "cost": to_decimal(cost),
                "bcws": None,
                "bcwp": None,
            }

    def _task(self, task: Any) -> Iterator[tuple[str, Row]]:
        uid = to_int(task.getUniqueID())
        parent = task.getParentTask()
        duration = task.getDuration()
        priority = task.getPriority()
        row: Row = {
            "plan_id": self.plan_id,
            "task_uid": uid,
            "task_id": to_int(task.getID()),
            "task_name": to_text(task.getName()),
            "wbs": to_text(task.getWBS()),
            "outline_number": to_text(task.getOutlineNumber()),
            "outline_level": to_int(task.getOutlineLevel()),
            "parent_task_uid": to_int(parent.getUniqueID()) if parent is not None else None,
            "task_type": _TASK_TYPE_CODES.get(_enum(task.getType()) or ""),
            "is_null": False,
            "is_summary": bool(task.getSummary()),
            "is_milestone": bool(task.getMilestone()),
            "is_critical": bool(task.getCritical()),
            "is_project_summary": uid == 0,
            "is_active": bool(task.getActive()),
            "priority": to_int(priority.getValue()) if priority is not None else None,
            "created_at": to_datetime(task.getCreateDate()),
            "start_at": to_datetime(task.getStart()),
            "finish_at": to_datetime(task.getFinish()),
            "duration_hours": self._hours(duration),
            "duration_format": duration_format(duration),
            "work_hours": self._hours(task.getWork()),
            "cost": to_decimal(task.getCost()),
            "fixed_cost": to_decimal(task.getFixedCost()),
            "actual_start_at": to_datetime(task.getActualStart()),
            "actual_finish_at": to_datetime(task.getActualFinish()),
            "actual_duration_hours": self._hours(task.getActualDuration()),
            "actual_work_hours": self._hours(task.getActualWork()),
            "actual_cost": to_decimal(task.getActualCost()),
            "remaining_work_hours": self._hours(task.getRemainingWork()),
            "remaining_cost": to_decimal(task.getRemainingCost()),
            "percent_complete": to_int(task.getPercentageComplete()),
            "percent_work_complete": to_int(task.getPercentageWorkComplete()),
            "constraint_type": _CONSTRAINT_CODES.get(_enum(task.getConstraintType()) or ""),
            "constraint_date": to_datetime(task.getConstraintDate()),
            "deadline_date": _date_of(to_datetime(task.getDeadline())),
            "total_slack_minutes": to_minutes(task.getTotalSlack(), self.props),
            "free_slack_minutes": to_minutes(task.getFreeSlack(), self.props),
            "baseline_start_at": None,
            "baseline_finish_at": None,
            "baseline_duration_hours": None,
            "baseline_work_hours": None,
            "baseline_cost": None,
            "bcws": to_decimal(task.getBCWS()),
            "bcwp": to_decimal(task.getBCWP()),
            "acwp": to_decimal(task.getACWP()),
            "notes": to_text(task.getNotes()),
        }
        for relation in task.getPredecessors():
            predecessor = relation.getPredecessorTask()
            code = _RELATION_CODES.get(_enum(relation.getType()) or "")
            lag = relation.getLag()
            yield (
                "predecessor_links",
                {
                    "plan_id": self.plan_id,
                    "task_uid": uid,
                    "predecessor_uid": to_int(predecessor.getUniqueID()) if predecessor else None,
                    "link_type_code": code,
                    "link_type": LINK_TYPES.get(code) if code is not None else None,
                    "is_cross_project": bool(predecessor.getExternalTask())
                    if predecessor
                    else False,
                    "cross_project_name": to_text(predecessor.getSubprojectFile())
                    if predecessor is not None and predecessor.getExternalTask()
                    else None,
                    "lag_minutes": to_minutes(lag, self.props) or 0.0,
                    "lag_format": duration_format(lag),
                },
            )
        for baseline in self._baselines(task, "task", uid):
            if baseline["baseline_number"] == 0:
                row["baseline_start_at"] = baseline["start_at"]
                row["baseline_finish_at"] = baseline["finish_at"]
                row["baseline_duration_hours"] = baseline["duration_hours"]
                row["baseline_work_hours"] = baseline["work_hours"]
                row["baseline_cost"] = baseline["cost"]
            yield "baselines", baseline
        self.counts["tasks"] += 1
        yield "tasks", row

    def _resource(self, resource: Any) -> Iterator[tuple[str, Row]]:
        uid = to_int(resource.getUniqueID())
        type_name = _enum(resource.getType()) or "WORK"
        max_units = to_float(resource.getMaxUnits())
        rate = resource.getStandardRate()
        yield (
            "resources",
            {
                "plan_id": self.plan_id,
                "resource_uid": uid,
                "resource_id": to_int(resource.getID()),
                "resource_name": to_text(resource.getName()),
                "resource_type_code": _RESOURCE_TYPE_CODES.get(type_name),
                "resource_type": type_name.lower(),
                "is_cost_resource": type_name == "COST",
                "initials": to_text(resource.getInitials()),
                "resource_group": to_text(resource.getGroup()),
                "email": to_text(resource.getEmailAddress()),
                "nt_account": to_text(resource.getNtAccount()),
                "max_units": None if max_units is None else max_units / 100,
                "standard_rate": rate_per_hour(rate, self.props),
                "standard_rate_format": _RATE_FORMATS.get(_enum(rate.getUnits()) or "")
                if rate is not None
                else None,
                "overtime_rate": rate_per_hour(resource.getOvertimeRate(), self.props),
                "cost_per_use": to_decimal(resource.getCostPerUse()),
                "is_generic": bool(resource.getGeneric()),
                "is_inactive": not bool(resource.getActive()),
                "work_hours": self._hours(resource.getWork()),
                "actual_work_hours": self._hours(resource.getActualWork()),
                "cost": to_decimal(resource.getCost()),
                "actual_cost": to_decimal(resource.getActualCost()),
            },
        )
        for baseline in self._baselines(resource, "resource", uid):
            yield "baselines", baseline
        self.counts["resources"] += 1

    def _assignment(self, assignment: Any) -> Iterator[tuple[str, Row]]:
        uid = to_int(assignment.getUniqueID())
        task_uid = to_int(assignment.getTaskUniqueID())
        if task_uid in self.null_task_uids:
            return
        resource_uid = to_int(assignment.getResourceUniqueID())
        if resource_uid is None:
            resource_uid = UNASSIGNED_RESOURCE_UID
        units = to_float(assignment.getUnits())
        row: Row = {
            "plan_id": self.plan_id,
            "assignment_uid": uid,
            "task_uid": task_uid,
            "resource_uid": resource_uid,
            "is_unassigned": resource_uid == UNASSIGNED_RESOURCE_UID,
            "units": None if units is None else units / 100,
            "work_hours": self._hours(assignment.getWork()),
            "actual_work_hours": self._hours(assignment.getActualWork()),
            "remaining_work_hours": self._hours(assignment.getRemainingWork()),
            "cost": to_decimal(assignment.getCost()),
            "actual_cost": to_decimal(assignment.getActualCost()),
            "remaining_cost": to_decimal(assignment.getRemainingCost()),
            "start_at": to_datetime(assignment.getStart()),
            "finish_at": to_datetime(assignment.getFinish()),
            "actual_start_at": to_datetime(assignment.getActualStart()),
            "actual_finish_at": to_datetime(assignment.getActualFinish()),
            "percent_work_complete": to_int(assignment.getPercentageWorkComplete()),
            "baseline_work_hours": None,
            "baseline_cost": None,
        }
        for baseline in self._baselines(assignment, "assignment", uid):
            if baseline["baseline_number"] == 0:
                row["baseline_work_hours"] = baseline["work_hours"]
                row["baseline_cost"] = baseline["cost"]
            yield "baselines", baseline
        for day, hours in actual_work_by_day(assignment).items():
            yield (
                "timephased_actuals",
                {
                    "plan_id": self.plan_id,
                    "assignment_uid": uid,
                    "task_uid": task_uid,
                    "resource_uid": resource_uid,
                    "work_date": day,
                    "actual_hours": hours,
                },
            )
        self.counts["assignments"] += 1
        yield "assignments", row

    def _project_row(self, project_code: str | None) -> Row:
        p = self.props
        return {
            "plan_id": self.plan_id,
            "source_file": str(self.path),
            "file_name": self.path.name,
            "project_code": project_code,
            "save_version": to_int(p.getMppFileType()),
            "project_name": to_text(p.getName()),
            "project_title": to_text(p.getProjectTitle()),
            "manager_name": to_text(p.getManager()),
            "author": to_text(p.getAuthor()),
            "company": to_text(p.getCompany()),
            "status_date": _date_of(to_datetime(p.getStatusDate())),
            "currency_code": to_text(p.getCurrencyCode()),
            "currency_symbol": to_text(p.getCurrencySymbol()),
            "start_at": to_datetime(p.getStartDate()),
            "finish_at": to_datetime(p.getFinishDate()),
            "creation_date": to_datetime(p.getCreationDate()),
            "last_saved_at": to_datetime(p.getLastSaved()),
            "minutes_per_day": to_int(p.getMinutesPerDay()),
            "minutes_per_week": to_int(p.getMinutesPerWeek()),
            "days_per_month": to_int(p.getDaysPerMonth()),
            "task_count": self.counts["tasks"],
            "resource_count": self.counts["resources"],
            "assignment_count": self.counts["assignments"],
        }


def _date_of(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def day_ranges(first: date, last: date) -> Any:
    """A java List of LocalDateTimeRange, one per calendar day from ``first`` to ``last``."""
    from java.time import LocalDateTime  # type: ignore[import-not-found]
    from java.util import ArrayList  # type: ignore[import-not-found]
    from org.mpxj import LocalDateTimeRange  # type: ignore[import-not-found]

    ranges = ArrayList()
    day = first
    while day <= last:
        following = day + timedelta(days=1)
        ranges.add(
            LocalDateTimeRange(
                LocalDateTime.of(day.year, day.month, day.day, 0, 0),
                LocalDateTime.of(following.year, following.month, following.day, 0, 0),
            )
        )
        day = following
    return ranges


def actual_work_by_day(assignment: Any) -> dict[date, float]:
    """Actual work (regular + overtime) per calendar day in hours, as MPXJ segments it.

    Days without work are left out (as in the MSPDI path, which has no rows for them).
    """
    from org.mpxj import TimeUnit  # type: ignore[import-not-found]

    items = list(assignment.getRawTimephasedActualRegularWork() or []) + list(
        assignment.getRawTimephasedActualOvertimeWork() or []
    )
    if not items:
        return {}
    first = min(to_datetime(i.getStart()) for i in items).date()  # type: ignore[type-var]
    last_finish = max(to_datetime(i.getFinish()) for i in items)  # type: ignore[type-var]
    assert last_finish is not None
    last = (last_finish - timedelta(microseconds=1)).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    values = assignment.getTimephasedActualWork(day_ranges(first, last), TimeUnit.HOURS)
    result: dict[date, float] = {}
    for day, value in zip(days, values, strict=True):
        hours = 0.0 if value is None else float(value.getDuration())
        if hours != 0:
            result[day] = hours
    return result


def read_mpp(
    path: str | Path,
    plan_id: str,
    *,
    project_code_alias: str = "Finance Project Code",
    project_code_field_id: int | None = None,
) -> Iterator[tuple[str, Row]]:
    """Stream ``(table, row)`` pairs out of an ``.mpp`` file (same shape as ``parse_mspdi``).

    Raises:
        MppUnavailable: the ``mpp`` extra or Java is missing.
        MspdiParseError: MPXJ cannot read the file, or a value cannot be converted.
    """
    path = Path(path)
    project = read_project(path)
    reader = MppPlanReader(project, path, plan_id, project_code_alias, project_code_field_id)
    try:
        yield from reader.rows()
    except Exception as exc:
        if isinstance(exc, MspdiParseError | MppUnavailable):
            raise
        raise MspdiParseError(path, f"MPXJ: {exc}") from None
