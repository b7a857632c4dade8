"""Any subset of sources runs end to end and the summary tells what happened (issue 9).

Each configuration runs `pmo-hub run` (the CLI's entry point, in process) and must build
non-empty marts and the serving copy, exit 0, and list exactly the outputs written in the run.
A single tool without finance fills the PMO marts through tool-born projects (dim_project rows
whose project_origin is the tool).
The shipped example configuration (finance only) and a failing source stay in the default tier;
the other single-source configurations and all sources together are slow.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from pmo_hub import cli
from pmo_hub.config import CONFIG_ENV
from sandbox.runtime import RunningSandbox
from sandbox.world import World

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = {"serving_copy", "data_quality_report", "report_site"}


@pytest.fixture(scope="module")
def sandbox_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pmo-hub sandbox files --tier XS`: MSPDI plans and finance exports."""
    directory = tmp_path_factory.mktemp("files")
    World.generate("XS", 42).write_files(directory)
    return directory


def example_config(directory: Path, files: Path) -> Path:
    """The shipped pmo-hub.example.toml, pointed at the sandbox files like a user would."""
    text = (REPO_ROOT / "pmo-hub.example.toml").read_text(encoding="utf-8")
    text = text.replace("landing/finance", str(files / "finance"))
    text = text.replace('"plans"', json.dumps(str(files / "msproject")))
    path = directory / "pmo-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_toml(path: Path, document: dict[str, Any]) -> Path:
    lines: list[str] = []

    def table(name: str, values: dict[str, Any]) -> None:
        scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
        lines.append("")
        for key, value in values.items():
            if isinstance(value, dict):
                table(f"{name}.{key}", value)

    for name, values in document.items():
        if name == "sources":
            for system, settings in values.items():
                table(f"sources.{system}", settings)
        else:
            table(name, values)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def only(config: Path, enabled: set[str]) -> Path:
    document = tomllib.loads(config.read_text(encoding="utf-8"))
    for system, settings in document["sources"].items():
        settings["enabled"] = system in enabled
    return write_toml(config, document)


def run_cli(config: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[int, str]:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv(CONFIG_ENV, str(config))  # restored after the test
    monkeypatch.chdir(config.parent)
    code = cli.main(["run", "--config", str(config)])
    return code, capsys.readouterr().out


def mart_rows(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('marts', 'core', 'compliance')"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }
    finally:
        con.close()


def projects_by_origin(warehouse: Path) -> dict[str, int]:
    """dim_project rows per project_origin, the unknown member left out."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(
            con.execute(
                "select project_origin, count(*) from core.dim_project "
                "where not is_unknown_member group by project_origin"
            ).fetchall()
        )
    finally:
        con.close()


def assert_tool_born_marts(directory: Path, served: dict[str, int], tool: str) -> None:
    """Without the finance registry every project of the tool is tool-born and reaches the PMO
    marts; GV-10 has no registry to measure against, so it reports nothing."""
    serving = directory / "warehouse" / "pmo_serving.duckdb"
    origins = projects_by_origin(serving)
    assert set(origins) == {tool} and origins[tool] > 0, origins
    assert served["marts.mart_portfolio_health"] == origins[tool]
    assert served["marts.mart_evm_project"] == origins[tool]
    con = duckdb.connect(str(serving), read_only=True)
    try:
        gv_10 = con.execute(
            "select count(*) from compliance.fct_dq_exceptions where rule_id = 'GV-10'"
        ).fetchone()[0]
        # No budget outside the registry: cost figures unknown and said so, never invented.
        cost = con.execute(
            "select count(*) filter (where cost_rag <> 'Grey'), "
            "count(*) filter (where rag_unknown_reason is null) from marts.mart_portfolio_health"
        ).fetchone()
        budgets = con.execute(
            "select count(*) from core.dim_project where budget_total is not null"
        ).fetchone()[0]
    finally:
        con.close()
    assert gv_10 == 0
    assert budgets == 0
    assert cost == (0, 0), cost


def written_outputs(out: str) -> set[str]:
    """Names listed under "written in this run:" in the printed summary."""
    lines = out.split("written in this run:", 1)[1].splitlines()[1:]
    return {line.split()[0] for line in lines if line.startswith("  ")}


def assert_built_and_reported(
    directory: Path,
    code: int,
    out: str,
    expect_rows: Callable[[dict[str, int]], None],
    marts_with_rows: bool = True,
) -> dict[str, int]:
    assert code == 0, out[-3000:]
    assert "status: SUCCESS" in out
    serving = directory / "warehouse" / "pmo_serving.duckdb"
    assert serving.exists()
    served = mart_rows(serving)
    built = mart_rows(directory / "warehouse" / "pmo.duckdb")
    # Every core/marts/compliance model exists (empty ones included) and is served.
    assert set(served) == set(built) and len(built) > 20
    assert (sum(n for t, n in served.items() if t.startswith("marts.")) > 0) == marts_with_rows
    expect_rows(served)
    assert written_outputs(out) == OUTPUTS
    assert str(serving) in out
    return served


def test_shipped_example_config_builds_marts_and_serving_copy(
    sandbox_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    config = example_config(tmp_path, sandbox_files)
    code, out = run_cli(config, monkeypatch, capsys)

    def finance_rows(served: dict[str, int]) -> None:
        assert served["core.fct_invoice_lines"] > 0
        assert served["marts.mart_budget_vs_actual"] > 0
        assert served["core.fct_timesheet_entries"] > 0  # timesheets from the finance files

    assert_built_and_reported(tmp_path, code, out, finance_rows)
    # Finance alone: only registry projects, as before tool-born projects existed.
    assert set(projects_by_origin(tmp_path / "warehouse" / "pmo_serving.duckdb")) == {
        "finance_registry"
    }
    assert "Jira               disabled" in out
    # The run is in the project's persistent Dagster instance (what `pmo-hub ui` shows).
    home = tmp_path / ".pmo-hub" / "dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert [r.job_name for r in runs] == ["pmo_hub_sync"]
    assert runs[0].run_id in out
    # The full dbt output is in a log file, not on the console.
    assert "START sql" not in out and "\x1b[" not in out
    assert list((tmp_path / ".pmo-hub" / "logs").glob("*-dbt_core.log"))


def test_failing_source_does_not_stop_the_others(
    sandbox_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """MS Project raises; finance is still modelled, checked and served; the run exits 1."""
    import orchestration.assets.ingest as ingest

    config = only(example_config(tmp_path, sandbox_files), {"finance", "msproject"})
    real_run_source = ingest.run_source

    def run_source(system: str, hub_config: Any) -> Any:
        if system == "msproject":
            raise RuntimeError("plan share \\\\fileserver\\plans is not mounted")
        return real_run_source(system, hub_config)

    monkeypatch.setattr(ingest, "run_source", run_source)
    code, out = run_cli(config, monkeypatch, capsys)
    assert code == 1, out[-3000:]
    assert "status: FAILED" in out
    assert "MS Project         FAILED: RuntimeError: plan share" in out, out[-3000:]
    assert written_outputs(out) == OUTPUTS, out[-3000:]
    served = mart_rows(tmp_path / "warehouse" / "pmo_serving.duckdb")
    assert served["core.fct_invoice_lines"] > 0 and served["marts.mart_budget_vs_actual"] > 0
    assert written_outputs(out) == OUTPUTS
    con = duckdb.connect(str(tmp_path / "warehouse" / "pmo.duckdb"), read_only=True)
    try:
        recorded = dict(
            con.execute("select system, status from ops.source_runs order by 1").fetchall()
        )
    finally:
        con.close()
    assert recorded == {
        "finance": "loaded",
        "jira": "disabled",
        "msproject": "failed",
        "planner": "disabled",
    }


@pytest.mark.slow
def test_finance_with_only_invoices(
    sandbox_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    files = tmp_path / "files"
    shutil.copytree(sandbox_files / "finance", files / "finance")
    kept = [p for p in (files / "finance").rglob("*") if p.is_file() and "invoice" in p.name]
    assert kept
    for path in (files / "finance").rglob("*"):
        if path.is_file() and path not in kept:
            path.unlink()
    config = example_config(tmp_path, files)
    code, out = run_cli(config, monkeypatch, capsys)

    def invoices_only(served: dict[str, int]) -> None:
        assert served["core.fct_invoice_lines"] > 0
        assert served["core.fct_timesheet_entries"] == 0

    assert_built_and_reported(tmp_path, code, out, invoices_only)


@pytest.mark.slow
def test_msproject_alone(
    sandbox_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    config = only(example_config(tmp_path, sandbox_files), {"msproject"})
    code, out = run_cli(config, monkeypatch, capsys)

    def plans(served: dict[str, int]) -> None:
        assert served["core.dim_task"] > 0
        assert served["core.fct_milestones"] > 0
        assert served["core.fct_timesheet_entries"] > 0  # MS Project timephased actuals
        assert served["compliance.fct_dq_exceptions"] > 0
        assert served["core.fct_invoice_lines"] == 0

    served = assert_built_and_reported(tmp_path, code, out, plans)
    assert_tool_born_marts(tmp_path, served, "msproject")


@pytest.mark.slow
@pytest.mark.parametrize("system", ["jira", "planner", "all"])
def test_sandbox_source_alone_and_all(
    system: str,
    running: RunningSandbox,
    write_config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    config = write_config(running, tmp_path)
    if system != "all":
        config = only(config, {system})
    for name, value in running.secrets().items():
        monkeypatch.setenv(name, value)
    code, out = run_cli(config, monkeypatch, capsys)

    def tasks(served: dict[str, int]) -> None:
        assert served["core.dim_task"] > 0

    served = assert_built_and_reported(tmp_path, code, out, tasks)
    if system != "all":
        assert_tool_born_marts(tmp_path, served, system)
        return
    # With the registry, a mapped object joins its finance project and only the unmapped ones
    # (GV-10) are tool-born: each exception points at its own project, which reaches the marts.
    serving = tmp_path / "warehouse" / "pmo_serving.duckdb"
    origins = projects_by_origin(serving)
    con = duckdb.connect(str(serving), read_only=True)
    try:
        unmapped = con.execute(
            "select exceptions.source_system, projects.project_origin, health.project_code "
            "from compliance.fct_dq_exceptions as exceptions "
            "left join core.dim_project as projects "
            "on exceptions.project_code = projects.project_code "
            "left join marts.mart_portfolio_health as health "
            "on exceptions.project_code = health.project_code "
            "where exceptions.rule_id = 'GV-10'"
        ).fetchall()
    finally:
        con.close()
    assert origins["finance_registry"] > 0
    assert unmapped and all(system == origin and code for system, origin, code in unmapped)
    assert sum(n for origin, n in origins.items() if origin != "finance_registry") == len(unmapped)
