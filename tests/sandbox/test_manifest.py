"""The manifest is ground truth: every planted fault names a record that exists in its system.

Key formats (from the generators):

- jira: project key (GV-10), version id (GV-04), ``<account id>|<yyyy-mm-dd>`` person days
  (TS-03, TS-11), worklog id (TS-04, TS-05), issue key (GV-08).
- planner: 28-character plan id (GV-10), task id (GV-05).
- msproject: plan file name (GV-10), ``<file name>|<task UID>`` (GV-04).
- finance: project code (GV-01/02/03/11), ``<vendor>|<invoice number>|<line>`` invoice lines,
  ``entry_id`` or ``<email>|<yyyy-mm-dd>`` timesheet entries, ``<file>:<line>`` CSV rows (DEF-xx).
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.jira.world import person_days, rederive_faults
from sandbox.microsoft.msproject_world import rederive_overdue_milestones
from sandbox.portfolio import Manifest, PlantedFault
from sandbox.world import World

NS = "{http://schemas.microsoft.com/project}"
PROJECT_CODE_FIELD_ID = "188743731"  # Text1, aliased "Finance Project Code"
# name -> (encoding, delimiter) of the CSV files that carry planted keys.
CSV_DIALECTS = {
    "projects.csv": ("utf-8-sig", ","),
    "invoices_2026h1.csv": ("cp1252", ";"),
    "invoices_2026h2.csv": ("cp1252", ";"),
    "timesheets_2026.csv": ("utf-8", ","),
    "invoices_expenses.csv": ("cp1252", ";"),
    "payments.csv": ("cp1252", ";"),
}
EXPECTED_KINDS = {
    ("finance", "csv_row"),
    ("finance", "invoice_line"),
    ("finance", "payment"),
    ("finance", "person_project_day"),
    ("finance", "project"),
    ("finance", "timesheet_entry"),
    ("jira", "issue"),
    ("jira", "person_day"),
    ("jira", "project"),
    ("jira", "version"),
    ("jira", "worklog"),
    ("msproject", "msproject_plan_check"),
    ("msproject", "person"),
    ("msproject", "project"),
    ("msproject", "task"),
    ("planner", "plan"),
    ("planner", "task"),
}


@dataclass
class Written:
    world: World
    directory: Path


def _write(tier: str, seed: int, directory: Path) -> Written:
    world = World.generate(tier, seed)
    world.write_files(directory)
    return Written(world, directory)


@pytest.fixture(scope="module")
def xs(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write("XS", 42, tmp_path_factory.mktemp("manifest-xs"))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write("S", 42, tmp_path_factory.mktemp("manifest-s"))


# --------------------------------------------------------------------------- per system


class FinanceFiles:
    """The written finance files, parsed just enough to look planted keys up."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lines: dict[str, list[str]] = {}
        for name, (encoding, _) in CSV_DIALECTS.items():
            self.lines[name] = (directory / name).read_text(encoding=encoding).splitlines()
        self.projects = {row["project_code"]: row for row in self._rows("projects.csv")}
        self.invoice_lines: set[str] = set()
        for name in ("invoices_2026h1.csv", "invoices_2026h2.csv", "invoices_expenses.csv"):
            for row in self._rows(name):
                if len(row) == 11 and row["Rechnungsnummer"]:
                    self.invoice_lines.add(
                        f"{row['Kreditor']}|{row['Rechnungsnummer']}|{row['Position']}"
                    )
        self.payments = {row["Zahlungsnummer"] for row in self._rows("payments.csv")}
        self.timesheet_entries: dict[str, dict[str, str]] = {}
        self.day_hours: dict[str, Decimal] = defaultdict(Decimal)
        self.person_project_days: set[str] = set()
        for row in self._rows("timesheets_2026.csv"):
            self.timesheet_entries[row["entry_id"]] = row
            try:
                day = datetime.strptime(row["date"], "%d/%m/%Y").date()
                hours = Decimal(row["hours"])
            except (ValueError, TypeError, ArithmeticError):
                continue  # the planted defect rows
            self.day_hours[f"{row['email']}|{day.isoformat()}"] += hours
            self.person_project_days.add(f"{row['email']}|{row['project']}|{day.isoformat()}")

    def _rows(self, name: str) -> list[dict[str, str]]:
        _, delimiter = CSV_DIALECTS[name]
        return list(
            csv.DictReader([line for line in self.lines[name] if line], delimiter=delimiter)
        )

    def fields(self, name: str, line: int) -> list[str]:
        return next(csv.reader([self.lines[name][line - 1]], delimiter=CSV_DIALECTS[name][1]))


def _finance_problem(fault: PlantedFault, files: FinanceFiles) -> str | None:
    key = fault.key
    if fault.entity == "project":
        row = files.projects.get(key)
        if row is None:
            return "project code not in projects.csv"
        if fault.rule_id == "GV-01" and row["manager_email"] and row["sponsor_email"]:
            return "project has both a manager and a sponsor"
        if fault.rule_id == "GV-02" and row["has_baseline"] != "false":
            return "project has a baseline"
        return None
    if fault.entity == "payment":
        return None if key in files.payments else "payment id not in payments.csv"
    if fault.entity == "invoice_line":
        return None if key in files.invoice_lines else "invoice line not in the invoice files"
    if fault.entity == "timesheet_entry":
        if "|" in key:
            hours = files.day_hours.get(key)
            if hours is None:
                return "person day not in timesheets_2026.csv"
            return None if hours > 8 else f"only {hours} h that day"
        return None if key in files.timesheet_entries else "entry_id not in timesheets_2026.csv"
    if fault.entity == "person_project_day":
        if key not in files.person_project_days:
            return "no timesheet entry for that person, project and day"
        return None
    if fault.entity == "csv_row":
        name, _, raw_line = key.rpartition(":")
        if name not in files.lines:
            return f"no such file {name}"
        line = int(raw_line)
        if not 1 < line <= len(files.lines[name]) or not files.lines[name][line - 1]:
            return "no such line"
        n_fields = len(files.fields(name, line))
        n_header = len(files.fields(name, 1))
        if (fault.rule_id == "DEF-03") != (n_fields != n_header):
            return f"{n_fields} fields, header has {n_header}"
        return None
    return f"no check for finance entity {fault.entity!r}"


def _jira_problem(fault: PlantedFault, world: World, days: dict[str, float]) -> str | None:
    jira = world.jira
    key = fault.key
    if fault.entity == "project":
        project = jira.project_by_key.get(key)
        if project is None:
            return "no such project"
        return None if project.project_code is None else "project is mapped"
    if fault.entity == "version":
        version = next((v for v in jira.versions if str(v.id) == key), None)
        if version is None:
            return "no such version"
        if version.released or version.release_date >= world.portfolio.as_of:
            return "version released or not yet due"
        return None
    if fault.entity == "person_day":
        hours = days.get(key)
        if hours is None:
            return "no worklogs on that person day"
        return None if hours > 8 else f"only {hours} h that day"
    if fault.entity == "worklog":
        worklog = jira.worklogs.get(int(key))
        if worklog is None:
            return "no such worklog"
        if fault.rule_id == "TS-04" and worklog.started_ms <= jira.now_ms:
            return "worklog not in the future"
        if fault.rule_id == "TS-05":
            project = jira.project_by_id[jira.issues[worklog.issue_id].project_id]
            if project.closed_ms is None:
                return "project of the worklog is not closed"
        return None
    if fault.entity == "issue":
        issue_id = jira.issue_by_key.get(key)
        if issue_id is None:
            return "no such issue"
        return None if jira.issues[issue_id].assignee is None else "issue has an assignee"
    return f"no check for jira entity {fault.entity!r}"


def _planner_problem(fault: PlantedFault, world: World) -> str | None:
    planner = world.planner
    if fault.entity == "plan":
        plan = planner.plans.get(fault.key)
        if plan is None:
            return "no such plan"
        return None if not plan["title"].startswith("[FIN-") else "plan title has a project code"
    if fault.entity == "task":
        task = planner.tasks.get(fault.key)
        if task is None:
            return "no such task"
        return None if task["percentComplete"] < 100 else "task is complete"
    return f"no check for planner entity {fault.entity!r}"


def _msproject_problem(fault: PlantedFault, directory: Path, world: World) -> str | None:
    if fault.entity == "person":  # CAP-01: an HR person who is a resource of some plan file
        emails = {
            (resource.findtext(f"{NS}EmailAddress") or "").lower()
            for plan in (directory / "msproject").glob("*.xml")
            for resource in ET.parse(plan).getroot().iter(f"{NS}Resource")  # noqa: S314
        }
        people = world.portfolio.people
        email = next((p.email.lower() for p in people if p.person_id == fault.key), None)
        return None if email in emails else "not an HR person who is an MS Project resource"
    file_name, _, uid = fault.key.partition("|")
    path = directory / "msproject" / file_name
    if not path.exists():
        return f"no plan file {file_name}"
    if fault.entity == "msproject_plan_check":  # GV-06: <file>|DCMA-nn
        return None if uid in {f"DCMA-{n:02d}" for n in range(1, 15)} else f"no check {uid}"
    tasks = {
        task.findtext(f"{NS}UID"): task
        for task in ET.parse(path).getroot().iter(f"{NS}Task")  # noqa: S314 - our own files
    }
    if fault.entity == "project":
        codes = [
            attribute.findtext(f"{NS}Value")
            for attribute in tasks["0"].iter(f"{NS}ExtendedAttribute")
            if attribute.findtext(f"{NS}FieldID") == PROJECT_CODE_FIELD_ID
        ]
        return None if not any(codes) else f"plan carries project code {codes}"
    if fault.entity == "task":
        task = tasks.get(uid)
        if task is None:
            return f"no task UID {uid}"
        if task.findtext(f"{NS}PercentComplete") == "100":
            return "task is done"
        if fault.rule_id == "GV-05":  # dates passed, state not: a leaf task, not a milestone
            return "task is a milestone" if task.findtext(f"{NS}Milestone") == "1" else None
        return None if task.findtext(f"{NS}Milestone") == "1" else "task is not a milestone"
    return f"no check for msproject entity {fault.entity!r}"


def _double_booking_problem(fault: PlantedFault, world: World) -> str | None:
    """TS-12: the same person must also have a Jira worklog on that project and day."""
    email, code, day = fault.key.split("|")
    account = next((p.jira_account_id for p in world.portfolio.people if p.email == email), None)
    project_ids = {p.id for p in world.jira.projects if p.project_code == code}
    for (author, logged_on), logs in person_days(world.jira).items():
        if author == account and logged_on.isoformat() == day:
            if any(world.jira.issues[w.issue_id].project_id in project_ids for w in logs):
                return None
    return "no Jira worklog by that person on that project and day"


def _problems(written: Written) -> list[str]:
    world = written.world
    files = FinanceFiles(written.directory / "finance")
    days = {
        f"{author}|{day.isoformat()}": sum(w.seconds for w in logs) / 3600
        for (author, day), logs in person_days(world.jira).items()
    }
    problems = []
    for fault in world.manifest.faults:
        if fault.system == "finance":
            problem = _finance_problem(fault, files)
            if problem is None and fault.entity == "person_project_day":
                problem = _double_booking_problem(fault, world)
        elif fault.system == "jira":
            problem = _jira_problem(fault, world, days)
        elif fault.system == "planner":
            problem = _planner_problem(fault, world)
        elif fault.system == "msproject":
            problem = _msproject_problem(fault, written.directory, world)
        else:
            problem = "unknown system"
        if problem:
            problems.append(f"{fault.rule_id} {fault.system}/{fault.entity} {fault.key}: {problem}")
    return problems


# --------------------------------------------------------------------------- tests


def test_every_planted_key_exists_in_its_system_xs(xs: Written) -> None:
    assert _problems(xs) == []
    kinds = {(f.system, f.entity) for f in xs.world.manifest.faults}
    assert kinds == EXPECTED_KINDS


@pytest.mark.slow
def test_every_planted_key_exists_in_its_system_s(small: Written) -> None:
    assert _problems(small) == []
    kinds = {(f.system, f.entity) for f in small.world.manifest.faults}
    assert kinds == EXPECTED_KINDS
    # S plants more than XS of the volume-scaled rules.
    assert len(small.world.manifest.by_rule("AP-08")) > 10
    assert len(small.world.manifest.by_rule("GV-05")) > 10


def test_the_checks_catch_a_key_that_does_not_exist(xs: Written) -> None:
    # Guard against checks that cannot fail: one bogus key per kind must be reported.
    bogus = {
        ("finance", "csv_row"): "invoices_2026h1.csv:999999",
        ("finance", "invoice_line"): "V9999|RE-9999-00001|1",
        ("finance", "payment"): "ZA-9999999",
        ("finance", "person_project_day"): "nobody@example.com|FIN-0000|2026-01-01",
        ("finance", "project"): "FIN-0000",
        ("finance", "timesheet_entry"): "TS-9999999",
        ("jira", "issue"): "NOPE-1",
        ("jira", "person_day"): "0000|2026-01-01",
        ("jira", "project"): "NOPE",
        ("jira", "version"): "1",
        ("jira", "worklog"): "1",
        ("msproject", "msproject_plan_check"): f"{xs.world.msproject[0].file_name}|DCMA-99",
        ("msproject", "person"): "P99999",
        ("msproject", "project"): "missing.xml",
        ("msproject", "task"): f"{xs.world.msproject[0].file_name}|999999",
        ("planner", "plan"): "x" * 28,
        ("planner", "task"): "y" * 28,
    }
    assert set(bogus) == EXPECTED_KINDS
    manifest = xs.world.manifest
    saved = list(manifest.faults)
    try:
        manifest.faults[:] = [
            PlantedFault("GV-99", system, entity, key) for (system, entity), key in bogus.items()
        ]
        assert len(_problems(xs)) == len(bogus)
    finally:
        manifest.faults[:] = saved


def test_manifest_is_deterministic_per_seed(xs: Written, tmp_path: Path) -> None:
    again = _write("XS", 42, tmp_path / "again").world.manifest.to_dict()
    assert again == xs.world.manifest.to_dict()
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (
        xs.directory / "manifest.json"
    ).read_bytes()
    other = _write("XS", 43, tmp_path / "other").world.manifest.to_dict()
    assert other != again
    assert {f["key"] for f in other["faults"]} != {f["key"] for f in again["faults"]}


def test_writing_files_twice_does_not_double_the_ground_truth(xs: Written, tmp_path: Path) -> None:
    before = xs.world.manifest.to_dict()
    xs.world.write_files(tmp_path / "second", remember=False)
    assert xs.world.manifest.to_dict() == before


def test_finance_and_planner_faults_hold_after_a_tick(tmp_path: Path) -> None:
    # Finance files are rewritten with the new as-of date and their faults re-planted; planted
    # Planner tasks are never edited by a tick.
    written = _write("XS", 42, tmp_path)
    before = {f for f in written.world.manifest.faults if f.system == "finance"}
    written.world.tick(3)
    after = {f for f in written.world.manifest.faults if f.system == "finance"}
    assert after != before  # the rewrite really re-planted under the new date
    problems = [p for p in _problems(written) if " finance/" in p or " planner/" in p]
    assert problems == []


@pytest.mark.parametrize("seed", [42, 7, 11])
def test_every_fault_holds_after_several_ticks(seed: int, tmp_path: Path) -> None:
    # A tick deletes and edits worklogs, passes future-dated ones and release dates, reassigns
    # RAID items and completes milestones: Jira and MS Project faults are re-derived each day.
    written = _write("XS", seed, tmp_path / "world")
    manifest = written.world.manifest
    before = {(f.system, f.rule_id, f.key) for f in manifest.faults}
    written.world.tick(5)
    assert _problems(written) == []
    kinds = {(f.system, f.entity) for f in manifest.faults}
    # Open projects now run within their approved schedule (issue 10), so after five days a
    # small world may have completed its last overdue MS Project milestone: that kind may go.
    assert EXPECTED_KINDS - {("msproject", "task")} <= kinds <= EXPECTED_KINDS
    after = {(f.system, f.rule_id, f.key) for f in manifest.faults}
    # Something was retracted (a future worklog the clock passed, at the least) and re-derived.
    assert {f for f in before - after if f[0] == "jira"}
    assert {f for f in after - before if f[0] == "jira"}
    assert len(manifest.faults) == len(set(manifest.faults))
    # Same seed, same ticks: the same manifest.
    again = _write("XS", seed, tmp_path / "again")
    again.world.tick(5)
    assert again.world.manifest.to_dict() == manifest.to_dict()
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (
        tmp_path / "world" / "manifest.json"
    ).read_bytes()
    # The tick's incremental re-derivation equals a full one.
    rederive_faults(written.world.jira)
    assert manifest.to_dict() == again.world.manifest.to_dict()


def test_rederiving_an_untouched_world_changes_nothing(xs: Written) -> None:
    before = xs.world.manifest.to_dict()
    rederive_faults(xs.world.jira)
    rederive_overdue_milestones(xs.world.msproject, xs.world.manifest, xs.world.portfolio.as_of)
    assert xs.world.manifest.to_dict() == before


def test_retract_drops_one_fault_and_allows_replanting() -> None:
    manifest = Manifest()
    manifest.plant("TS-04", "jira", "worklog", "1")
    manifest.plant("GV-10", "jira", "project", "X")
    manifest.plant("TS-04", "jira", "worklog", "2")
    manifest.retract("TS-04", "jira", "1")
    assert [f.key for f in manifest.faults] == ["X", "2"]
    manifest.retract("TS-04", "jira", "1")  # retracting what is not listed is a no-op
    assert [f.key for f in manifest.faults] == ["X", "2"]
    manifest.plant("TS-04", "jira", "worklog", "1")
    manifest.plant("TS-04", "jira", "worklog", "1")
    assert [f.key for f in manifest.faults] == ["X", "2", "1"]
