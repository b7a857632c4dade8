"""dbt test results for the report: only the invocations of the run that built the warehouse,
with warn and error kept apart."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reporting.data import dbt_results


def _invocation(folder: Path, statuses: dict[str, str], mtime: float) -> None:
    folder.mkdir(parents=True)
    results = [
        {"unique_id": f"test.pmo_hub.{name}.abc", "status": status, "failures": 3, "message": ""}
        for name, status in statuses.items()
    ] + [{"unique_id": "model.pmo_hub.dim_project", "status": "success"}]
    (folder / "run_results.json").write_text(
        json.dumps({"metadata": {"generated_at": "t"}, "results": results}), encoding="utf-8"
    )
    nodes = {
        f"test.pmo_hub.{name}.abc": {"name": name, "attached_node": "model.pmo_hub.fct_x"}
        for name in statuses
    }
    (folder / "manifest.json").write_text(json.dumps({"nodes": nodes}), encoding="utf-8")
    os.utime(folder / "run_results.json", (mtime, mtime))


def test_only_the_warehouse_run_counts(tmp_path: Path) -> None:
    _invocation(tmp_path / "dbt_core-aaaaaaa-1111111", {"t_ok": "pass", "t_warn": "warn"}, 100)
    _invocation(tmp_path / "dbt_marts-aaaaaaa-2222222", {"t_err": "fail"}, 110)
    # A later run from the same checkout (e.g. a test against another warehouse).
    _invocation(tmp_path / "dbt_core-bbbbbbb-3333333", {"t_other": "error"}, 200)

    ours = dbt_results(tmp_path, run_id="aaaaaaa1-2345-6789")
    assert sorted((t.name, t.status, t.model) for t in ours.tests) == [
        ("t_err", "fail", "fct_x"),
        ("t_ok", "pass", "fct_x"),
        ("t_warn", "warn", "fct_x"),
    ]
    assert (ours.count("warn"), ours.count("fail"), ours.count("error")) == (1, 1, 0)

    newest = dbt_results(tmp_path)
    assert {t.name for t in newest.tests} == {"t_other", "t_err"}
