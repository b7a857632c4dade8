"""The MSPDI writer: real namespace and units, and the streaming large-plan writer."""

from __future__ import annotations

import collections
import xml.etree.ElementTree as ET
from pathlib import Path

from connectors.msproject.parser import parse_mspdi
from sandbox.microsoft.mspdi import fmt_duration, write_large_mspdi, write_mspdi
from sandbox.microsoft.msproject_world import MsProjectPlan

NS = {"p": "http://schemas.microsoft.com/project"}


def test_format_units(plans: list[MsProjectPlan], tmp_path: Path) -> None:
    plan = plans[0]
    root = ET.parse(write_mspdi(plan, tmp_path / plan.file_name)).getroot()
    assert root.tag == "{http://schemas.microsoft.com/project}Project"
    assert root.findtext("p:SaveVersion", namespaces=NS) == "14"
    tasks = root.findall("p:Tasks/p:Task", NS)
    assert len(tasks) == len(plan.tasks)
    assert tasks[0].findtext("p:UID", namespaces=NS) == "0"
    assert tasks[0].findtext("p:OutlineLevel", namespaces=NS) == "0"
    # ID is the row number, UID the stable key: they differ once tasks are nested.
    assert [t.findtext("p:ID", namespaces=NS) for t in tasks[:3]] == ["0", "1", "2"]
    world = plan.leaf_tasks[2]
    element = next(t for t in tasks if t.findtext("p:UID", namespaces=NS) == str(world.uid))
    assert element.findtext("p:Cost", namespaces=NS) == str(world.cost_cents)
    assert element.findtext("p:Duration", namespaces=NS) == fmt_duration(world.duration_minutes)
    assert element.findtext("p:Baseline/p:Number", namespaces=NS) == "0"
    lags = [int(x.text) for x in root.iterfind(".//p:PredecessorLink/p:LinkLag", NS)]
    world_lags = [ln.lag_minutes * 10 for t in plan.tasks for ln in t.links]
    assert lags == world_lags and 4800 in lags
    phased = root.find(".//p:Assignment/p:TimephasedData", NS)
    assert phased.findtext("p:Type", namespaces=NS) == "2"
    assert phased.findtext("p:Unit", namespaces=NS) == "2"
    assert fmt_duration(480) == "PT8H0M0S" and fmt_duration(90) == "PT1H30M0S"


def test_large_plan_streams(tmp_path: Path) -> None:
    path = write_large_mspdi(tmp_path / "large.xml", n_tasks=1_000, seed=1, resources=10)
    counts = collections.Counter(table for table, _ in parse_mspdi(path, "large"))
    assert counts["tasks"] == 1_001  # plus the project summary
    assert counts["resources"] == 10
    assert counts["projects"] == 1
    # 20 phase summaries and 20 milestones carry no assignment.
    assert 960 <= counts["assignments"] <= 2 * 960
    assert counts["timephased_actuals"] > 500  # started work up to the status date
