"""One writer per warehouse: a second run is refused at once, naming the first; stale locks are
taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from failure_helpers import REPO, run_cli, write_config

from orchestration.resources import HubConfigResource
from pmo_hub.config import load_config
from pmo_hub.errors import RunInProgressError
from pmo_hub.run_lock import acquire_run_lock, lock_path, warehouse_run_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pmo_hub.config import load_config
    from pmo_hub.run_lock import acquire_run_lock
    lock = acquire_run_lock(load_config(sys.argv[1]))
    print("held", flush=True)
    time.sleep(120)
    """
)


def _hold_in_another_process(config_file: Path, env: dict[str, str] | None = None):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(config_file)],
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_second_run_on_a_duckdb_warehouse_is_refused_at_once(tmp_path):
    path = write_config(tmp_path, "")
    config = load_config(path, environ={})
    holder = _hold_in_another_process(path)
    try:
        started = time.monotonic()
        with pytest.raises(RunInProgressError) as refused:
            acquire_run_lock(config)
        assert time.monotonic() - started < 1
        message = str(refused.value)
        assert f"another run is in progress on the warehouse {config.warehouse.duckdb_path}" in (
            message
        )
        assert f"(pid {holder.pid} on " in message and "started at 20" in message

        # The command line says the same, before starting Dagster.
        (tmp_path / "landing").mkdir()
        result = run_cli(["run", "--config", str(path)], cwd=tmp_path)
        assert result.returncode == 1 and result.seconds < 10, (result.seconds, result.text)
        assert "another run is in progress" in result.err and f"pid {holder.pid}" in result.err
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    path = write_config(tmp_path, "")
    config = load_config(path, environ={})
    holder = _hold_in_another_process(path)
    os.kill(holder.pid, signal.SIGKILL)  # no clean-up: the lock file still names it
    holder.wait()
    assert f'"pid": {holder.pid}' in lock_path(config).read_text()
    with warehouse_run_lock(config):
        assert f'"pid": {os.getpid()}' in lock_path(config).read_text()
    # Released: free for the next run.
    acquire_run_lock(config).release()


def test_the_same_process_may_nest_its_own_lock(tmp_path):
    config = load_config(write_config(tmp_path, ""), environ={})
    with warehouse_run_lock(config), warehouse_run_lock(config):
        pass
    acquire_run_lock(config).release()


@pytest.mark.postgres
def test_second_run_on_a_postgres_warehouse_is_refused_at_once(tmp_path):
    prefix = f"lock_{uuid.uuid4().hex[:8]}_"
    body = f'[warehouse]\ntarget = "postgres"\npostgres_schema_prefix = "{prefix}"\n'
    path = tmp_path / "pmo-hub.toml"
    path.write_text(body, encoding="utf-8")
    env = {"PMO_HUB_POSTGRES_URL": "postgresql://postgres@127.0.0.1:5432/test"}
    config = load_config(path, environ=env)
    holder = _hold_in_another_process(path, env)
    try:
        started = time.monotonic()
        with pytest.raises(RunInProgressError) as refused:
            acquire_run_lock(config)
        assert time.monotonic() - started < 5
        assert "another run is in progress on this PostgreSQL warehouse" in str(refused.value)
        assert f"pmo-hub run pid={holder.pid}" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()
    # The session ended with its process: PostgreSQL released the advisory lock.
    deadline = time.monotonic() + 10
    while True:
        try:
            acquire_run_lock(config).release()
            break
        except RunInProgressError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_a_run_dagster_launches_itself_is_refused_while_another_run_writes(tmp_path):
    """Schedules, sensors and the UI start runs without the CLI: the hub resource takes the lock."""
    path = write_config(tmp_path, "")

    @dg.asset
    def touches_the_warehouse(hub: HubConfigResource) -> None:
        hub.load()

    job = dg.Definitions(
        assets=[touches_the_warehouse],
        resources={"hub": HubConfigResource(config_file=str(path))},
    ).resolve_implicit_global_asset_job_def()
    holder = _hold_in_another_process(path)
    try:
        refused = job.execute_in_process(raise_on_error=False)
        assert not refused.success
        failure = next(e for e in refused.all_events if e.is_failure)
        assert "another run is in progress" in str(failure.event_specific_data)
        assert f"pid {holder.pid}" in str(failure.event_specific_data)
    finally:
        holder.kill()
        holder.wait()
    assert job.execute_in_process(raise_on_error=False).success  # free again: the run goes on
    with warehouse_run_lock(load_config(path, environ={})):  # and it let go when it ended
        pass
