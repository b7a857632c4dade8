"""Timephased actual work spread over days along the plan's calendars (not elapsed time)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.msproject.calendars import (
    STANDARD_DAY,
    CombinedCalendar,
    WorkCalendar,
    default_calendar,
    spread_over_days,
)
from connectors.msproject.parser import parse_mspdi

# 2024-06-03 is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2024, 6, d) for d in range(3, 10))


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def _six_day_week() -> WorkCalendar:
    return WorkCalendar(uid=2, weekdays={**{d: STANDARD_DAY for d in range(5)}, 5: ((480, 840),)})


def test_day_period_from_8_to_8_belongs_to_its_working_day() -> None:
    # MS Project writes a day of actual work as 08:00 -> next day 08:00.
    assert spread_over_days(default_calendar(), _at(MON, 8), _at(TUE, 8), 8.0) == {MON: 8.0}


def test_saturday_work_stays_on_saturday_when_saturday_is_working() -> None:
    assert spread_over_days(_six_day_week(), _at(SAT, 8), _at(SUN, 8), 6.0) == {SAT: 6.0}
    spread = spread_over_days(_six_day_week(), _at(FRI, 8), _at(date(2024, 6, 10), 8), 14.0)
    assert spread == {FRI: 8.0, SAT: 6.0}


def test_exception_day_gets_no_work() -> None:
    calendar = default_calendar()
    calendar.exceptions[WED] = ()
    spread = spread_over_days(calendar, _at(TUE, 8), _at(THU, 17), 16.0)
    assert spread == {TUE: 8.0, THU: 8.0}


def test_work_on_a_non_working_day_is_kept_by_elapsed_time() -> None:
    assert spread_over_days(default_calendar(), _at(SUN, 10), _at(SUN, 14), 4.0) == {SUN: 4.0}


def test_combined_task_and_resource_calendar_is_their_common_time() -> None:
    mornings = WorkCalendar(uid=3, weekdays={d: ((480, 720),) for d in range(7)})
    combined = CombinedCalendar(_six_day_week(), mornings)
    assert combined.day_intervals(SAT) == ((480, 720),)
    assert combined.day_intervals(SUN) == ()


MSPDI = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
<Name>calendar.xml</Name><MinutesPerDay>480</MinutesPerDay><CalendarUID>1</CalendarUID>
<Calendars>
 <Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>
  <BaseCalendarUID>-1</BaseCalendarUID><WeekDays>
  <WeekDay><DayType>1</DayType><DayWorking>0</DayWorking></WeekDay>
  {weekdays}
  <WeekDay><DayType>7</DayType><DayWorking>1</DayWorking><WorkingTimes><WorkingTime>
   <FromTime>08:00:00</FromTime><ToTime>14:00:00</ToTime></WorkingTime></WorkingTimes></WeekDay>
  <WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod>
   <FromDate>2024-06-05T00:00:00</FromDate><ToDate>2024-06-05T23:59:00</ToDate></TimePeriod></WeekDay>
 </WeekDays></Calendar>
 <Calendar><UID>2</UID><Name>Res</Name><IsBaseCalendar>0</IsBaseCalendar>
  <BaseCalendarUID>1</BaseCalendarUID></Calendar>
</Calendars>
<Tasks>
 <Task><UID>0</UID><ID>0</ID><Name>calendar</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>
 <Task><UID>1</UID><ID>1</ID><IsNull>1</IsNull><OutlineLevel>0</OutlineLevel></Task>
 <Task><UID>2</UID><ID>2</ID><Name>Phase</Name><OutlineLevel>1</OutlineLevel><Summary>1</Summary></Task>
 <Task><UID>3</UID><ID>3</ID><IsNull>1</IsNull></Task>
 <Task><UID>4</UID><ID>4</ID><Name>Work</Name><OutlineLevel>2</OutlineLevel></Task>
</Tasks>
<Resources><Resource><UID>1</UID><ID>1</ID><Name>Ann</Name><Type>1</Type>
 <CalendarUID>2</CalendarUID></Resource></Resources>
<Assignments><Assignment><UID>1</UID><TaskUID>4</TaskUID><ResourceUID>1</ResourceUID>
 <ActualWork>PT30H0M0S</ActualWork>
 <TimephasedData><Type>2</Type><UID>1</UID><Start>2024-06-04T08:00:00</Start>
  <Finish>2024-06-05T08:00:00</Finish><Unit>2</Unit><Value>PT8H0M0S</Value></TimephasedData>
 <TimephasedData><Type>2</Type><UID>1</UID><Start>2024-06-05T08:00:00</Start>
  <Finish>2024-06-07T17:00:00</Finish><Unit>2</Unit><Value>PT16H0M0S</Value></TimephasedData>
 <TimephasedData><Type>2</Type><UID>1</UID><Start>2024-06-08T08:00:00</Start>
  <Finish>2024-06-09T08:00:00</Finish><Unit>2</Unit><Value>PT6H0M0S</Value></TimephasedData>
</Assignment></Assignments>
</Project>
"""
_WEEKDAY = (
    "<WeekDay><DayType>{n}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
    "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
    "<WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
    "</WorkingTimes></WeekDay>"
)


@pytest.fixture()
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.xml"
    weekdays = "".join(_WEEKDAY.format(n=n) for n in range(2, 7))
    path.write_text(MSPDI.replace("{weekdays}", weekdays), encoding="utf-8")
    return path


def test_mspdi_actuals_follow_the_resource_calendar_and_its_base(plan_file: Path) -> None:
    rows = list(parse_mspdi(plan_file, "p"))
    days = {r["work_date"]: r["actual_hours"] for t, r in rows if t == "timephased_actuals"}
    # Tue 8 h (not split over Tue/Wed); Wed is a holiday of the base calendar, so the 16 h of
    # Wed 08:00 -> Fri 17:00 land on Thu and Fri; Saturday works 6 h on this calendar.
    assert days == {TUE: 8.0, THU: 8.0, FRI: 8.0, SAT: 6.0}
    assert sum(days.values()) == 30.0


def test_blank_rows_are_not_tasks_and_not_parents(plan_file: Path) -> None:
    tasks = {r["task_uid"]: r for t, r in parse_mspdi(plan_file, "p") if t == "tasks"}
    assert sorted(tasks) == [0, 2, 4]
    assert tasks[2]["parent_task_uid"] == 0  # not the blank row UID 1 at level 0
    assert tasks[4]["parent_task_uid"] == 2
