"""dbt build of the PMO schema (intermediate, core, marts, compliance) on a loaded sandbox tier.

The sandbox world of the tier is served, loaded through the four real pipelines into a temp
DuckDB file (timed, but not the point), then:

* ``staging_s`` - the baseline: ``dbt run --select staging`` (views only: per-invocation dbt
  overhead plus view creation), measured in the same run;
* ``pmo_schema_s`` - ``dbt run --select intermediate marts`` (about 50 models);
* ``pmo_tests_s`` - ``dbt test`` of the same selection.

The ratio pmo_schema_s / staging_s shows what the layer adds on top of dbt's fixed cost.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"
FACTS = (
    "core.fct_timesheet_entries",
    "core.fct_invoice_lines",
    "core.fct_task_status_history",
    "core.dim_task",
    "marts.mart_budget_vs_actual",
    "marts.mart_utilization",
    "compliance.fct_dq_exceptions",
)


def _load(sandbox: Any, db: Path, pipelines_dir: Path) -> None:
    from connectors.finance.settings import FinanceSettings
    from connectors.jira.settings import JiraSettings
    from connectors.msproject.settings import MsProjectSettings
    from connectors.planner.settings import PlannerSettings
    from pipelines.destinations import make_destination

    settings = sandbox.source_settings()
    secrets = sandbox.secrets()
    per_system = {
        "finance": FinanceSettings(landing_dirs=(Path(settings["finance"]["landing_dirs"][0]),)),
        "msproject": MsProjectSettings(folders=(Path(settings["msproject"]["folders"][0]),)),
        "jira": JiraSettings(
            base_url=settings["jira"]["base_url"],
            email=settings["jira"]["email"],
            api_token=secrets["PMO_HUB_JIRA_API_TOKEN"],
            verify=settings["jira"]["verify"],
        ),
        "planner": PlannerSettings(
            tenant_id=settings["planner"]["tenant_id"],
            client_id=settings["planner"]["client_id"],
            client_secret=secrets["PMO_HUB_PLANNER_CLIENT_SECRET"],
            authority=settings["planner"]["authority"],
            graph_url=settings["planner"]["graph_url"],
            verify=settings["planner"]["verify"],
        ),
    }
    for system, system_settings in per_system.items():
        module = importlib.import_module(f"pipelines.{system}_pipeline")
        destination = make_destination("duckdb", duckdb_path=db)
        module.load(system_settings, destination, pipelines_dir=str(pipelines_dir / system))


def _dbt(work: Path, db: Path, as_of: str, *args: str) -> float:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PMO_HUB_")},
        "PMO_HUB_DUCKDB_PATH": str(db),
        "DO_NOT_TRACK": "1",
    }
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps({"as_of_date": as_of}),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}")
    return elapsed


def run(tier: str = "S") -> dict:
    """Load the tier's sandbox and time dbt on the PMO schema against the staging baseline.

    Returns:
        Load and dbt timings, fact row counts, exceptions found vs planted, and the ratio of the
        PMO schema build to the staging build measured in the same run.
    """
    from sandbox.runtime import start_sandbox

    with tempfile.TemporaryDirectory(prefix="bench-pmo-schema-") as tmp:
        work = Path(tmp)
        db = work / "warehouse.duckdb"
        started = time.perf_counter()
        sandbox = start_sandbox(work / "sandbox", tier=tier, seed=42)
        try:
            as_of = sandbox.world.now.date().isoformat()
            planted = len(sandbox.world.manifest.faults)
            _load(sandbox, db, work / "dlt")
        finally:
            sandbox.stop()
        load_s = time.perf_counter() - started
        _dbt(work, db, as_of, "seed")
        staging_s = _dbt(work, db, as_of, "run", "--select", "staging")
        pmo_schema_s = _dbt(work, db, as_of, "run", "--select", "intermediate", "marts")
        pmo_tests_s = _dbt(work, db, as_of, "test", "--select", "intermediate", "marts")
        con = duckdb.connect(str(db), read_only=True)
        try:
            rows = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in FACTS}
        finally:
            con.close()
    return {
        "tier": tier,
        "sandbox_and_load_s": round(load_s, 2),
        "staging_s": round(staging_s, 2),
        "pmo_schema_s": round(pmo_schema_s, 2),
        "pmo_tests_s": round(pmo_tests_s, 2),
        "rows": rows,
        "planted_faults": planted,
        "exceptions_found": rows["compliance.fct_dq_exceptions"],
        "ratio_pmo_schema_vs_staging": round(pmo_schema_s / staging_s, 2),
    }
