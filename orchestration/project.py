"""Where the dbt project lives, and its manifest prepared on demand."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


def _newest_source_mtime() -> float:
    newest = 0.0
    for folder in ("models", "macros", "seeds", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "packages.yml", "profiles.yml"):
        newest = max(newest, (DBT_PROJECT_DIR / name).stat().st_mtime)
    return newest


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


@cache
def dbt_manifest_path() -> Path:
    """Parse the dbt project when the manifest is missing or older than any project file.

    dbt parse needs no warehouse connection; Dagster needs the manifest to build dbt asset specs.
    Several processes may import the definitions at once (pytest-xdist workers, a run beside
    `dagster dev`): a file lock makes one of them parse while the others wait, and the manifest
    is written to a temporary folder and moved into place, so no reader sees half a file.
    """
    if _manifest_is_fresh():
        return MANIFEST_PATH
    MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST_PATH.parent / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _manifest_is_fresh():  # another process parsed while this one waited
            return MANIFEST_PATH
        env = {**os.environ, "DO_NOT_TRACK": "1", "PMO_HUB_DBT_TARGET": "duckdb"}
        env.setdefault("PMO_HUB_DUCKDB_PATH", str(REPO_ROOT / "warehouse" / "pmo.duckdb"))
        with tempfile.TemporaryDirectory(dir=MANIFEST_PATH.parent, prefix=".parse-") as tmp:
            result = subprocess.run(
                [
                    dbt_executable(),
                    "parse",
                    "--quiet",
                    "--no-partial-parse",
                    "--target-path",
                    tmp,
                ],
                cwd=DBT_PROJECT_DIR,
                env={**env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
            os.replace(Path(tmp) / "manifest.json", MANIFEST_PATH)
    return MANIFEST_PATH


def _manifest_is_fresh() -> bool:
    return MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_source_mtime()


def raw_source_tables() -> dict[str, list[str]]:
    """dbt sources by dataset name: the raw tables every connector must land."""
    manifest = json.loads(dbt_manifest_path().read_text())
    tables: dict[str, list[str]] = {}
    for node in manifest["sources"].values():
        tables.setdefault(node["source_name"], []).append(node["name"])
    return {k: sorted(v) for k, v in sorted(tables.items())}
