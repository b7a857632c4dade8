"""The Dagster instance: project-local by default, PostgreSQL for a team (deploy/dagster)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from pmo_hub.config import HubConfig, load_config
from pmo_hub.runs import dagster_home

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dg.op
def count_to_three() -> int:
    return 3


@dg.job
def tiny_job() -> None:
    count_to_three()


def _config(tmp_path: Path) -> HubConfig:
    path = tmp_path / "pmo-hub.toml"
    path.write_text('[hub]\nstate_dir = ".pmo-hub/dlt"\n', encoding="utf-8")
    return load_config(path)


def test_project_instance_is_created_beside_the_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(_config(tmp_path))
    assert home == (tmp_path / ".pmo-hub" / "dagster").resolve()
    assert "enabled: false" in (home / "dagster.yaml").read_text(encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = tiny_job.execute_in_process(instance=instance).run_id
    # A second process (the UI) opening the same folder sees the run.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [r.run_id for r in instance.get_runs()] == [run_id]


def test_project_instance_records_events_without_an_fsync_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """~2,000 events per sync run: the local event log must not flush the disk for each one."""
    from sqlalchemy import text

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(_config(tmp_path))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = tiny_job.execute_in_process(instance=instance).run_id
        storage = instance.event_log_storage
        for shard in ("index", run_id):
            with storage._connect(shard) as connection:  # Dagster's own connection path
                assert connection.execute(text("pragma synchronous")).scalar() == 0
        assert len(instance.all_logs(run_id)) > 5  # and the events are there
    # Only the event log of this instance is relaxed: other SQLite files keep the default.
    import sqlite3

    other = sqlite3.connect(tmp_path / "other.db")
    assert other.execute("pragma synchronous").fetchone()[0] == 2
    other.close()


def test_a_moved_project_gets_its_generated_instance_settings_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(_config(tmp_path))
    settings = home / "dagster.yaml"
    settings.write_text(settings.read_text().replace(str(home), "/moved/away"))
    dagster_home(_config(tmp_path))
    assert str(home / "history" / "runs") in settings.read_text()
    # A dagster.yaml written by hand is left alone.
    settings.write_text("telemetry:\n  enabled: true\n")
    dagster_home(_config(tmp_path))
    assert settings.read_text() == "telemetry:\n  enabled: true\n"


def test_dagster_home_environment_variable_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert dagster_home(_config(tmp_path)) == (tmp_path / "elsewhere").resolve()


@pytest.fixture
def dagster_database() -> Iterator[str]:
    """A database of its own on the local PostgreSQL, dropped afterwards."""
    name = f"dagster_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (name,),
            )
            cur.execute(f'drop database if exists "{name}"')
        admin.close()


@pytest.mark.postgres
def test_team_dagster_yaml_stores_runs_in_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dagster_database: str
) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster" / "dagster.yaml", home / "dagster.yaml")
    # The driver is named as in the yaml's instructions (SQLAlchemy 2.1 defaults to psycopg 3).
    monkeypatch.setenv(
        "PMO_HUB_DAGSTER_PG_URL",
        dagster_database.replace("postgresql://", "postgresql+psycopg2://"),
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = tiny_job.execute_in_process(instance=instance)
        assert result.output_for_node("count_to_three") == 3
    # Stored in PostgreSQL, not in files under DAGSTER_HOME.
    assert not list(home.rglob("*.db"))
    con = psycopg2.connect(dagster_database)
    try:
        with con.cursor() as cur:
            cur.execute("select run_id, status from runs")
            runs = cur.fetchall()
            cur.execute(
                "select count(*) from event_logs where run_id = %s and dagster_event_type = %s",
                (result.run_id, "STEP_SUCCESS"),
            )
            step_successes = cur.fetchone()[0]
    finally:
        con.close()
    assert runs == [(result.run_id, "SUCCESS")]
    assert step_successes == 1
