"""Jira staging builds with its tests on DuckDB and on PostgreSQL; the raw load works on both."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from jira_helpers import cloud_settings

from pipelines.destinations import make_destination
from pipelines.jira_pipeline import load
from sandbox.jira.site import BLOCKS

# Trust auth ignores the password, but dlt's postgres credentials demand one.
REPO = Path(__file__).resolve().parents[2]
PG_ROOT = "postgresql://postgres:trust-ignores-it@127.0.0.1:5432"


def _dbt_build(
    project: Path, env: dict[str, str], scratch: Path
) -> subprocess.CompletedProcess[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [
            str(dbt),
            "build",
            "--select",
            "staging.jira",
            # Tests of downstream models that also touch Jira staging are not ours to run here.
            "--indirect-selection",
            "cautious",
            # Keep the shared project folder clean (target/ and logs/ would land there).
            "--target-path",
            str(scratch / "target"),
            "--log-path",
            str(scratch / "logs"),
        ],
        cwd=project,
        env={**os.environ, "DBT_PROFILES_DIR": str(project), "DO_NOT_TRACK": "1", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _load_sync_tick_sync(world, sandbox, destination, pipelines_dir: Path) -> None:
    """Full sync, a 3 % tick (edits, creates, deletes), incremental sync; both with the census.

    The issue the tick deletes is linked first to an issue the tick leaves alone, so that the
    deletion removes a link whose other end no search shows again.
    """
    rehearsal = copy.deepcopy(world)
    before = {i.id: i.updated_ms for i in rehearsal.live_issues()}
    rehearsal.tick(change_fraction=0.03)
    (doomed,) = rehearsal.deleted_issues
    untouched = min(i.id for i in rehearsal.live_issues() if before.get(i.id) == i.updated_ms)
    world.site.add_link(BLOCKS, untouched, doomed)
    load(cloud_settings(sandbox, reconcile=True), destination, pipelines_dir=pipelines_dir)
    world.tick(change_fraction=0.03)
    load(cloud_settings(sandbox, reconcile=True), destination, pipelines_dir=pipelines_dir)


def _assert_staging_matches_world(query: Callable[[str], list[tuple[Any, ...]]], world) -> None:
    """The staging views agree with the world, whatever the warehouse (DuckDB or PostgreSQL)."""
    deleted = {
        r[0] for r in query("select issue_id from staging.stg_jira__issues where is_deleted")
    }
    assert deleted == set(world.deleted_issues) and len(deleted) == 1
    assert query(
        "select count(*) from staging.stg_jira__issues where is_deleted and deleted_at is null"
    ) == [(0,)]
    live = query("select count(*) from staging.stg_jira__issues where not is_deleted")[0][0]
    assert live == sum(1 for _ in world.live_issues())
    deleted_logs = {
        r[0] for r in query("select worklog_id from staging.stg_jira__worklogs where is_deleted")
    }
    assert deleted_logs == set(world.deleted_worklogs)
    categories = dict(
        query("select status_category, count(*) from staging.stg_jira__issues group by 1")
    )
    assert set(categories) == {"new", "indeterminate", "done"}
    unmapped = query(
        "select project_key from staging.stg_jira__projects where project_code is null"
    )
    assert unmapped == [("OPSX",)]
    hours = query("select sum(hours) from staging.stg_jira__worklogs where not is_deleted")[0][0]
    assert float(hours) == pytest.approx(
        sum(w.seconds for w in world.worklogs.values()) / 3600, abs=0.01 * len(world.worklogs)
    )
    sprints = query("select count(*), count(distinct sprint_id) from staging.stg_jira__sprints")
    assert sprints == [(len(world.sprints), len(world.sprints))]
    released = query("select count(*) from staging.stg_jira__versions where is_released")[0][0]
    assert released == sum(1 for v in world.versions if v.released)
    # The deleted issue's links are gone from both sides, although the issue at the other end
    # was never read again (deleting an issue does not bump its linked issues' ``updated``).
    links = set(
        query("select link_id, issue_id, linked_issue_id from staging.stg_jira__issue_links")
    )
    assert links == {
        side
        for link in world.site.links.values()
        for side in (
            (link.id, link.outward_id, link.inward_id),
            (link.id, link.inward_id, link.outward_id),
        )
    }
    (deleted_issue,) = deleted
    stale = query(
        "select count(*) from raw_jira.issue_links as l join raw_jira.issues as i"
        " on i.id = l.issue_id and i._extracted_at = l._extracted_at"
        f" where l.linked_issue_id = {deleted_issue}"
    )[0][0]
    assert stale > 0  # the raw table still has them: staging is what drops them


def test_dbt_staging_builds_and_marks_deletes(world, start_server, tmp_path, dbt_project_copy):
    sandbox = start_server(world)
    db = tmp_path / "jira.duckdb"
    _load_sync_tick_sync(
        world, sandbox, make_destination("duckdb", duckdb_path=db), tmp_path / "pipelines"
    )

    result = _dbt_build(
        dbt_project_copy,
        {"PMO_HUB_DUCKDB_PATH": str(db), "PMO_HUB_DBT_TARGET": "duckdb"},
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ERROR=0" in result.stdout and "PASS=" in result.stdout

    with duckdb.connect(str(db), read_only=True) as con:
        _assert_staging_matches_world(lambda sql: con.execute(sql).fetchall(), world)


@pytest.mark.postgres
def test_dbt_staging_builds_on_postgres(world, start_server, tmp_path):
    """raw_jira loaded into a fresh PostgreSQL database; dbt staging builds there, tests pass.

    Runs the real dbt project (it compiles as a whole), so cross-project clashes show up too.
    """
    database = f"pmo_jira_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(f"{PG_ROOT}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{database}"')
        sandbox = start_server(world)
        _load_sync_tick_sync(
            world,
            sandbox,
            make_destination("postgres", postgres_url=f"{PG_ROOT}/{database}"),
            tmp_path / "pipelines",
        )
        result = _dbt_build(
            REPO / "dbt_project",
            {
                "PMO_HUB_DBT_TARGET": "postgres",
                "PMO_HUB_PG_HOST": "127.0.0.1",
                "PMO_HUB_PG_PORT": "5432",
                "PMO_HUB_PG_USER": "postgres",
                "PMO_HUB_PG_DATABASE": database,
                "PMO_HUB_PG_SCHEMA": "pmo",
            },
            tmp_path,
        )
        assert result.returncode == 0, result.stdout[-3000:]
        assert "ERROR=0" in result.stdout and "PASS=" in result.stdout
        with psycopg2.connect(f"{PG_ROOT}/{database}") as con, con.cursor() as cur:

            def query(sql: str) -> list[tuple[Any, ...]]:
                cur.execute(sql)
                return cur.fetchall()

            _assert_staging_matches_world(query, world)
            # Views really live on PostgreSQL, typed as the contract says.
            cur.execute(
                "select data_type from information_schema.columns where table_schema = 'staging'"
                " and table_name = 'stg_jira__worklogs' and column_name = 'hours'"
            )
            assert cur.fetchone() == ("numeric",)
        con.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()


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
