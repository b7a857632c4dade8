"""The streaming MSPDI parser on hand-written files: units, structure and errors."""

from __future__ import annotations

import collections
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.msproject.parser import (
    MspdiParseError,
    parse_duration_hours,
    parse_money,
    parse_mspdi,
)

SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <SaveVersion>14</SaveVersion>
  <Name>small.xml</Name>
  <Title>Small &amp; Co</Title>
  <Manager>Ada Berg</Manager>
  <StartDate>2026-01-05T08:00:00</StartDate>
  <FinishDate>2026-01-16T17:00:00</FinishDate>
  <CurrencyCode>EUR</CurrencyCode>
  <MinutesPerDay>480</MinutesPerDay>
  <StatusDate>2026-01-09T17:00:00</StatusDate>
  <ExtendedAttributes>
    <ExtendedAttribute><FieldID>188743731</FieldID><FieldName>Text1</FieldName>
      <Alias>Finance Project Code</Alias></ExtendedAttribute>
  </ExtendedAttributes>
  <Calendars><Calendar><UID>1</UID><Name>Standard</Name></Calendar></Calendars>
  <Tasks>
    <Task><UID>0</UID><ID>0</ID><Name>Small</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary>
      <ExtendedAttribute><FieldID>188743731</FieldID><Value>FIN-1234</Value></ExtendedAttribute>
    </Task>
    <Task><UID>7</UID><ID>1</ID><Name>Phase</Name><WBS>1</WBS><OutlineNumber>1</OutlineNumber>
      <OutlineLevel>1</OutlineLevel><Summary>1</Summary></Task>
    <Task><UID>9</UID><ID>2</ID><Name>Build</Name><WBS>1.1</WBS><OutlineNumber>1.1</OutlineNumber>
      <OutlineLevel>2</OutlineLevel><Duration>PT8H30M0S</Duration><Work>PT400H0M0S</Work>
      <Cost>352625</Cost><ActualCost>100050</ActualCost><PercentComplete>40</PercentComplete>
      <Critical>1</Critical><TotalSlack>4800</TotalSlack>
      <Start>2026-01-05T08:00:00</Start><Finish>2026-01-16T17:00:00</Finish>
      <PredecessorLink><PredecessorUID>8</PredecessorUID><Type>3</Type><LinkLag>9600</LinkLag>
        <LagFormat>7</LagFormat></PredecessorLink>
      <Baseline><Number>0</Number><Start>2026-01-05T08:00:00</Start>
        <Finish>2026-01-14T17:00:00</Finish><Work>PT320H0M0S</Work><Cost>250000</Cost></Baseline>
      <Baseline><Number>1</Number><Finish>2026-01-12T17:00:00</Finish><Cost>1</Cost></Baseline>
    </Task>
    <Task><UID>8</UID><ID>3</ID><Name>Gate</Name><OutlineLevel>2</OutlineLevel>
      <Milestone>1</Milestone><Duration>PT0H0M0S</Duration></Task>
  </Tasks>
  <Resources>
    <Resource><UID>3</UID><ID>1</ID><Name>Ada Berg</Name><Type>1</Type>
      <EmailAddress>ada.berg@example.com</EmailAddress><MaxUnits>0.50</MaxUnits>
      <StandardRate>85</StandardRate><CostPerUse>1250</CostPerUse></Resource>
    <Resource><UID>4</UID><ID>2</ID><Name>Licences</Name><Type>0</Type></Resource>
  </Resources>
  <Assignments>
    <Assignment><UID>11</UID><TaskUID>9</TaskUID><ResourceUID>3</ResourceUID><Units>0.5</Units>
      <Work>PT400H0M0S</Work><ActualWork>PT20H0M0S</ActualWork><Cost>352625</Cost>
      <TimephasedData><Type>2</Type><UID>11</UID><Start>2026-01-05T08:00:00</Start>
        <Finish>2026-01-05T17:00:00</Finish><Unit>2</Unit><Value>PT8H0M0S</Value></TimephasedData>
      <TimephasedData><Type>2</Type><UID>11</UID><Start>2026-01-08T00:00:00</Start>
        <Finish>2026-01-13T00:00:00</Finish><Unit>2</Unit><Value>PT12H0M0S</Value></TimephasedData>
      <TimephasedData><Type>1</Type><UID>11</UID><Start>2026-01-14T00:00:00</Start>
        <Finish>2026-01-15T00:00:00</Finish><Unit>2</Unit><Value>PT8H0M0S</Value></TimephasedData>
    </Assignment>
    <Assignment><UID>12</UID><TaskUID>8</TaskUID><ResourceUID>-65535</ResourceUID>
      <Work>PT0H0M0S</Work></Assignment>
  </Assignments>
</Project>
"""


def _parse(tmp_path: Path, text: str, name: str = "small.xml") -> dict[str, list[dict]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    tables: dict[str, list[dict]] = collections.defaultdict(list)
    for table, row in parse_mspdi(path, "plan-1"):
        tables[table].append(row)
    return tables


def test_units_are_converted(tmp_path: Path) -> None:
    tables = _parse(tmp_path, SMALL)
    task = next(t for t in tables["tasks"] if t["task_uid"] == 9)
    assert task["cost"] == Decimal("3526.25")
    assert task["actual_cost"] == Decimal("1000.50")
    assert task["duration_hours"] == 8.5
    assert task["work_hours"] == 400.0
    assert task["total_slack_minutes"] == 480.0
    assert task["baseline_cost"] == Decimal("2500")
    assert task["baseline_work_hours"] == 320.0
    assert task["baseline_finish_at"] == datetime(2026, 1, 14, 17, 0)
    assert task["is_critical"] is True and task["percent_complete"] == 40
    assert task["parent_task_uid"] == 7 and task["outline_level"] == 2
    (link,) = tables["predecessor_links"]
    assert (link["task_uid"], link["predecessor_uid"], link["link_type"]) == (9, 8, "SS")
    assert link["lag_minutes"] == 960.0
    resource = tables["resources"][0]
    assert resource["max_units"] == 0.5
    assert resource["standard_rate"] == Decimal("85")
    assert resource["cost_per_use"] == Decimal("12.50")
    assert resource["email"] == "ada.berg@example.com"
    assert [r["resource_type"] for r in tables["resources"]] == ["work", "material"]


def test_project_row_and_code(tmp_path: Path) -> None:
    (project,) = _parse(tmp_path, SMALL)["projects"]
    assert project["project_code"] == "FIN-1234"
    assert project["project_title"] == "Small & Co"
    assert project["manager_name"] == "Ada Berg"
    assert project["status_date"] == date(2026, 1, 9)
    assert (project["task_count"], project["resource_count"], project["assignment_count"]) == (
        4,
        2,
        2,
    )
    no_code = SMALL.replace("<Alias>Finance Project Code</Alias>", "<Alias>Other</Alias>")
    (project,) = _parse(tmp_path, no_code, "other.xml")["projects"]
    assert project["project_code"] is None


def test_baselines_and_assignments(tmp_path: Path) -> None:
    tables = _parse(tmp_path, SMALL)
    assert sorted((b["entity"], b["uid"], b["baseline_number"]) for b in tables["baselines"]) == [
        ("task", 9, 0),
        ("task", 9, 1),
    ]
    unassigned = next(a for a in tables["assignments"] if a["assignment_uid"] == 12)
    assert unassigned["is_unassigned"] is True and unassigned["resource_uid"] == -65535
    assigned = next(a for a in tables["assignments"] if a["assignment_uid"] == 11)
    assert (assigned["work_hours"], assigned["actual_work_hours"]) == (400.0, 20.0)


def test_timephased_actual_work_per_day(tmp_path: Path) -> None:
    rows = _parse(tmp_path, SMALL)["timephased_actuals"]
    # Type 1 (remaining work) is ignored; the 12 h period Thu..Mon spreads over its 3 weekdays.
    assert [(r["work_date"], r["actual_hours"]) for r in rows] == [
        (date(2026, 1, 5), 8.0),
        (date(2026, 1, 8), 4.0),
        (date(2026, 1, 9), 4.0),
        (date(2026, 1, 12), 4.0),
    ]
    assert {r["assignment_uid"] for r in rows} == {11}


def test_durations() -> None:
    assert parse_duration_hours("PT8H0M0S") == 8.0
    assert parse_duration_hours("PT0H30M0S") == 0.5
    assert parse_duration_hours("P1DT2H0M0S") == 10.0
    assert parse_duration_hours("-PT4H0M0S") == -4.0
    assert parse_duration_hours("") is None


def test_malformed_xml_names_file_and_position(tmp_path: Path) -> None:
    broken = SMALL.replace("<Name>Gate</Name>", "<Name>Gate</Nme>")
    with pytest.raises(MspdiParseError) as caught:
        _parse(tmp_path, broken, "broken.xml")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "</Nme>" in text)
    assert caught.value.line == line
    assert caught.value.column is not None
    assert "broken.xml" in str(caught.value) and f"line {line}" in str(caught.value)


def test_bad_value_names_element(tmp_path: Path) -> None:
    bad = SMALL.replace("<Cost>352625</Cost><ActualCost>", "<Cost>12,50</Cost><ActualCost>")
    with pytest.raises(MspdiParseError, match=r"bad\.xml: Task UID 9: '12,50' is not a number"):
        _parse(tmp_path, bad, "bad.xml")


def test_duplicate_uid_and_wrong_root(tmp_path: Path) -> None:
    duplicate = SMALL.replace("<UID>8</UID><ID>3</ID>", "<UID>9</UID><ID>3</ID>")
    with pytest.raises(MspdiParseError, match="duplicate Task UID 9"):
        _parse(tmp_path, duplicate, "dup.xml")
    with pytest.raises(MspdiParseError, match="root element is <Workbook>"):
        _parse(tmp_path, "<Workbook><Sheet/></Workbook>", "wrong.xml")


def test_money_units_and_limits() -> None:
    assert parse_money("352625") == Decimal("3526.25")
    assert parse_money("-1250") == Decimal("-12.50")
    assert parse_money("12.5") == Decimal("0.125")  # sub-cent values keep 4 decimals
    with pytest.raises(ValueError, match="too large"):
        parse_money("9" * 40)
    with pytest.raises(ValueError, match="not a number"):
        parse_money("NaN")
