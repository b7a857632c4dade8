"""Warehouse failures name their cause: a wrong PostgreSQL role fails in seconds without the
password, a blocking BI session makes dbt fail within the lock timeout naming that session, and a
DuckDB file locked by another process is reported as such (not as "check your credentials")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid

import psycopg2
import psycopg2.errors
import pytest
from dagster_dbt import DbtCliResource
from failure_helpers import REPO, run_cli, write_config

from orchestration.project import dbt_executable
from pipelines.runner import run_source
from pmo_hub.config import load_config
from pmo_hub.errors import WarehouseLockedError
from pmo_hub.postgres import explain_dbt_failure

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.mark.postgres
def test_wrong_postgres_role_fails_in_seconds_without_the_password(tmp_path):
    password = "pw-" + uuid.uuid4().hex
    path = tmp_path / "pmo-hub.toml"
    path.write_text('[warehouse]\ntarget = "postgres"\n', encoding="utf-8")
    url = f"postgresql://no_such_role_9b:{password}@127.0.0.1:5432/test"
    result = run_cli(
        ["run", "--config", str(path)], cwd=tmp_path, env={"PMO_HUB_POSTGRES_URL": url}
    )
    assert result.returncode == 1 and result.seconds < 10, (result.seconds, result.text)
    assert "PostgreSQL at 127.0.0.1:5432/test as role 'no_such_role_9b'" in result.err
    assert 'role "no_such_role_9b" does not exist' in result.err
    assert "PMO_HUB_POSTGRES_URL" in result.err
    assert password not in result.text


DBT_PROJECT = """
name: pmo_hub_lock_probe
version: "1.0.0"
profile: pmo_hub
model-paths: ["models"]
"""


@pytest.mark.postgres
def test_lock_timeout_from_the_dbt_environment_fires_and_names_the_blocker(tmp_path):
    """The mechanism without dbt's start-up: a connection opened with the environment dbt gets
    (PGOPTIONS) gives up after lock_timeout_s, and the diagnosis names the blocking session."""
    schema = f"lock_probe_{uuid.uuid4().hex[:10]}"
    path = tmp_path / "pmo-hub.toml"
    path.write_text('[warehouse]\ntarget = "postgres"\nlock_timeout_s = 1\n', encoding="utf-8")
    config = load_config(path, environ={"PMO_HUB_POSTGRES_URL": PG_URL})
    blocker = psycopg2.connect(PG_URL, application_name="bi-tool-9b-fast")
    writer = None
    saved = dict(os.environ)
    try:
        with blocker.cursor() as cur:
            cur.execute(f'create schema "{schema}"')
            cur.execute(f'create table "{schema}".fct_probe as select 0 as id')
        blocker.commit()
        with blocker.cursor() as cur:
            cur.execute(f'select count(*) from "{schema}".fct_probe')  # transaction left open
        os.environ.update(config.dbt_env())  # PGOPTIONS / PGAPPNAME, as dbt's process has them
        writer = psycopg2.connect(PG_URL)
        started = time.monotonic()
        with pytest.raises(psycopg2.errors.LockNotAvailable) as failure, writer.cursor() as cur:
            cur.execute(f'alter table "{schema}".fct_probe rename to fct_probe__backup')
        assert 0.9 < time.monotonic() - started < 10
        explained = explain_dbt_failure(failure.value, config)
        assert isinstance(explained, WarehouseLockedError)
        message = str(explained)
        assert "waited 1 s ([warehouse] lock_timeout_s)" in message
        assert f"pid {blocker.get_backend_pid()}" in message and "bi-tool-9b-fast" in message
        assert f"{schema}.fct_probe" in message and "AccessShareLock" in message
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if writer is not None:
            writer.close()
        blocker.rollback()
        with blocker.cursor() as cur:
            cur.execute(f'drop schema if exists "{schema}" cascade')
        blocker.commit()
        blocker.close()


# dbt's start-up alone takes 10-40 s on the shared 2-core machine: slow tier (`make test-all`).
@pytest.mark.slow
@pytest.mark.postgres
def test_blocking_reader_makes_dbt_fail_within_the_lock_timeout_naming_it(tmp_path):
    schema = f"lock_probe_{uuid.uuid4().hex[:10]}"
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(DBT_PROJECT, encoding="utf-8")
    (project / "models" / "mart_probe.sql").write_text(
        "{{ config(materialized='table') }}\nselect 1 as id\n", encoding="utf-8"
    )
    path = tmp_path / "pmo-hub.toml"
    path.write_text('[warehouse]\ntarget = "postgres"\nlock_timeout_s = 2\n', encoding="utf-8")
    config = load_config(path, environ={"PMO_HUB_POSTGRES_URL": PG_URL})

    # A BI session reads the mart and leaves its transaction open (ACCESS SHARE held).
    blocker = psycopg2.connect(PG_URL, application_name="bi-tool-9b-test")
    try:
        with blocker.cursor() as cur:
            cur.execute(f'create schema "{schema}"')
            cur.execute(f'create table "{schema}".mart_probe as select 0 as id')
        blocker.commit()
        with blocker.cursor() as cur:
            cur.execute(f'select count(*) from "{schema}".mart_probe')
            blocker_pid = blocker.get_backend_pid()

        env = {**config.dbt_env(), "PMO_HUB_PG_SCHEMA": schema}
        saved = dict(os.environ)
        os.environ.update(env)  # as orchestration/assets/transform.py does
        try:
            dbt = DbtCliResource(
                project_dir=str(project),
                profiles_dir=str(REPO / "dbt_project"),
                dbt_executable=dbt_executable(),
            )
            started = time.monotonic()
            with pytest.raises(Exception) as failure:
                dbt.cli(["run", "--target-path", str(tmp_path / "target")]).wait()
            seconds = time.monotonic() - started
        finally:
            os.environ.clear()
            os.environ.update(saved)
        explained = explain_dbt_failure(failure.value, config, step="dbt (dbt_core)")
        assert isinstance(explained, WarehouseLockedError), failure.value
        message = str(explained)
        # dbt's own start-up takes seconds on a busy machine; the wait itself is 2 s, not forever.
        assert seconds < 60, seconds
        assert "dbt (dbt_core) waited 2 s ([warehouse] lock_timeout_s)" in message
        assert f"pid {blocker_pid}" in message and "bi-tool-9b-test" in message
        assert "idle in transaction" in message and f"{schema}.mart_probe" in message
    finally:
        blocker.rollback()
        with blocker.cursor() as cur:
            cur.execute(f'drop schema if exists "{schema}" cascade')
        blocker.commit()
        blocker.close()


DUCKDB_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    time.sleep(120)
    """
)


def test_duckdb_file_locked_by_another_process_is_named(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "projects.csv").write_text("project_code,project_name\nP1,One\n", encoding="utf-8")
    path = write_config(
        tmp_path, f'[sources.finance]\nenabled = true\nlanding_dirs = ["{landing}"]\n'
    )
    config = load_config(path, environ={})
    holder = subprocess.Popen(
        [sys.executable, "-c", DUCKDB_HOLDER, str(config.warehouse.duckdb_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLockedError) as failure:
            run_source("finance", config)
        message = str(failure.value)
        assert (
            f"the warehouse file {config.warehouse.duckdb_path} is locked by another process"
            in (message)
        )
        assert f"PID {holder.pid}" in message
        assert "credentials" not in message
    finally:
        holder.kill()
        holder.wait()
