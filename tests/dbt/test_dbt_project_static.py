"""Static checks of the PMO schema: dbt parses, the SQL lints, config and models agree."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pmo_dbt_helpers import DBT_PROJECT, DbtRun, base_env

OWN_SQL_DIRS = [
    DBT_PROJECT / "models" / "intermediate",
    DBT_PROJECT / "models" / "marts",
]
RULE_MODELS = sorted(
    p.stem for p in (DBT_PROJECT / "models" / "marts" / "compliance").glob("dq__*.sql")
)


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("dbt_parse")
    dbt = DbtRun(work, base_env(PMO_HUB_DUCKDB_PATH=str(work / "parse.duckdb")))
    dbt("parse")
    return json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))


def _models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "pmo_hub"
    }


def test_dbt_parse_finds_every_layer_in_its_schema(parsed: dict) -> None:
    models = _models(parsed)
    expected = {
        "int_projects_identified": "intermediate",
        "int_tasks_unioned": "intermediate",
        "dim_project": "core",
        "fct_invoice_lines": "core",
        "mart_budget_vs_actual": "marts",
        "mart_evm_project": "marts",
        "fct_dq_exceptions": "compliance",
        "dq__ap_03": "compliance",
    }
    for name, schema in expected.items():
        assert models[name]["schema"] == schema, name
    assert models["int_tasks_unioned"]["config"]["materialized"] == "view"
    assert models["fct_invoice_lines"]["config"]["materialized"] == "table"


def test_every_rule_model_is_unioned_and_configured(parsed: dict) -> None:
    models = _models(parsed)
    union_parents = set(models["fct_dq_exceptions"]["depends_on"]["nodes"])
    assert {f"model.pmo_hub.{m}" for m in RULE_MODELS} == union_parents
    with (DBT_PROJECT / "seeds" / "compliance_rule_config.csv").open(encoding="utf-8") as handle:
        configured = {row["rule_id"] for row in csv.DictReader(handle)}
    for model in RULE_MODELS:
        rule = re.match(r"dq__(ap|ts|gv)_(\d\d)$", model)
        if rule:
            assert f"{rule.group(1).upper()}-{rule.group(2)}" in configured, model
    required = "AP-03 AP-04 AP-08 AP-10 AP-12 AP-13 AP-14 TS-03 TS-04 TS-05 TS-08 TS-10 TS-11"
    required += " GV-01 GV-02 GV-03 GV-04 GV-10 GV-11"
    assert {f"dq__{r.lower().replace('-', '_')}" for r in required.split()} <= set(RULE_MODELS)


def test_disabled_source_leaves_no_reference_to_it(tmp_path: Path) -> None:
    dbt = DbtRun(
        tmp_path,
        base_env(PMO_HUB_DUCKDB_PATH=str(tmp_path / "compile.duckdb")),
        {"enabled_sources": ["finance", "planner", "msproject"], "as_of_date": "2026-11-02"},
    )
    dbt("compile", "--select", "intermediate", "marts")
    compiled = "\n".join(
        line
        for p in (tmp_path / "target" / "compiled" / "pmo_hub" / "models").rglob("*.sql")
        if "/staging/" not in p.as_posix()
        for line in p.read_text(encoding="utf-8").splitlines()
        # `-- depends_on:` comments only order dbt's run; the query never reads them.
        if not line.startswith("-- depends_on:")
    )
    assert "stg_jira__" not in compiled
    assert "stg_planner__tasks" in compiled and "stg_msproject__tasks" in compiled


@pytest.mark.slow
def test_sqlfluff_passes_on_own_folders() -> None:
    # sqlfluff's jinja templater renders every branch of each model: ~1-8 s per file on 2 cores.
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("sqlfluff")),
            "lint",
            *[str(p) for p in OWN_SQL_DIRS],
            "--disable-progress-bar",
            "--nocolor",
            "--processes",
            "2",
        ],
        cwd=DBT_PROJECT.parent,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:]
