"""A running tier-XS sandbox and helpers to point pmo-hub at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.runtime import RunningSandbox, start_sandbox


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox"), tier="XS", seed=11)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope="module")
def write_config():
    return _write_config


def _write_config(sandbox: RunningSandbox, directory: Path, target: str = "duckdb") -> Path:
    """A pmo-hub.toml for the sandbox with its warehouse, reports and state under ``directory``."""
    warehouse = {
        "target": target,
        "duckdb_path": directory / "warehouse" / "pmo.duckdb",
        "publish_path": directory / "warehouse" / "pmo_serving.duckdb",
    }
    text = sandbox.config_toml(warehouse).replace(
        "[hub]\n",
        "[hub]\n"
        f"reports_dir = {json.dumps(str(directory / 'reports'))}\n"
        f"state_dir = {json.dumps(str(directory / 'state'))}\n",
        1,
    )
    path = directory / "pmo-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path
