"""Helpers for the PMO schema tests: dbt in a subprocess, loading a sandbox, reading results.

dbt runs in a subprocess with its target and log folders in a temp directory, so tests never touch
``dbt_project/target`` that other runs may be using.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))
TIER = "XS"
SEED = 14
PG_DSN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
# What this layer owns; other helpers' staging tests are theirs to run.
OWN_TESTS = ["intermediate", "marts", "path:seeds"]


@dataclass
class DbtRun:
    """Runs dbt against one warehouse with its own target/log folders."""

    work_dir: Path
    env: dict[str, str]
    vars: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [
            DBT,
            *args,
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(self.work_dir / "target"),
            "--log-path",
            str(self.work_dir / "logs"),
        ]
        if self.vars and args and args[0] in {"build", "run", "test", "seed", "compile"}:
            command += ["--vars", json.dumps(self.vars)]
        result = subprocess.run(
            command, env=self.env, cwd=DBT_PROJECT, capture_output=True, text=True, timeout=600
        )
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}")
        return result


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_HUB_")}
    env.update({"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra})
    return env


@dataclass
class LoadedWorld:
    """The sandbox ground truth of one world plus where its raw data landed."""

    manifest: list[dict[str, str]]
    as_of: str
    duckdb_path: Path | None = None
    postgres_database: str | None = None


def load_all(
    sandbox: Any, destination: Any, pipelines_dir: Path, jira_reconcile: bool = False
) -> None:
    """Load all four sources of a running sandbox into ``destination`` with the real pipelines.

    ``jira_reconcile`` also runs the Jira id census that finds deleted issues (the nightly run).
    """
    import importlib

    from connectors.finance.settings import FinanceSettings
    from connectors.jira.settings import JiraSettings
    from connectors.msproject.settings import MsProjectSettings
    from connectors.planner.settings import PlannerSettings

    settings = sandbox.source_settings()
    secrets = sandbox.secrets()
    per_system = {
        "finance": FinanceSettings(landing_dirs=(Path(settings["finance"]["landing_dirs"][0]),)),
        "msproject": MsProjectSettings(folders=(Path(settings["msproject"]["folders"][0]),)),
        "jira": JiraSettings(
            base_url=settings["jira"]["base_url"],
            deployment="cloud",
            email=settings["jira"]["email"],
            api_token=secrets["PMO_HUB_JIRA_API_TOKEN"],
            verify=settings["jira"]["verify"],
            field_roles=settings["jira"]["field_roles"],
            reconcile=jira_reconcile,
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
        module.load(system_settings, destination, pipelines_dir=str(pipelines_dir / system))


def duckdb_rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def postgres_rows(database: str, sql: str) -> list[tuple]:
    con = psycopg2.connect(dbname=database, **PG_DSN)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        con.close()
