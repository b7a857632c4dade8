"""Streaming MSPDI parser: one pass of ``iterparse``, elements dropped as soon as they are read.

A plan of 100k tasks never exists as a document tree: each ``Task``, ``Resource`` and
``Assignment`` is converted to flat rows when its end tag arrives and then removed from its
parent, so memory stays bounded by one element plus the current batch.

Units of the format (see docs/CONTRACTS.md and the Microsoft reference):

* money (Cost, ActualCost, FixedCost, CostPerUse, Baseline Cost, BCWS/BCWP/ACWP) is stored in
  hundredths: ``352625`` -> ``3526.25``;
* durations and work are ``xsd:duration`` in working hours (``PT8H0M0S``) -> hours;
* LinkLag, TotalSlack and FreeSlack are tenths of a minute -> minutes;
* MaxUnits is a fraction (1.0 = 100 %); StandardRate is per hour.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connectors.msproject.calendars import (
    DAY_TYPE_TO_WEEKDAY,
    Calendar,
    CombinedCalendar,
    Interval,
    WorkCalendar,
    default_calendar,
    parse_time_minutes,
    spread_over_days,
)
from connectors.msproject.settings import (
    LINK_TYPES,
    RESOURCE_TYPES,
    TIMEPHASED_ACTUAL_WORK,
    UNASSIGNED_RESOURCE_UID,
)

Row = dict[str, Any]

_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_QUANTUM = Decimal("0.0001")  # the raw tables' decimal scale
_INT64 = 2**63


class MspdiParseError(ValueError):
    """A plan file that cannot be read; the message names the file and the position."""

    def __init__(
        self, path: str | Path, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        where = f" at line {line}, column {column}" if line is not None else ""
        self.reason = message
        super().__init__(f"{self.path}{where}: {message}")


class _ValueProblem(ValueError):
    """A value that does not convert; becomes an ``MspdiParseError`` with the element's context."""


# --------------------------------------------------------------------------- value converters


def parse_duration_hours(text: str | None, minutes_per_day: int = 480) -> float | None:
    """Hours of an ``xsd:duration`` such as ``PT8H0M0S``.

    Days count as working days of ``minutes_per_day``; MS Project itself writes hours only.
    """
    if text is None or text == "":
        return None
    match = _DURATION.match(text.strip())
    if not match:
        raise _ValueProblem(f"{text!r} is not an xsd:duration")
    sign, years, months, days, hours, minutes, seconds = match.groups()
    if years or months:
        raise _ValueProblem(f"{text!r}: years/months are not used in MSPDI durations")
    total_minutes = (
        float(days or 0) * minutes_per_day
        + float(hours or 0) * 60
        + float(minutes or 0)
        + float(seconds or 0) / 60
    )
    value = total_minutes / 60
    return -value if sign else value


def _to_decimal(text: str, scale: Decimal) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _ValueProblem(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise _ValueProblem(f"{text!r} is not a number")
    try:
        return (value / scale).quantize(_QUANTUM)
    except InvalidOperation:
        raise _ValueProblem(f"{text!r} is too large") from None


def parse_money(text: str | None) -> Decimal | None:
    """Money from hundredths of the currency unit (``352625`` -> ``3526.25``)."""
    if text is None or text == "":
        return None
    return _to_decimal(text, _HUNDRED)


def parse_decimal(text: str | None) -> Decimal | None:
    """A plain decimal (rates)."""
    if text is None or text == "":
        return None
    return _to_decimal(text, _ONE)


def parse_int(text: str | None) -> int | None:
    """An integer; MS Project sometimes writes ``500.0`` for integers."""
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            raise _ValueProblem(f"{text!r} is not an integer") from None
        if not as_float.is_integer():
            raise _ValueProblem(f"{text!r} is not an integer") from None
        value = int(as_float)
    if not -_INT64 <= value < _INT64:
        raise _ValueProblem(f"{text!r} is out of range")
    return value


def parse_float(text: str | None) -> float | None:
    """A float."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise _ValueProblem(f"{text!r} is not a number") from None


def parse_bool(text: str | None) -> bool | None:
    """MSPDI booleans are ``0``/``1`` (``true``/``false`` also accepted)."""
    if text is None or text == "":
        return None
    value = text.strip().lower()
    if value in ("1", "true"):
        return True
    if value in ("0", "false"):
        return False
    raise _ValueProblem(f"{text!r} is not a boolean")


def parse_datetime(text: str | None) -> datetime | None:
    """A naive dateTime (project-local time; the warehouse treats it as UTC)."""
    if text is None or text == "":
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise _ValueProblem(f"{text!r} is not a dateTime") from None


def _date_part(moment: datetime | None) -> date | None:
    # Dates stay dates: a timestamp would shift a day in sessions east of UTC.
    return moment.date() if moment else None


def tenths_to_minutes(text: str | None) -> float | None:
    """LinkLag / slack: tenths of a minute -> minutes."""
    value = parse_float(text)
    return None if value is None else value / 10


# --------------------------------------------------------------------------- element helpers


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1]
        if len(_LOCAL_NAMES) < 10_000:  # bounded: a hostile file cannot grow it without end
            _LOCAL_NAMES[tag] = name
    return name


def _fields(element: ET.Element) -> dict[str, str]:
    """Text of the simple (childless) children, by local name."""
    return {_local(child.tag): (child.text or "") for child in element if len(child) == 0}


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _baseline_row(
    plan_id: str, entity: str, uid: int, element: ET.Element, minutes_per_day: int
) -> Row:
    f = _fields(element)
    return {
        "plan_id": plan_id,
        "entity": entity,
        "uid": uid,
        "baseline_number": parse_int(f.get("Number")) or 0,
        "start_at": parse_datetime(f.get("Start")),
        "finish_at": parse_datetime(f.get("Finish")),
        "duration_hours": parse_duration_hours(f.get("Duration"), minutes_per_day),
        "work_hours": parse_duration_hours(f.get("Work"), minutes_per_day),
        "cost": parse_money(f.get("Cost")),
        "bcws": parse_money(f.get("BCWS")),
        "bcwp": parse_money(f.get("BCWP")),
    }


class _PlanParser:
    """Converts one MSPDI file into flat rows per table (see ``settings.TABLE_COLUMNS``)."""

    def __init__(
        self, path: Path, plan_id: str, project_code_alias: str, project_code_field_id: int | None
    ) -> None:
        self.path = path
        self.plan_id = plan_id
        self.alias = project_code_alias.strip().lower()
        self.code_field_id = project_code_field_id
        self.header: dict[str, str] = {}
        self.minutes_per_day = 480
        self.project_code: str | None = None
        self.task_uids: set[int] = set()
        self.counts = {"tasks": 0, "resources": 0, "assignments": 0}
        self._parents: list[int] = []
        self._context = ""
        # Calendars and what each task/resource uses: timephased work is spread along them.
        self.calendars: dict[int, WorkCalendar] = {}
        self._calendar_bases: dict[int, int] = {}
        self.task_calendars: dict[int, tuple[int | None, bool]] = {}
        self.resource_calendars: dict[int, int | None] = {}
        self.null_task_uids: set[int] = set()

    # Project-level ExtendedAttribute definitions come before the tasks.
    def _definition(self, element: ET.Element) -> None:
        f = _fields(element)
        if f.get("Alias", "").strip().lower() == self.alias and self.alias:
            self.code_field_id = parse_int(f.get("FieldID"))

    def _task(self, element: ET.Element) -> Iterator[tuple[str, Row]]:
        f = _fields(element)
        uid = parse_int(f.get("UID"))
        self._context = f"Task UID {uid}"
        if uid is None:
            raise _ValueProblem("Task without UID")
        if uid in self.task_uids:
            raise _ValueProblem(f"duplicate Task UID {uid}")
        self.task_uids.add(uid)
        if parse_bool(f.get("IsNull")):
            # A blank row of the Gantt sheet: no task, and not part of the outline either (its
            # level 0 would otherwise become the parent of the rows below it).
            self.null_task_uids.add(uid)
            return
        calendar_uid = parse_int(f.get("CalendarUID"))
        self.task_calendars[uid] = (
            calendar_uid if calendar_uid is not None and calendar_uid >= 0 else None,
            parse_bool(f.get("IgnoreResourceCalendar")) or False,
        )
        mpd = self.minutes_per_day
        level = parse_int(f.get("OutlineLevel"))
        parent = None
        if level is not None:
            # The last task seen at each outline level; tasks arrive in outline order.
            parent = self._parents[level - 1] if 0 < level <= len(self._parents) else None
            self._parents = self._parents[:level] + [uid]
        row: Row = {
            "plan_id": self.plan_id,
            "task_uid": uid,
            "task_id": parse_int(f.get("ID")),
            "task_name": f.get("Name") or None,
            "wbs": f.get("WBS") or None,
            "outline_number": f.get("OutlineNumber") or None,
            "outline_level": level,
            "parent_task_uid": parent,
            "task_type": parse_int(f.get("Type")),
            "is_null": False,
            "is_summary": parse_bool(f.get("Summary")) or False,
            "is_milestone": parse_bool(f.get("Milestone")) or False,
            "is_critical": parse_bool(f.get("Critical")) or False,
            "is_project_summary": uid == 0,
            "is_active": parse_bool(f.get("Active")) if "Active" in f else True,
            "priority": parse_int(f.get("Priority")),
            "created_at": parse_datetime(f.get("CreateDate")),
            "start_at": parse_datetime(f.get("Start")),
            "finish_at": parse_datetime(f.get("Finish")),
            "duration_hours": parse_duration_hours(f.get("Duration"), mpd),
            "duration_format": parse_int(f.get("DurationFormat")),
            "work_hours": parse_duration_hours(f.get("Work"), mpd),
            "cost": parse_money(f.get("Cost")),
            "fixed_cost": parse_money(f.get("FixedCost")),
            "actual_start_at": parse_datetime(f.get("ActualStart")),
            "actual_finish_at": parse_datetime(f.get("ActualFinish")),
            "actual_duration_hours": parse_duration_hours(f.get("ActualDuration"), mpd),
            "actual_work_hours": parse_duration_hours(f.get("ActualWork"), mpd),
            "actual_cost": parse_money(f.get("ActualCost")),
            "remaining_work_hours": parse_duration_hours(f.get("RemainingWork"), mpd),
            "remaining_cost": parse_money(f.get("RemainingCost")),
            "percent_complete": parse_int(f.get("PercentComplete")),
            "percent_work_complete": parse_int(f.get("PercentWorkComplete")),
            "constraint_type": parse_int(f.get("ConstraintType")),
            "constraint_date": parse_datetime(f.get("ConstraintDate")),
            "deadline_date": _date_part(parse_datetime(f.get("Deadline"))),
            "total_slack_minutes": tenths_to_minutes(f.get("TotalSlack")),
            "free_slack_minutes": tenths_to_minutes(f.get("FreeSlack")),
            "baseline_start_at": None,
            "baseline_finish_at": None,
            "baseline_duration_hours": None,
            "baseline_work_hours": None,
            "baseline_cost": None,
            "bcws": parse_money(f.get("BCWS")),
            "bcwp": parse_money(f.get("BCWP")),
            "acwp": parse_money(f.get("ACWP")),
            "notes": f.get("Notes") or None,
        }
        for link in _children(element, "PredecessorLink"):
            lf = _fields(link)
            type_code = parse_int(lf.get("Type"))
            yield (
                "predecessor_links",
                {
                    "plan_id": self.plan_id,
                    "task_uid": uid,
                    "predecessor_uid": parse_int(lf.get("PredecessorUID")),
                    "link_type_code": type_code,
                    "link_type": LINK_TYPES.get(type_code) if type_code is not None else None,
                    "is_cross_project": parse_bool(lf.get("CrossProject")) or False,
                    "cross_project_name": lf.get("CrossProjectName") or None,
                    "lag_minutes": tenths_to_minutes(lf.get("LinkLag")) or 0.0,
                    "lag_format": parse_int(lf.get("LagFormat")),
                },
            )
        for baseline in _children(element, "Baseline"):
            b = _baseline_row(self.plan_id, "task", uid, baseline, mpd)
            if b["baseline_number"] == 0:
                row["baseline_start_at"] = b["start_at"]
                row["baseline_finish_at"] = b["finish_at"]
                row["baseline_duration_hours"] = b["duration_hours"]
                row["baseline_work_hours"] = b["work_hours"]
                row["baseline_cost"] = b["cost"]
            yield "baselines", b
        if uid == 0 and self.code_field_id is not None:
            for attribute in _children(element, "ExtendedAttribute"):
                af = _fields(attribute)
                if parse_int(af.get("FieldID")) == self.code_field_id:
                    self.project_code = (af.get("Value") or "").strip() or None
        self.counts["tasks"] += 1
        yield "tasks", row

    def _resource(self, element: ET.Element) -> Iterator[tuple[str, Row]]:
        f = _fields(element)
        uid = parse_int(f.get("UID"))
        self._context = f"Resource UID {uid}"
        mpd = self.minutes_per_day
        type_code = parse_int(f.get("Type"))
        is_cost = parse_bool(f.get("IsCostResource")) or False
        if uid is not None and type_code == 1 and not is_cost:
            # Only work resources bring their calendar to an assignment (as in MS Project).
            self.resource_calendars[uid] = parse_int(f.get("CalendarUID"))
        yield (
            "resources",
            {
                "plan_id": self.plan_id,
                "resource_uid": uid,
                "resource_id": parse_int(f.get("ID")),
                "resource_name": f.get("Name") or None,
                "resource_type_code": type_code,
                "resource_type": "cost" if is_cost else RESOURCE_TYPES.get(type_code or 0),
                "is_cost_resource": is_cost,
                "initials": f.get("Initials") or None,
                "resource_group": f.get("Group") or None,
                "email": f.get("EmailAddress") or None,
                "nt_account": f.get("NTAccount") or None,
                "max_units": parse_float(f.get("MaxUnits")),
                "standard_rate": parse_decimal(f.get("StandardRate")),
                "standard_rate_format": parse_int(f.get("StandardRateFormat")),
                "overtime_rate": parse_decimal(f.get("OvertimeRate")),
                "cost_per_use": parse_money(f.get("CostPerUse")),
                "is_generic": parse_bool(f.get("IsGeneric")) or False,
                "is_inactive": parse_bool(f.get("IsInactive")) or False,
                "work_hours": parse_duration_hours(f.get("Work"), mpd),
                "actual_work_hours": parse_duration_hours(f.get("ActualWork"), mpd),
                "cost": parse_money(f.get("Cost")),
                "actual_cost": parse_money(f.get("ActualCost")),
            },
        )
        for baseline in _children(element, "Baseline"):
            yield "baselines", _baseline_row(self.plan_id, "resource", uid, baseline, mpd)
        self.counts["resources"] += 1

    def _assignment(self, element: ET.Element) -> Iterator[tuple[str, Row]]:
        f = _fields(element)
        uid = parse_int(f.get("UID"))
        self._context = f"Assignment UID {uid}"
        mpd = self.minutes_per_day
        task_uid = parse_int(f.get("TaskUID"))
        resource_uid = parse_int(f.get("ResourceUID"))
        if task_uid in self.null_task_uids:
            return
        row: Row = {
            "plan_id": self.plan_id,
            "assignment_uid": uid,
            "task_uid": task_uid,
            "resource_uid": resource_uid,
            "is_unassigned": resource_uid == UNASSIGNED_RESOURCE_UID,
            "units": parse_float(f.get("Units")),
            "work_hours": parse_duration_hours(f.get("Work"), mpd),
            "actual_work_hours": parse_duration_hours(f.get("ActualWork"), mpd),
            "remaining_work_hours": parse_duration_hours(f.get("RemainingWork"), mpd),
            "cost": parse_money(f.get("Cost")),
            "actual_cost": parse_money(f.get("ActualCost")),
            "remaining_cost": parse_money(f.get("RemainingCost")),
            "start_at": parse_datetime(f.get("Start")),
            "finish_at": parse_datetime(f.get("Finish")),
            "actual_start_at": parse_datetime(f.get("ActualStart")),
            "actual_finish_at": parse_datetime(f.get("ActualFinish")),
            "percent_work_complete": parse_int(f.get("PercentWorkComplete")),
            "baseline_work_hours": None,
            "baseline_cost": None,
        }
        for baseline in _children(element, "Baseline"):
            b = _baseline_row(self.plan_id, "assignment", uid, baseline, mpd)
            if b["baseline_number"] == 0:
                row["baseline_work_hours"] = b["work_hours"]
                row["baseline_cost"] = b["cost"]
            yield "baselines", b
        per_day: dict[date, float] = {}
        calendar: Calendar | None = None
        for period in _children(element, "TimephasedData"):
            pf = _fields(period)
            if parse_int(pf.get("Type")) != TIMEPHASED_ACTUAL_WORK:
                continue
            hours = parse_duration_hours(pf.get("Value"), mpd) or 0.0
            start = parse_datetime(pf.get("Start"))
            finish = parse_datetime(pf.get("Finish")) or start
            if start is None or hours == 0:
                continue
            if calendar is None:
                calendar = self._assignment_calendar(task_uid, resource_uid)
            for day, day_hours in spread_over_days(calendar, start, finish, hours).items():
                per_day[day] = per_day.get(day, 0.0) + day_hours
        for day in sorted(per_day):
            yield (
                "timephased_actuals",
                {
                    "plan_id": self.plan_id,
                    "assignment_uid": uid,
                    "task_uid": task_uid,
                    "resource_uid": resource_uid,
                    "work_date": day,
                    "actual_hours": per_day[day],
                },
            )
        self.counts["assignments"] += 1
        yield "assignments", row

    def _handlers(self, root_tag: str) -> dict[tuple[str, str], Any]:
        """Element handlers keyed by (container tag, element tag) in the file's namespace."""
        if _local(root_tag) != "Project":
            raise _ValueProblem(
                f"not an MSPDI file: root element is <{_local(root_tag)}>, expected <Project>"
            )
        ns = root_tag[: root_tag.index("}") + 1] if root_tag.startswith("{") else ""
        return {
            (ns + "Tasks", ns + "Task"): self._task,
            (ns + "Resources", ns + "Resource"): self._resource,
            (ns + "Assignments", ns + "Assignment"): self._assignment,
            (ns + "ExtendedAttributes", ns + "ExtendedAttribute"): self._definition_rows,
            (ns + "Calendars", ns + "Calendar"): self._calendar_rows,
        }

    def _calendar_rows(self, element: ET.Element) -> Iterator[tuple[str, Row]]:
        f = _fields(element)
        uid = parse_int(f.get("UID"))
        self._context = f"Calendar UID {uid}"
        if uid is None:
            return iter(())
        calendar = WorkCalendar(uid=uid, name=f.get("Name") or None)
        for week_days in _children(element, "WeekDays"):
            for week_day in _children(week_days, "WeekDay"):
                self._week_day(calendar, week_day)
        base = parse_int(f.get("BaseCalendarUID"))
        if base is not None and base >= 0 and base != uid:
            self._calendar_bases[uid] = base
        self.calendars[uid] = calendar
        return iter(())

    def _week_day(self, calendar: WorkCalendar, element: ET.Element) -> None:
        f = _fields(element)
        day_type = parse_int(f.get("DayType"))
        working = parse_bool(f.get("DayWorking"))
        if working is None:
            return  # not defined here: the base calendar decides
        intervals: list[Interval] = []
        if working:
            for times in _children(element, "WorkingTimes"):
                for wt in _children(times, "WorkingTime"):
                    tf = _fields(wt)
                    if tf.get("FromTime") and tf.get("ToTime"):
                        start = parse_time_minutes(tf["FromTime"], is_end=False)
                        end = parse_time_minutes(tf["ToTime"], is_end=True)
                        if start < end:
                            intervals.append((start, end))
        day = tuple(sorted(intervals))
        if day_type in DAY_TYPE_TO_WEEKDAY:
            calendar.weekdays[DAY_TYPE_TO_WEEKDAY[day_type]] = day
        elif day_type == 0:
            for period in _children(element, "TimePeriod"):
                pf = _fields(period)
                first = parse_datetime(pf.get("FromDate"))
                last = parse_datetime(pf.get("ToDate")) or first
                if first is None or last is None:
                    continue
                current, end = first.date(), last.date()
                while current <= end:
                    calendar.exceptions[current] = day
                    current += timedelta(days=1)

    def _calendar(self, uid: int | None) -> WorkCalendar | None:
        if uid is None or uid not in self.calendars:
            return None
        calendar = self.calendars[uid]
        if calendar.base is None and uid in self._calendar_bases:
            calendar.base = self._calendar(self._calendar_bases.pop(uid))
        return calendar

    def _assignment_calendar(self, task_uid: int | None, resource_uid: int | None) -> Calendar:
        """The calendar MS Project schedules an assignment on (as MPXJ resolves it)."""
        task_calendar_uid, ignore_resource = self.task_calendars.get(task_uid or 0, (None, False))
        task_calendar = self._calendar(task_calendar_uid)
        resource_calendar = None
        if not ignore_resource and resource_uid in self.resource_calendars:
            resource_calendar = self._calendar(self.resource_calendars[resource_uid])
        if task_calendar is not None and resource_calendar is not None:
            return CombinedCalendar(task_calendar, resource_calendar)
        return (
            task_calendar
            or resource_calendar
            or self._calendar(parse_int(self.header.get("CalendarUID")))
            or default_calendar()
        )

    def _definition_rows(self, element: ET.Element) -> Iterator[tuple[str, Row]]:
        self._definition(element)
        return iter(())

    def project_row(self) -> Row:
        h = self.header
        return {
            "plan_id": self.plan_id,
            "source_file": str(self.path),
            "file_name": self.path.name,
            "project_code": self.project_code,
            "save_version": parse_int(h.get("SaveVersion")),
            "project_name": h.get("Name") or None,
            "project_title": h.get("Title") or None,
            "manager_name": h.get("Manager") or None,
            "author": h.get("Author") or None,
            "company": h.get("Company") or None,
            "status_date": _date_part(parse_datetime(h.get("StatusDate"))),
            "currency_code": h.get("CurrencyCode") or None,
            "currency_symbol": h.get("CurrencySymbol") or None,
            "start_at": parse_datetime(h.get("StartDate")),
            "finish_at": parse_datetime(h.get("FinishDate")),
            "creation_date": parse_datetime(h.get("CreationDate")),
            "last_saved_at": parse_datetime(h.get("LastSaved")),
            "minutes_per_day": parse_int(h.get("MinutesPerDay")),
            "minutes_per_week": parse_int(h.get("MinutesPerWeek")),
            "days_per_month": parse_int(h.get("DaysPerMonth")),
            "task_count": self.counts["tasks"],
            "resource_count": self.counts["resources"],
            "assignment_count": self.counts["assignments"],
        }

    def rows(self) -> Iterator[tuple[str, Row]]:
        depth = 0
        root: ET.Element | None = None
        container: ET.Element | None = None
        handlers: dict[tuple[str, str], Any] = {}
        # Only depth is tracked per event: this loop runs for every element of the file.
        with self.path.open("rb") as handle:
            for event, element in ET.iterparse(handle, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if depth == 2:
                        container = element
                    elif depth == 1:
                        root = element
                        handlers = self._handlers(element.tag)
                    continue
                depth -= 1
                if depth == 2:
                    assert container is not None
                    handler = handlers.get((container.tag, element.tag))
                    if handler is not None:
                        self._context = f"<{_local(element.tag)}> element"
                        yield from handler(element)
                    # Dropping the finished element keeps memory flat (no DOM accumulates).
                    container.remove(element)
                elif depth == 1:
                    assert root is not None
                    if len(element) == 0:
                        name = _local(element.tag)
                        self.header[name] = element.text or ""
                        if name == "MinutesPerDay":
                            self.minutes_per_day = parse_int(element.text) or 480
                    root.remove(element)
        yield "projects", self.project_row()


def parse_mspdi(
    path: str | Path,
    plan_id: str,
    *,
    project_code_alias: str = "Finance Project Code",
    project_code_field_id: int | None = None,
) -> Iterator[tuple[str, Row]]:
    """Stream ``(table, row)`` pairs out of one MSPDI file; the ``projects`` row comes last.

    Args:
        path: the MSPDI XML file.
        plan_id: the stable id of the file, stamped on every row.
        project_code_alias: alias of the custom field holding the finance project code (its
            value is read from the project summary task, UID 0).
        project_code_field_id: FieldID used when no definition has that alias.

    Raises:
        MspdiParseError: malformed XML (with line and column) or an unconvertible value (with
            the element and its UID).
    """
    parser = _PlanParser(Path(path), plan_id, project_code_alias, project_code_field_id)
    try:
        yield from parser.rows()
    except ET.ParseError as exc:
        line, column = exc.position
        raise MspdiParseError(path, f"malformed XML: {exc}", line, column) from None
    except _ValueProblem as exc:
        raise MspdiParseError(path, f"{parser._context}: {exc}") from None


def parse_mspdi_calendars(path: str | Path) -> dict[int, WorkCalendar]:
    """The working-time calendars of an MSPDI file by UID, base calendars resolved.

    The same calendars the parser spreads timephased work along (used by the MPXJ
    conformance test to compare working hours day by day).
    """
    parser = _PlanParser(Path(path), "calendars", "", None)
    try:
        for _ in parser.rows():
            pass
    except ET.ParseError as exc:
        line, column = exc.position
        raise MspdiParseError(path, f"malformed XML: {exc}", line, column) from None
    except _ValueProblem as exc:
        raise MspdiParseError(path, f"{parser._context}: {exc}") from None
    return {uid: calendar for uid in list(parser.calendars) if (calendar := parser._calendar(uid))}
