"""MPXJ's own reading of a plan file, and its comparison with what the connector produces.

The reference side asks MPXJ (``UniversalProjectReader``, the reference open-source reader of
MS Project files) for tasks, baselines, assignments, links, resources, calendars and timephased
actual work, through its public getters; the connector side is exactly what the connector
spools for the file (``parse_mspdi`` for MSPDI XML, ``read_mpp`` for ``.mpp``). Differences come
back as ``Difference`` records; the test matches them against the listed, justified ones in
``conformance_known_differences.toml``.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.msproject.mpp import (
    actual_work_by_day,
    day_ranges,
    read_mpp,
    read_project,
    start_jvm,
    to_datetime,
    to_decimal,
    to_float,
    to_hours,
    to_int,
    to_text,
)
from connectors.msproject.parser import parse_mspdi, parse_mspdi_calendars

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_ENV = "PMO_HUB_MPXJ_CORPUS"
DEFAULT_CORPUS = Path("..") / "shared" / "corpora" / "mpxj"
KNOWN_DIFFERENCES_FILE = Path(__file__).with_name("conformance_known_differences.toml")
HOURS_TOLERANCE = 0.01
MONEY_TOLERANCE = 0.01
# Calendars are compared day by day over the plan's span, capped (some plans run decades).
CALENDAR_DAYS_CAP = 800


def corpus_dir() -> Path:
    """The corpus folder: ``$PMO_HUB_MPXJ_CORPUS`` or ``../shared/corpora/mpxj`` from the repo."""
    configured = os.environ.get(CORPUS_ENV)
    path = Path(configured) if configured else REPO_ROOT / DEFAULT_CORPUS
    return path.resolve()


def missing_corpus_message(path: Path) -> str:
    return (
        f"the MPXJ corpus of real MS Project files is missing at {path}: put MPXJ's test data "
        f"there (137 MSPDI .xml + 297 .mpp files from https://github.com/joniles/mpxj, see "
        f"../shared/corpora/README.md) or point {CORPUS_ENV} at the folder that holds them"
    )


def require_corpus() -> Path:
    """The corpus folder; a missing or empty one FAILS the calling test, saying where to put it."""
    import pytest

    root = corpus_dir()
    if not root.is_dir() or not corpus_files(root):
        pytest.fail(missing_corpus_message(root))
    return root


def corpus_files(root: Path) -> list[Path]:
    """Every plan file of the corpus, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in (".xml", ".mpp"))


@dataclass(frozen=True)
class Difference:
    """One value where the connector and MPXJ disagree."""

    file: str  # relative to the corpus
    table: str
    key: str
    field: str
    connector: Any
    mpxj: Any

    def __str__(self) -> str:
        return (
            f"{self.file} {self.table}[{self.key}].{self.field}: "
            f"connector={self.connector!r} mpxj={self.mpxj!r}"
        )


@dataclass
class KnownDifference:
    """A listed difference: file glob, table, field (glob), and why it is justified."""

    files: str
    table: str
    field: str
    reason: str
    matched: int = 0

    def matches(self, difference: Difference) -> bool:
        return (
            fnmatch.fnmatch(difference.file, self.files)
            and fnmatch.fnmatch(difference.table, self.table)
            and fnmatch.fnmatch(difference.field, self.field)
        )


def load_known_differences(path: Path = KNOWN_DIFFERENCES_FILE) -> list[KnownDifference]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = []
    for entry in data.get("difference", []):
        if not entry.get("reason", "").strip():
            raise ValueError(f"{path}: every listed difference needs a reason: {entry}")
        known.append(
            KnownDifference(entry["files"], entry["table"], entry["field"], entry["reason"])
        )
    return known


@dataclass
class Counts:
    """What was compared and found equal, for the closing note."""

    files: int = 0
    mspdi_files: int = 0
    mpp_files: int = 0
    unreadable_by_mpxj: list[str] = field(default_factory=list)
    values: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    equal: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Counts) -> None:
        self.files += other.files
        self.mspdi_files += other.mspdi_files
        self.mpp_files += other.mpp_files
        self.unreadable_by_mpxj += other.unreadable_by_mpxj
        for key, value in other.values.items():
            self.values[key] += value
        for key, value in other.equal.items():
            self.equal[key] += value

    def summary(self) -> str:
        parts = [
            f"{self.files} files ({self.mspdi_files} MSPDI, {self.mpp_files} .mpp)",
            *(
                f"{name}: {self.equal[name]}/{self.values[name]} equal"
                for name in sorted(self.values)
            ),
        ]
        if self.unreadable_by_mpxj:
            parts.append(f"not readable by MPXJ either: {len(self.unreadable_by_mpxj)}")
        return "; ".join(parts)


# --------------------------------------------------------------------------- the two readings


def connector_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The rows the connector produces for one file, per table."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    read = read_mpp if path.suffix.lower() == ".mpp" else parse_mspdi
    for table, row in read(path, "conformance"):
        rows[table].append(row)
    return rows


def _baseline(entity: Any, name: str, number: int) -> Any:
    getter = getattr(entity, f"getBaseline{name}")
    return getter() if number == 0 else getter(number)


def mpxj_reading(project: Any) -> dict[str, Any]:
    """MPXJ's values for one project, keyed like the connector's rows."""
    props = project.getProjectProperties()
    tasks: dict[int, dict[str, Any]] = {}
    baselines: dict[tuple[int, int], dict[str, Any]] = {}
    links: dict[tuple[int, int, str], float] = {}
    for task in project.getTasks():
        if task.getNull() or task.getUniqueID() is None:
            continue
        uid = to_int(task.getUniqueID())
        parent = task.getParentTask()
        tasks[uid] = {
            "task_id": to_int(task.getID()),
            "task_name": to_text(task.getName()),
            "outline_level": to_int(task.getOutlineLevel()),
            "parent_task_uid": to_int(parent.getUniqueID()) if parent is not None else None,
            "is_summary": bool(task.getSummary()),
            "is_milestone": bool(task.getMilestone()),
            "start_at": to_datetime(task.getStart()),
            "finish_at": to_datetime(task.getFinish()),
            "duration_hours": to_hours(task.getDuration(), props),
            "work_hours": to_hours(task.getWork(), props),
            "actual_work_hours": to_hours(task.getActualWork(), props),
            "cost": to_decimal(task.getCost()),
            "actual_cost": to_decimal(task.getActualCost()),
            "percent_complete": to_int(task.getPercentageComplete()),
        }
        for number in range(11):
            start = _baseline(task, "Start", number)
            finish = _baseline(task, "Finish", number)
            if start is None and finish is None:
                continue
            baselines[(uid, number)] = {
                "start_at": to_datetime(start),
                "finish_at": to_datetime(finish),
                "work_hours": to_hours(_baseline(task, "Work", number), props),
                "cost": to_decimal(_baseline(task, "Cost", number)),
            }
        for relation in task.getPredecessors():
            predecessor = relation.getPredecessorTask()
            if predecessor is None:
                continue
            key = (uid, to_int(predecessor.getUniqueID()), str(relation.getType().name()))
            links[key] = (to_hours(relation.getLag(), props) or 0.0) * 60
    resources: dict[int, dict[str, Any]] = {}
    for resource in project.getResources():
        if resource.getUniqueID() is None:
            continue
        max_units = to_float(resource.getMaxUnits())
        resources[to_int(resource.getUniqueID())] = {
            "resource_name": to_text(resource.getName()),
            "resource_type": str(resource.getType().name()).lower()
            if resource.getType() is not None
            else None,
            "max_units": None if max_units is None else max_units / 100,
            "cost": to_decimal(resource.getCost()),
            "work_hours": to_hours(resource.getWork(), props),
        }
    assignments: dict[int, dict[str, Any]] = {}
    per_day: dict[tuple[int, date], float] = {}
    regular_per_day: dict[tuple[int, date], float] = {}
    for assignment in project.getResourceAssignments():
        uid = to_int(assignment.getUniqueID())
        if uid is None:
            continue
        task = assignment.getTask()
        if task is not None and task.getNull():
            continue
        assignments[uid] = {
            "task_uid": to_int(assignment.getTaskUniqueID()),
            "resource_uid": to_int(assignment.getResourceUniqueID()),
            "work_hours": to_hours(assignment.getWork(), props),
            "actual_work_hours": to_hours(assignment.getActualWork(), props),
            "cost": to_decimal(assignment.getCost()),
        }
        for day, hours in actual_work_by_day(assignment).items():
            per_day[(uid, day)] = hours
        regular_per_day.update(
            {(uid, day): hours for day, hours in _regular_actual_by_day(assignment).items()}
        )
    return {
        "tasks": tasks,
        "baselines": baselines,
        "links": links,
        "resources": resources,
        "assignments": assignments,
        "timephased": per_day,
        "timephased_regular": regular_per_day,
    }


def _regular_actual_by_day(assignment: Any) -> dict[date, float]:
    """MPXJ's actual *regular* work per calendar day (what MSPDIWriter puts in Type 2)."""
    from org.mpxj import TimeUnit  # type: ignore[import-not-found]

    items = list(assignment.getRawTimephasedActualRegularWork() or [])
    if not items:
        return {}
    first = min(to_datetime(i.getStart()) for i in items).date()
    last = (max(to_datetime(i.getFinish()) for i in items) - timedelta(microseconds=1)).date()
    values = assignment.getTimephasedActualRegularWork(day_ranges(first, last), TimeUnit.HOURS)
    result = {}
    for offset, value in enumerate(values):
        hours = 0.0 if value is None else float(value.getDuration())
        if hours != 0:
            result[first + timedelta(days=offset)] = hours
    return result


def _mpxj_day_hours(calendar: Any, day: date) -> float:
    from java.time import LocalDate  # type: ignore[import-not-found]
    from org.mpxj import TimeUnit  # type: ignore[import-not-found]

    work = calendar.getWork(LocalDate.of(day.year, day.month, day.day), TimeUnit.HOURS)
    return float(work.getDuration()) if work is not None else 0.0


# --------------------------------------------------------------------------- comparison


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= HOURS_TOLERANCE
    if hasattr(a, "as_tuple") or hasattr(b, "as_tuple"):  # Decimal money
        return abs(float(a) - float(b)) <= MONEY_TOLERANCE
    return a == b


class _Comparer:
    def __init__(self, relative: str, counts: Counts) -> None:
        self.relative = relative
        self.counts = counts
        self.differences: list[Difference] = []

    def value(self, table: str, key: Any, name: str, ours: Any, theirs: Any) -> None:
        self.counts.values[table] += 1
        if _equal(ours, theirs):
            self.counts.equal[table] += 1
        else:
            self.differences.append(Difference(self.relative, table, str(key), name, ours, theirs))

    def keys(self, table: str, ours: set[Any], theirs: set[Any]) -> None:
        """Row presence: every row on one side must exist on the other."""
        for key in sorted(ours - theirs, key=str):
            self.differences.append(
                Difference(self.relative, table, str(key), "row", "present", None)
            )
        for key in sorted(theirs - ours, key=str):
            self.differences.append(
                Difference(self.relative, table, str(key), "row", None, "present")
            )
        self.counts.values[f"{table} rows"] += len(ours | theirs)
        self.counts.equal[f"{table} rows"] += len(ours & theirs)


def compare_file(path: Path, root: Path) -> tuple[list[Difference], Counts]:
    """Compare the connector's rows for ``path`` with MPXJ's reading of the same file."""
    start_jvm()
    relative = path.relative_to(root).as_posix()
    counts = Counts(files=1)
    is_mpp = path.suffix.lower() == ".mpp"
    counts.mpp_files, counts.mspdi_files = (1, 0) if is_mpp else (0, 1)
    cmp = _Comparer(relative, counts)
    try:
        project = read_project(path)
    except Exception as exc:  # MPXJ itself cannot read it: the connector must fail it too
        counts.unreadable_by_mpxj.append(relative)
        try:
            connector_rows(path)
        except Exception:
            return cmp.differences, counts
        cmp.differences.append(Difference(relative, "file", "-", "readable", True, str(exc)))
        return cmp.differences, counts
    try:
        rows = connector_rows(path)
    except Exception as exc:
        cmp.differences.append(Difference(relative, "file", "-", "readable", str(exc), True))
        return cmp.differences, counts
    ref = mpxj_reading(project)

    ours_tasks = {r["task_uid"]: r for r in rows["tasks"]}
    cmp.keys("tasks", set(ours_tasks), set(ref["tasks"]))
    for uid in sorted(set(ours_tasks) & set(ref["tasks"])):
        for name, theirs in ref["tasks"][uid].items():
            cmp.value("tasks", uid, name, ours_tasks[uid].get(name), theirs)

    ours_baselines = {
        (r["uid"], r["baseline_number"]): r
        for r in rows["baselines"]
        if r["entity"] == "task" and (r["start_at"] is not None or r["finish_at"] is not None)
    }
    cmp.keys("task baselines", set(ours_baselines), set(ref["baselines"]))
    for key in sorted(set(ours_baselines) & set(ref["baselines"])):
        for name, theirs in ref["baselines"][key].items():
            cmp.value("task baselines", key, name, ours_baselines[key].get(name), theirs)

    ours_links = {
        (r["task_uid"], r["predecessor_uid"], _relation_name(r["link_type"])): r["lag_minutes"]
        for r in rows["predecessor_links"]
    }
    cmp.keys("links", set(ours_links), set(ref["links"]))
    for key in sorted(set(ours_links) & set(ref["links"]), key=str):
        cmp.value("links", key, "lag_minutes", ours_links[key], ref["links"][key])

    ours_resources = {r["resource_uid"]: r for r in rows["resources"]}
    cmp.keys("resources", set(ours_resources), set(ref["resources"]))
    for uid in sorted(set(ours_resources) & set(ref["resources"])):
        for name, theirs in ref["resources"][uid].items():
            cmp.value("resources", uid, name, ours_resources[uid].get(name), theirs)

    ours_assignments = {r["assignment_uid"]: r for r in rows["assignments"]}
    cmp.keys("assignments", set(ours_assignments), set(ref["assignments"]))
    for uid in sorted(set(ours_assignments) & set(ref["assignments"])):
        for name, theirs in ref["assignments"][uid].items():
            ours = ours_assignments[uid].get(name)
            if name == "resource_uid" and ours == -65535 and theirs is None:
                theirs = ours  # MPXJ's "no resource" is MS Project's -65535 placeholder
            cmp.value("assignments", uid, name, ours, theirs)

    ours_days = {
        (r["assignment_uid"], r["work_date"]): r["actual_hours"] for r in rows["timephased_actuals"]
    }
    cmp.keys("timephased days", set(ours_days), set(ref["timephased"]))
    for key in sorted(set(ours_days) & set(ref["timephased"]), key=str):
        cmp.value("timephased days", key, "actual_hours", ours_days[key], ref["timephased"][key])

    if not is_mpp:
        _compare_calendars(cmp, path, project, rows)
    elif ref["timephased_regular"]:
        _compare_mspdi_spread(cmp, project, ref["timephased_regular"])
    return cmp.differences, counts


def _compare_mspdi_spread(cmp: _Comparer, project: Any, expected: dict[Any, float]) -> None:
    """The MSPDI path's calendar spreading on the real timephased data of an ``.mpp``.

    The corpus' MSPDI files hold few actuals (57 days), its ``.mpp`` files many: MPXJ writes the
    ``.mpp`` as MSPDI (timephased data on, with the file's calendars), the connector's MSPDI
    parser reads that back, and its per-day values must equal MPXJ's per-day split of the
    ``.mpp``. MSPDIWriter puts actual *regular* work into TimephasedData Type 2 (MS Project puts
    the total there, overtime included), so the comparison is with MPXJ's regular work.
    """
    from org.mpxj.mspdi import MSPDIWriter  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory(prefix="pmo_mpxj_") as folder:
        target = Path(folder) / "roundtrip.xml"
        writer = MSPDIWriter()
        writer.setWriteTimephasedData(True)
        writer.write(project, str(target))
        ours = {
            (r["assignment_uid"], r["work_date"]): r["actual_hours"]
            for table, r in parse_mspdi(target, "roundtrip")
            if table == "timephased_actuals"
        }
    table = "timephased days (.mpp via MSPDI)"
    cmp.keys(table, set(ours), set(expected))
    for key in sorted(set(ours) & set(expected), key=str):
        cmp.value(table, key, "actual_hours", ours[key], expected[key])


def _relation_name(code: str | None) -> str:
    return {
        "FF": "FINISH_FINISH",
        "FS": "FINISH_START",
        "SF": "START_FINISH",
        "SS": "START_START",
    }.get(code or "", str(code))


def _compare_calendars(cmp: _Comparer, path: Path, project: Any, rows: dict[str, Any]) -> None:
    """Working hours per day of every MSPDI calendar, ours against MPXJ's, over the plan span."""
    ours = parse_mspdi_calendars(path)
    theirs = {
        to_int(c.getUniqueID()): c for c in project.getCalendars() if c.getUniqueID() is not None
    }
    cmp.keys("calendars", set(ours), set(theirs))
    project_row = rows["projects"][0] if rows.get("projects") else {}
    start: datetime | None = project_row.get("start_at")
    finish: datetime | None = project_row.get("finish_at")
    if start is None:
        return
    first = start.date() - timedelta(days=7)
    last = min(
        (finish or start).date() + timedelta(days=7), first + timedelta(days=CALENDAR_DAYS_CAP)
    )
    for uid in sorted(set(ours) & set(theirs)):
        day = first
        while day <= last:
            minutes = sum(b - a for a, b in ours[uid].day_intervals(day))
            cmp.value(
                "calendar days",
                (uid, day),
                "working_hours",
                minutes / 60,
                _mpxj_day_hours(theirs[uid], day),
            )
            day += timedelta(days=1)
