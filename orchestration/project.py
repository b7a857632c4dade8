"""Where the dbt project lives, and its manifest prepared on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    """
    if not MANIFEST_PATH.exists() or MANIFEST_PATH.stat().st_mtime < _newest_source_mtime():
        env = {**os.environ, "DO_NOT_TRACK": "1", "PMO_HUB_DBT_TARGET": "duckdb"}
        env.setdefault("PMO_HUB_DUCKDB_PATH", str(REPO_ROOT / "warehouse" / "pmo.duckdb"))
        result = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--no-partial-parse"],
            cwd=DBT_PROJECT_DIR,
            env={**env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return MANIFEST_PATH


def raw_source_tables() -> dict[str, list[str]]:
    """dbt sources by dataset name: the raw tables every connector must land."""
    manifest = json.loads(dbt_manifest_path().read_text())
    tables: dict[str, list[str]] = {}
    for node in manifest["sources"].values():
        tables.setdefault(node["source_name"], []).append(node["name"])
    return {k: sorted(v) for k, v in sorted(tables.items())}
