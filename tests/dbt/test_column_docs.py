"""Every column of every core, marts and compliance model is described, with consistent units.

Static: dbt compiles the project against an empty DuckDB file, sqlglot reads each model's output
columns from the compiled SQL (expanding ``select *`` through the CTEs), and the YAML beside the
model (read from dbt's manifest) must describe each of them. So a column someone adds to a model
without a YAML line fails here, not only a YAML line without a description.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlglot
from pmo_dbt_helpers import DbtRun, base_env
from sqlglot import exp

DOCUMENTED_FOLDERS = ("core", "pmo", "compliance")
# Names that say "percentage" must follow the convention: a fraction in a *_pct column.
PERCENT_WORDS = ("percent", "ratio")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    work = tmp_path_factory.mktemp("dbt_docs_compile")
    dbt = DbtRun(
        work,
        base_env(PMO_HUB_DUCKDB_PATH=str(work / "compile.duckdb")),
        {"as_of_date": "2026-11-02"},
    )
    dbt("compile", "--select", "marts")
    manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    return manifest, work / "target" / "compiled"


def _documented_models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == "pmo_hub"
        and node["fqn"][1:2] == ["marts"]
        and node["fqn"][2] in DOCUMENTED_FOLDERS
    }


def output_columns(sql: str) -> list[str]:
    """Output column names of a select, with stars expanded through its CTEs."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}
    return _select_columns(tree, ctes)


def _select_columns(node: exp.Expression, ctes: dict[str, exp.Expression]) -> list[str]:
    while isinstance(node, exp.Union | exp.Subquery):
        node = node.this if isinstance(node, exp.Subquery) else node.left
    assert isinstance(node, exp.Select), node.sql()[:500]
    sources: dict[str, exp.Table] = {}
    for table in node.find_all(exp.Table):
        if table.parent_select is node:
            sources[table.alias_or_name] = table
    names: list[str] = []
    for projection in node.expressions:
        star_table = None
        if isinstance(projection, exp.Star):
            star_table = next(iter(sources.values()))
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star_table = sources[projection.table]
        if star_table is None:
            names.append(projection.alias_or_name)
        elif not star_table.db and star_table.name in ctes:
            names += _select_columns(ctes[star_table.name], ctes)
        else:
            raise AssertionError(f"select * from {star_table.sql()}: no CTE of the model")
    return names


def test_output_columns_expand_stars_through_ctes() -> None:
    sql = """
        with a as (select x, y as z from t), b as (select *, 1 as w from a)
        select * from b
    """
    assert output_columns(sql) == ["x", "z", "w"]


def test_every_documented_model_has_a_description(compiled: tuple[dict, Path]) -> None:
    models = _documented_models(compiled[0])
    assert {"dim_project", "mart_evm_project", "fct_dq_exceptions"} <= set(models)
    missing = sorted(name for name, node in models.items() if not node["description"].strip())
    assert missing == [], f"models without a description: {missing}"


def test_every_output_column_is_described(compiled: tuple[dict, Path]) -> None:
    manifest, compiled_dir = compiled
    problems: list[str] = []
    for name, node in sorted(_documented_models(manifest).items()):
        described = {
            column: spec.get("description", "").strip() for column, spec in node["columns"].items()
        }
        sql = (compiled_dir / "pmo_hub" / node["original_file_path"]).read_text(encoding="utf-8")
        actual = output_columns(sql)
        problems += [f"{name}.{c}: no description" for c in actual if not described.get(c)]
        problems += [
            f"{name}.{c}: described but not produced" for c in described if c not in actual
        ]
    assert problems == [], "\n".join(problems)


def test_percentages_are_fractions_named_pct(compiled: tuple[dict, Path]) -> None:
    manifest, compiled_dir = compiled
    offenders: list[str] = []
    for name, node in sorted(_documented_models(manifest).items()):
        for column, spec in node["columns"].items():
            # Whole name parts only: "duration" is not a ratio.
            looks_like_percent = any(word in column.split("_") for word in PERCENT_WORDS)
            if looks_like_percent and not column.endswith("_pct"):
                offenders.append(f"{name}.{column}: a percentage must be named *_pct")
            if column.endswith("_pct") and "fraction" not in spec.get("description", ""):
                offenders.append(f"{name}.{column}: describe the unit ('fraction, 0.25 = 25 %')")
    assert offenders == [], "\n".join(offenders)


def test_persist_docs_is_on_for_the_marts(compiled: tuple[dict, Path]) -> None:
    for name, node in _documented_models(compiled[0]).items():
        assert node["config"]["persist_docs"] == {"relation": True, "columns": True}, name
