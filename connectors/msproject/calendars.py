"""Working-time calendars of a plan, and timephased work spread over days along them.

MS Project stores actual work as periods (``<TimephasedData>`` Start/Finish/Value). A day period
is written 08:00 -> next day 08:00: splitting by elapsed time would put part of Monday's work on
Tuesday, and a Monday-Friday rule would move Saturday work (on a calendar where Saturday works) to
Friday. Instead each period's work is spread in proportion to the *working* time of the
assignment's calendar inside it, per calendar day; a period with no working time at all is spread
by elapsed time. This is what MPXJ does (``TimephasedUtility.segmentWork``), so per-day values
equal MPXJ's ``getTimephasedActualWork`` over day ranges (the conformance test checks it).

MSPDI calendars: ``WeekDay`` DayType 1-7 (Sunday..Saturday) with ``WorkingTimes``; DayType 0 with a
``TimePeriod`` is an exception (Project 2007+ also writes its recurring ``Exceptions`` expanded
into DayType 0 entries, so those are read here and the ``Exceptions`` block is not needed); a day
that is not defined inherits from ``BaseCalendarUID``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

# (start minute, end minute) within one day; end 1440 = midnight at the end of the day.
Interval = tuple[int, int]

# The MSPDI default when a plan has no calendar at all: Monday-Friday 08:00-12:00, 13:00-17:00.
STANDARD_DAY: tuple[Interval, ...] = ((480, 720), (780, 1020))
# MSPDI DayType 1 = Sunday ... 7 = Saturday -> Python weekday (Monday = 0).
DAY_TYPE_TO_WEEKDAY = {1: 6, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 5}
_DAY = timedelta(days=1)


def _minute_of(value: time) -> int:
    return value.hour * 60 + value.minute


def parse_time_minutes(text: str, *, is_end: bool) -> int:
    """``08:00:00`` -> 480; an end time of ``00:00:00`` is midnight at the end of the day."""
    parts = text.strip().split(":")
    minutes = int(parts[0]) * 60 + int(parts[1])
    return 1440 if is_end and minutes == 0 else minutes


@dataclass
class WorkCalendar:
    """One calendar: working intervals per weekday and per exception date, with a base."""

    uid: int
    name: str | None = None
    weekdays: dict[int, tuple[Interval, ...]] = field(default_factory=dict)
    exceptions: dict[date, tuple[Interval, ...]] = field(default_factory=dict)
    base: WorkCalendar | None = None

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """Working intervals of ``day`` (exceptions first, then the week, then the base)."""
        calendar: WorkCalendar | None = self
        seen = 0
        while calendar is not None and seen < 32:  # a base-calendar cycle must not hang
            if day in calendar.exceptions:
                return calendar.exceptions[day]
            if day.weekday() in calendar.weekdays:
                return calendar.weekdays[day.weekday()]
            calendar = calendar.base
            seen += 1
        return STANDARD_DAY if day.weekday() < 5 else ()


@dataclass(frozen=True)
class CombinedCalendar:
    """Working time common to two calendars (a task calendar and a resource calendar)."""

    first: WorkCalendar | CombinedCalendar
    second: WorkCalendar | CombinedCalendar

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        result = []
        for a_start, a_end in self.first.day_intervals(day):
            for b_start, b_end in self.second.day_intervals(day):
                start, end = max(a_start, b_start), min(a_end, b_end)
                if start < end:
                    result.append((start, end))
        return tuple(sorted(result))


Calendar = WorkCalendar | CombinedCalendar


def default_calendar() -> WorkCalendar:
    """Monday-Friday 8 h (used when a plan names no calendar)."""
    return WorkCalendar(uid=-1, name="Standard", weekdays={d: STANDARD_DAY for d in range(5)})


def _overlap_minutes(intervals: Iterable[Interval], start: int, end: int) -> int:
    return sum(max(0, min(b, end) - max(a, start)) for a, b in intervals)


def working_minutes_by_day(
    calendar: Calendar, start: datetime, finish: datetime
) -> dict[date, int]:
    """Working minutes of ``calendar`` inside ``[start, finish)``, per calendar day."""
    result: dict[date, int] = {}
    day = start.date()
    while datetime.combine(day, time()) < finish:
        day_start = datetime.combine(day, time())
        lo = max(0, int((start - day_start).total_seconds() // 60))
        hi = min(1440, int((finish - day_start).total_seconds() // 60))
        if lo < hi:
            minutes = _overlap_minutes(calendar.day_intervals(day), lo, hi)
            if minutes:
                result[day] = minutes
        day += _DAY
    return result


def _elapsed_minutes_by_day(start: datetime, finish: datetime) -> dict[date, float]:
    result: dict[date, float] = {}
    day = start.date()
    while datetime.combine(day, time()) < finish:
        day_start = datetime.combine(day, time())
        lo = max(start, day_start)
        hi = min(finish, day_start + _DAY)
        if lo < hi:
            result[day] = (hi - lo).total_seconds() / 60
        day += _DAY
    return result


def spread_over_days(
    calendar: Calendar, start: datetime, finish: datetime, hours: float
) -> dict[date, float]:
    """``hours`` of work done in ``[start, finish)`` split per day along working time.

    A period with no working time (work done on a non-working day) keeps its work, spread by
    elapsed time; a zero-length period puts everything on its start day.
    """
    if finish <= start:
        return {start.date(): hours}
    weights: dict[date, float] = dict(working_minutes_by_day(calendar, start, finish))
    if not weights:
        weights = _elapsed_minutes_by_day(start, finish)
    total = sum(weights.values())
    return {day: hours * minutes / total for day, minutes in weights.items()}
