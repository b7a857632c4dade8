"""Jira staging builds with its tests on the loaded DuckDB; the load also works on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import psycopg2
import pytest
from jira_helpers import cloud_settings

from pipelines.destinations import make_destination
from pipelines.jira_pipeline import load


def _dbt_build(project: Path, duckdb_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project),
        "PMO_HUB_DUCKDB_PATH": str(duckdb_path),
        "PMO_HUB_DBT_TARGET": "duckdb",
        "DO_NOT_TRACK": "1",
    }
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), "build", "--select", "staging.jira"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_dbt_staging_builds_and_marks_deletes(world, start_server, warehouse, dbt_project_copy):
    sandbox = start_server(world)
    wh = warehouse()
    wh.load(cloud_settings(sandbox, reconcile=True))
    world.tick(change_fraction=0.03)
    wh.load(cloud_settings(sandbox, reconcile=True))

    result = _dbt_build(dbt_project_copy, wh.path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ERROR=0" in result.stdout and "PASS=" in result.stdout

    with duckdb.connect(str(wh.path), read_only=True) as con:
        deleted = {
            r[0]
            for r in con.execute(
                "select issue_id from staging.stg_jira__issues where is_deleted"
            ).fetchall()
        }
        assert deleted == set(world.deleted_issues) and len(deleted) == 1
        assert con.execute(
            "select count(*) from staging.stg_jira__issues where is_deleted and deleted_at is null"
        ).fetchone() == (0,)
        live = con.execute(
            "select count(*) from staging.stg_jira__issues where not is_deleted"
        ).fetchone()[0]
        assert live == sum(1 for _ in world.live_issues())
        deleted_logs = {
            r[0]
            for r in con.execute(
                "select worklog_id from staging.stg_jira__worklogs where is_deleted"
            ).fetchall()
        }
        assert deleted_logs == set(world.deleted_worklogs)
        categories = dict(
            con.execute(
                "select status_category, count(*) from staging.stg_jira__issues group by 1"
            ).fetchall()
        )
        assert set(categories) == {"new", "indeterminate", "done"}
        unmapped = con.execute(
            "select project_key from staging.stg_jira__projects where project_code is null"
        ).fetchall()
        assert unmapped == [("OPSX",)]
        hours = con.execute(
            "select sum(hours) from staging.stg_jira__worklogs where not is_deleted"
        ).fetchone()[0]
        assert float(hours) == pytest.approx(
            sum(w.seconds for w in world.worklogs.values()) / 3600, abs=0.01 * len(world.worklogs)
        )


@pytest.mark.postgres
def test_load_into_postgres(world, start_server, tmp_path):
    sandbox = start_server(world)
    schema = f"raw_jira_test_{uuid.uuid4().hex[:10]}"
    url = "postgresql://postgres:trust-ignores-it@127.0.0.1:5432/test"  # dlt demands a password
    try:
        load(
            cloud_settings(sandbox),
            make_destination("postgres", postgres_url=url),
            pipelines_dir=tmp_path / "p",
            dataset_name=schema,
        )
        with psycopg2.connect(url) as con, con.cursor() as cur:
            cur.execute(f'select count(*), count(distinct id) from "{schema}".issues')
            assert cur.fetchone() == (397, 397)
            cur.execute(f'select count(*) from "{schema}".changelog')
            assert cur.fetchone()[0] == sum(
                len(h.items) for i in world.live_issues() for h in world.histories(i)
            )
            cur.execute(f'select count(*) from "{schema}".worklogs')
            assert cur.fetchone()[0] == len(world.worklogs)
            cur.execute(
                "select data_type from information_schema.columns"
                " where table_schema = %s and table_name = 'issues' and column_name = 'updated_at'",
                (schema,),
            )
            assert cur.fetchone()[0] == "timestamp without time zone"
    finally:
        with psycopg2.connect(url) as con, con.cursor() as cur:
            cur.execute(f'drop schema if exists "{schema}" cascade')
            cur.execute(f'drop schema if exists "{schema}_staging" cascade')
