"""The finance landing-folder sensor: one run per new file content, never two for the same bytes.

The cursor remembers, per path, the size, mtime and SHA-256 last seen (so unchanged files are not
re-hashed) and the set of content hashes already requested. ``run_key`` is the content hash, so
even a reset cursor cannot launch a second run for identical bytes; a re-dropped identical file
(same or another name) triggers nothing, a corrected re-issue (new bytes) triggers one run.
Partial uploads (``*.part``, ``*.tmp``) and hidden files are ignored: senders hand off by rename.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from connectors.finance.landing import sha256_file
from connectors.finance.settings import DEFAULT_IGNORE, FinanceSettings

TAG_FILE = "pmo_hub/finance_file"
TAG_SHA = "pmo_hub/finance_sha256"

LandingDirs = Sequence[str | Path] | Callable[[], Sequence[str | Path]] | None


def _landing_dirs(landing_dirs: LandingDirs) -> list[Path]:
    # Resolved at evaluation time, never at definition time (no environment reads on import).
    if landing_dirs is None:
        return list(FinanceSettings.from_env().landing_dirs)
    if callable(landing_dirs):
        return [Path(p) for p in landing_dirs()]
    return [Path(p) for p in landing_dirs]


def _candidates(folders: list[Path], ignore: Sequence[str]) -> list[Path]:
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.is_file() and not any(fnmatch.fnmatch(path.name, p) for p in ignore):
                found.append(path)
    return sorted(found)


def evaluate_landing(
    folders: list[Path], cursor: str | None, ignore: Sequence[str] = DEFAULT_IGNORE
) -> tuple[list[tuple[Path, str]], str]:
    """New (path, sha256) pairs since ``cursor``, and the next cursor (JSON)."""
    state: dict[str, Any] = json.loads(cursor) if cursor else {}
    seen_files: dict[str, list] = state.get("files", {})
    hashes: set[str] = set(state.get("hashes", []))
    new: list[tuple[Path, str]] = []
    files: dict[str, list] = {}
    for path in _candidates(folders, ignore):
        stat = path.stat()
        known = seen_files.get(str(path))
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            sha = known[2]
        else:
            sha = sha256_file(path)
        files[str(path)] = [stat.st_size, stat.st_mtime_ns, sha]
        if sha not in hashes:
            hashes.add(sha)
            new.append((path, sha))
    next_cursor = json.dumps({"files": files, "hashes": sorted(hashes)}, sort_keys=True)
    return new, next_cursor


def build_finance_landing_sensor(
    job: dg.JobDefinition | dg.UnresolvedAssetJobDefinition,
    *,
    landing_dirs: LandingDirs = None,
    name: str = "finance_landing_sensor",
    minimum_interval_seconds: int = 30,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    run_config_fn: Callable[[Path, str], dict[str, Any]] | None = None,
    ignore_patterns: Sequence[str] = DEFAULT_IGNORE,
) -> dg.SensorDefinition:
    """A sensor requesting one run of ``job`` per new file content in the landing folder(s).

    Args:
        job: the job to launch (e.g. the finance ingest + dbt job).
        landing_dirs: folders, or a callable returning them at evaluation time; None reads
            ``PMO_HUB_FINANCE_LANDING`` when the sensor evaluates.
        name: sensor name.
        minimum_interval_seconds: evaluation interval.
        default_status: Dagster sensors are off unless set to RUNNING.
        run_config_fn: builds run config from (path, sha256); tags carry both in any case.
        ignore_patterns: file-name globs never picked up.

    Returns:
        The sensor definition.
    """

    @dg.sensor(
        name=name,
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="One run per new finance file in the landing folder (run key = content hash).",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        try:
            folders = _landing_dirs(landing_dirs)
        except ValueError as exc:  # no landing folder configured: nothing to watch
            return dg.SkipReason(str(exc))
        new, next_cursor = evaluate_landing(folders, context.cursor, ignore_patterns)
        context.update_cursor(next_cursor)
        if not new:
            return dg.SkipReason("no new finance files")
        return [
            dg.RunRequest(
                run_key=sha,
                run_config=run_config_fn(path, sha) if run_config_fn else {},
                tags={TAG_FILE: str(path), TAG_SHA: sha},
            )
            for path, sha in new
        ]

    return _sensor
