"""`pmo-hub demo` at tier S as a person sees it: short, progress during the Jira load, no colour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_console_output_is_short_and_shows_jira_progress(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "pmo_hub.cli", "demo", "--tier", "S"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    lines = out.splitlines()
    assert len(lines) < 150, out
    assert "\x1b[" not in out  # piped: no colour codes
    jira_start = next(i for i, line in enumerate(lines) if line.startswith("-> raw_jira_load"))
    jira_end = next(i for i, line in enumerate(lines) if line.startswith("<- raw_jira_load"))
    progress = [line for line in lines[jira_start:jira_end] if line.startswith("   [jira]")]
    assert progress and "issues read" in progress[-1]
    assert "written in this run:" in out and "pmo_serving.duckdb" in out
    # The run landed in the project's persistent Dagster instance.
    assert (tmp_path / ".pmo-hub" / "dagster" / "dagster.yaml").exists()
