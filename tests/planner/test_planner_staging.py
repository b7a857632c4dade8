"""dbt staging for Planner builds on the synced sandbox data with every data test passing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg2
import pytest

from pipelines.destinations import make_destination
from pipelines.planner_pipeline import load
from sandbox.microsoft.server import MicrosoftSandbox
from sandbox.microsoft.world import PlannerWorld
from tests.planner.conftest import dbt_project_copy, settings_for


def test_staging_builds_and_matches_world(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox], tmp_path: Path
) -> None:
    # XS keeps the build quick; S-tier shapes and paging are covered by the connector tests.
    sandbox = start_server(world_xs)
    warehouse = tmp_path / "warehouse.duckdb"
    settings = settings_for(sandbox)
    load(
        settings, make_destination("duckdb", duckdb_path=warehouse), pipelines_dir=tmp_path / "dlt"
    )
    result = world_xs.tick()  # a second load with tombstones must still pass every test
    load(
        settings, make_destination("duckdb", duckdb_path=warehouse), pipelines_dir=tmp_path / "dlt"
    )
    project = dbt_project_copy(tmp_path)
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "DBT_PROFILES_DIR": str(project), "PMO_HUB_DUCKDB_PATH": str(warehouse)}
    env.pop("PMO_HUB_DBT_TARGET", None)
    run = subprocess.run(
        [
            str(dbt),
            "build",
            "--select",
            "staging.planner",
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "ERROR=0" in run.stdout and "PASS=" in run.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        plans = dict(
            con.execute("select plan_id, project_code from staging.stg_planner__plans").fetchall()
        )
        deleted = con.execute(
            "select task_id from staging.stg_planner__tasks where is_deleted order by task_id"
        ).fetchall()
        live = con.execute(
            "select count(*) from staging.stg_planner__tasks where not is_deleted"
        ).fetchone()
        users = con.execute("select count(*) from staging.stg_planner__users").fetchone()
    finally:
        con.close()
    # Every plan maps to its project through the title prefix, except the planted GV-10 plan.
    unmapped = [f.key for f in world_xs.manifest.faults if f.rule_id == "GV-10"]
    assert len(unmapped) == 1
    assert plans == {p: (None if p in unmapped else c) for p, c in world_xs.project_codes.items()}
    assert [row[0] for row in deleted] == sorted(result.deleted_task_ids)
    assert live == (world_xs.task_count,)
    assert users == (len(world_xs.users),)


@pytest.mark.slow
@pytest.mark.postgres
def test_staging_builds_on_postgres(
    world_xs: PlannerWorld, start_server: Callable[..., MicrosoftSandbox], tmp_path: Path
) -> None:
    database = f"planner_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        sandbox = start_server(world_xs, page_size=50)
        destination = make_destination(
            "postgres", postgres_url=f"postgresql://postgres:trust@127.0.0.1:5432/{database}"
        )
        load(settings_for(sandbox), destination, pipelines_dir=tmp_path / "dlt")
        world_xs.tick()
        load(settings_for(sandbox), destination, pipelines_dir=tmp_path / "dlt")
        project = dbt_project_copy(tmp_path)
        dbt = Path(sys.executable).with_name("dbt")
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(project),
            "PMO_HUB_DBT_TARGET": "postgres",
            "PMO_HUB_PG_DATABASE": database,
            "PMO_HUB_PG_HOST": "127.0.0.1",
            "PMO_HUB_PG_USER": "postgres",
        }
        run = subprocess.run(
            [
                str(dbt),
                "build",
                "--select",
                "staging.planner",
                "--target-path",
                str(tmp_path / "t"),
            ],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-3000:]
        con = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
        try:
            with con.cursor() as cur:
                cur.execute("select count(*) from staging.stg_planner__tasks where not is_deleted")
                assert cur.fetchone() == (world_xs.task_count,)
                cur.execute(
                    "select count(*) from staging.stg_planner__plans where project_code is not null"
                )
                assert cur.fetchone() == (len(world_xs.plans) - 1,)
        finally:
            con.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()
