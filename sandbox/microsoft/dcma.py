"""An independent DCMA 14-point reading of an MSPDI file, straight from the XML.

Shares no code with the connector or the dbt models: ElementTree over the file, the same
definitions as mart_schedule_quality's docs (incomplete task = active, non-summary,
non-milestone, no actual finish, below 100 %; links into incomplete tasks; 44 working days of
the plan's minutes per day). The sandbox derives its GV-06 ground truth with it from the files
it writes; tests check the mart against it on MPXJ corpus files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

HARD_CONSTRAINTS = {2, 3, 5, 7}
HIGH_DAYS = 44
THRESHOLDS = {  # check id: (comparison, threshold) as in seeds/dcma_check_config.csv
    "DCMA-01": ("max", 0.05),
    "DCMA-02": ("max", 0.0),
    "DCMA-03": ("max", 0.05),
    "DCMA-04": ("min", 0.90),
    "DCMA-05": ("max", 0.05),
    "DCMA-06": ("max", 0.05),
    "DCMA-07": ("max", 0.0),
    "DCMA-08": ("max", 0.05),
    "DCMA-09": ("max", 0.0),
    "DCMA-10": ("max", 0.0),
    "DCMA-11": ("max", 0.05),
    "DCMA-12": ("max", 0.0),
    "DCMA-13": ("min", 0.95),
    "DCMA-14": ("min", 0.95),
}


@dataclass
class CheckResult:
    population: int | None
    offending: list[int]
    measured: float | None

    @property
    def is_pass(self) -> bool | None:
        return None if self.measured is None else _passes(self.check_id, self.measured)

    check_id: str = ""


def _passes(check_id: str, measured: float) -> bool:
    comparison, threshold = THRESHOLDS[check_id]
    measured = round(measured, 4)
    return measured <= threshold if comparison == "max" else measured >= threshold


def _strip(tag: str) -> str:
    return tag.split("}", 1)[-1]


def _children(el: ET.Element) -> dict[str, str]:
    return {_strip(c.tag): (c.text or "") for c in el if len(c) == 0}


def _hours(text: str | None) -> float | None:
    m = re.fullmatch(r"-?PT(\d+(?:\.\d+)?)H(\d+(?:\.\d+)?)M(\d+(?:\.\d+)?)S", text or "")
    if not m:
        return None
    return float(m[1]) + float(m[2]) / 60 + float(m[3]) / 3600


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def assess(source: Path | IO[str], as_of: date) -> dict[str, CheckResult]:
    """Every DCMA check of one MSPDI file (a path or an open text stream).

    Args:
        source: the MSPDI XML.
        as_of: the status date used when the file has none.

    Returns:
        Check id -> population, offending task UIDs (successor UID for links), measured value.
    """
    root = ET.parse(source).getroot()
    header = _children(root)
    status = _day(header.get("StatusDate")) or as_of
    mpd = int(header.get("MinutesPerDay") or 480) or 480
    tasks: dict[int, dict] = {}
    links: list[tuple[int, int, int, float, bool]] = []  # succ, pred, type, lag min, cross
    resourced: set[int] = set()
    summary: dict = {}
    for el in root.iter():
        tag = _strip(el.tag)
        if tag == "Task":
            f = _children(el)
            if f.get("IsNull") == "1" or "UID" not in f:
                continue
            uid = int(f["UID"])
            base0 = {}
            for b in el:
                if _strip(b.tag) == "Baseline":
                    bf = _children(b)
                    if bf.get("Number", "0") == "0":
                        base0 = bf
            for lk in el:
                if _strip(lk.tag) == "PredecessorLink":
                    lf = _children(lk)
                    links.append(
                        (
                            uid,
                            int(lf["PredecessorUID"]),
                            int(lf.get("Type") or 1),
                            float(lf.get("LinkLag") or 0) / 10,
                            lf.get("CrossProject") == "1",
                        )
                    )
            row = {
                "summary": f.get("Summary") == "1",
                "milestone": f.get("Milestone") == "1",
                "active": f.get("Active", "1") != "0",
                "critical": f.get("Critical") == "1",
                "pct": int(f.get("PercentComplete") or 0),
                "start": _day(f.get("Start")),
                "finish": _day(f.get("Finish")),
                "astart": _day(f.get("ActualStart")),
                "afinish": _day(f.get("ActualFinish")),
                "constraint": int(f.get("ConstraintType") or 0),
                "slack": float(f["TotalSlack"]) / 10 if f.get("TotalSlack") else None,
                "duration": _hours(f.get("Duration")),
                "bduration": _hours(base0.get("Duration")),
                "bfinish": _day(base0.get("Finish")),
            }
            if uid == 0:
                summary = row
            elif not row["summary"] and row["active"]:
                tasks[uid] = row
        elif tag == "Assignment":
            f = _children(el)
            if f.get("ResourceUID") not in (None, "-65535"):
                resourced.add(int(f["TaskUID"]))

    def incomplete(t: dict) -> bool:
        return not t["milestone"] and t["afinish"] is None and t["pct"] < 100

    inc = {u: t for u, t in tasks.items() if incomplete(t)}
    own = [lk for lk in links if not lk[4]]
    into = [lk for lk in own if lk[0] in inc]
    out: dict[str, CheckResult] = {}

    def share(check_id: str, population: list[int], offending: list[int]) -> None:
        measured = len(offending) / len(population) if population else None
        out[check_id] = CheckResult(len(population), sorted(offending), measured, check_id)

    has_pred = {lk[0] for lk in own}
    has_succ = {lk[1] for lk in own}
    share("DCMA-01", list(inc), [u for u in inc if not (u in has_pred and u in has_succ)])
    share("DCMA-02", [lk[0] for lk in into], [lk[0] for lk in into if lk[3] < 0])
    share("DCMA-03", [lk[0] for lk in into], [lk[0] for lk in into if lk[3] > 0])
    share("DCMA-04", [lk[0] for lk in into], [lk[0] for lk in into if lk[2] != 1])
    if out["DCMA-04"].measured is not None:
        out["DCMA-04"].measured = 1 - out["DCMA-04"].measured
    share("DCMA-05", list(inc), [u for u, t in inc.items() if t["constraint"] in HARD_CONSTRAINTS])
    high = HIGH_DAYS * mpd
    share("DCMA-06", list(inc), [u for u, t in inc.items() if (t["slack"] or 0) > high])
    share("DCMA-07", list(inc), [u for u, t in inc.items() if (t["slack"] or 0) < 0])
    share(
        "DCMA-08",
        list(inc),
        [
            u
            for u, t in inc.items()
            if ((t["bduration"] if t["bduration"] is not None else t["duration"]) or 0) * 60 > high
        ],
    )

    def invalid(t: dict) -> bool:
        return bool(
            (t["astart"] and t["astart"] > status)
            or (t["afinish"] and t["afinish"] > status)
            or (t["astart"] is None and t["start"] and t["start"] < status)
            or (t["afinish"] is None and t["finish"] and t["finish"] < status)
        )

    share("DCMA-09", list(tasks), [u for u, t in tasks.items() if invalid(t)])
    with_duration = [u for u, t in inc.items() if (t["duration"] or 0) > 0]
    share("DCMA-10", with_duration, [u for u in with_duration if u not in resourced])
    due = [u for u, t in tasks.items() if t["bfinish"] and t["bfinish"] <= status]
    share(
        "DCMA-11",
        due,
        [
            u
            for u in due
            if tasks[u]["afinish"] is None or tasks[u]["afinish"] > tasks[u]["bfinish"]
        ],
    )
    critical = [u for u, t in inc.items() if t["critical"]]
    on_path = {
        u
        for s, p, *_ in own
        if s in tasks and p in tasks and tasks[s]["critical"] and tasks[p]["critical"]
        for u in (s, p)
    }
    share("DCMA-12", critical, [u for u in critical if u not in on_path])
    if not critical:
        out["DCMA-12"].measured = 1.0 if inc else None
    forecast, baseline = summary.get("finish"), summary.get("bfinish")
    cpli = None
    if forecast and baseline and (forecast - status).days > 0:
        cpl = (forecast - status).days
        cpli = (cpl + (baseline - forecast).days) / cpl
    out["DCMA-13"] = CheckResult(None, [], cpli, "DCMA-13")
    completed = [u for u, t in tasks.items() if t["afinish"] and t["afinish"] <= status]
    share(
        "DCMA-14",
        due,
        [u for u in due if not (tasks[u]["afinish"] and tasks[u]["afinish"] <= status)],
    )
    out["DCMA-14"].measured = len(completed) / len(due) if due else None
    return out
