"""Compliance precision and recall against the sandbox manifest, per rule, at tiers XS and S
(issue 10): every exception a rule finds in the sandbox world is planted (or deliberately
labelled) in the manifest, and every planted fault is found - P = R = 1.0 for every rule."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pmo_dbt_helpers import OWN_TESTS, DbtRun, LoadedWorld, base_env, duckdb_rows, load_all

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
COMPLIANCE_RULES = {
    row["rule_id"]
    for row in csv.DictReader((SEEDS / "compliance_rule_config.csv").open(encoding="utf-8"))
}


def precision_recall(world: LoadedWorld) -> dict[str, tuple[float, float, int, int]]:
    """rule -> (precision, recall, found, planted); a rule with nothing found and nothing
    planted is left out (it has nothing to measure in this world)."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for rule_id, system, key in duckdb_rows(
        world.duckdb_path,
        "select rule_id, source_system, entity_key from compliance.fct_dq_exceptions",
    ):
        found[rule_id].add((system, key))
    planted: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for fault in world.manifest:
        # Only compliance rules become exceptions. The world also plants planning findings
        # (CAP-01: over-allocated next month), measured on the capacity mart instead
        # (tests/dbt/test_schedule_capacity.py).
        if fault["rule_id"] in COMPLIANCE_RULES:
            planted[fault["rule_id"]].add((fault["system"], fault["key"]))
    result = {}
    for rule in sorted(set(found) | set(planted)):
        hits = len(found[rule] & planted[rule])
        precision = hits / len(found[rule]) if found[rule] else 1.0
        recall = hits / len(planted[rule]) if planted[rule] else 1.0
        result[rule] = (precision, recall, len(found[rule]), len(planted[rule]))
    return result


@pytest.fixture(scope="module")
def s_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedWorld]:
    from pipelines.destinations import make_destination
    from sandbox.runtime import start_sandbox

    work: Path = tmp_path_factory.mktemp("dbt_s")
    sandbox: Any = start_sandbox(work / "sandbox", tier="S", seed=42)
    try:
        world = LoadedWorld(
            manifest=sandbox.world.manifest.to_dict()["faults"],
            as_of=sandbox.world.now.date().isoformat(),
            duckdb_path=work / "warehouse.duckdb",
        )
        load_all(sandbox, make_destination("duckdb", duckdb_path=world.duckdb_path), work / "dlt")
    finally:
        sandbox.stop()
    dbt = DbtRun(
        work,
        base_env(PMO_HUB_DBT_TARGET="duckdb", PMO_HUB_DUCKDB_PATH=str(world.duckdb_path)),
        {"as_of_date": world.as_of},
    )
    dbt("seed")
    dbt("run", "--select", "+marts")
    dbt("test", "--select", *OWN_TESTS)
    yield world


def _assert_exact(measured: dict[str, tuple[float, float, int, int]]) -> None:
    off = {rule: m for rule, m in measured.items() if m[0] != 1.0 or m[1] != 1.0}
    assert not off, "rules with P or R below 1.0 (P, R, found, planted): " + str(off)


def test_every_rule_is_exact_at_tier_xs(duckdb_build) -> None:
    world, _ = duckdb_build
    _assert_exact(precision_recall(world))


@pytest.mark.slow  # a tier-S world: minutes of loading and dbt
def test_every_rule_is_exact_at_tier_s(s_build: LoadedWorld) -> None:
    _assert_exact(precision_recall(s_build))
