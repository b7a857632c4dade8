"""Benchmarks run separately on one day add up to one results file per tier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import write_results
from benchmarks.bench_jira_stages import _bucket


def test_separate_runs_of_one_tier_merge_and_the_later_figure_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_results({"end_to_end": {"full_run_s": 100.0}}, "M", ["bench_end_to_end"])
    write_results({"bench_jira": {"full_sync_s": 9.0}}, "M", ["bench_jira"])
    json_path, md_path = write_results(
        {"end_to_end": {"full_run_s": 90.0}}, "M", ["bench_end_to_end"]
    )
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert document["end_to_end"] == {"full_run_s": 90.0}
    assert document["bench_jira"] == {"full_sync_s": 9.0}
    assert document["benchmarks_run"] == ["bench_jira", "bench_end_to_end"]
    assert document["tier"] == "M" and document["machine"]["cpus"]
    markdown = md_path.read_text(encoding="utf-8")
    assert "## bench_jira" in markdown and "| full_run_s | 90.0 |" in markdown
    assert "| full_run_s | 100.0 |" not in markdown


def test_another_tier_gets_a_file_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    s_path, _ = write_results({"bench_jira": {"full_sync_s": 1.0}}, "S", ["bench_jira"])
    m_path, _ = write_results({"bench_jira": {"full_sync_s": 50.0}}, "M", ["bench_jira"])
    assert s_path != m_path
    assert json.loads(s_path.read_text(encoding="utf-8"))["bench_jira"]["full_sync_s"] == 1.0


@pytest.mark.parametrize(
    ("filename", "function", "bucket"),
    [
        ("/venv/site-packages/urllib3/response.py", "read", "http_client"),
        ("~", "<method 'recv_into' of '_socket.socket' objects>", "http_client"),
        ("/usr/lib/python3.11/json/decoder.py", "raw_decode", "json_decode"),
        ("/work/connectors/jira/rows.py", "issue_row", "connector_rows"),
        ("/work/connectors/jira/__init__.py", "issues", "connector_other"),
        ("~", "<method 'acquire' of '_thread.lock' objects>", "waiting_for_worker_threads"),
        ("/venv/site-packages/dlt/extract/extract.py", "write_items", "dlt_extract"),
        ("~", "<built-in method builtins.isinstance>", "other"),
    ],
)
def test_profile_buckets_name_the_code_that_spent_the_time(
    filename: str, function: str, bucket: str
) -> None:
    assert _bucket(filename, function) == bucket


def test_step_seconds_are_read_from_the_run_console(tmp_path: Path) -> None:
    from benchmarks.bench_end_to_end import step_seconds

    console = tmp_path / "run.log"
    console.write_text(
        "-> raw_jira_load\n"
        "   [jira] project 10001: 100 issues read\n"
        "<- raw_jira_load: success (2203.7 s)\n"
        "<- dbt_core: success (91.7 s; checks 342 passed, 0 failed, 1 warning(s))\n"
        "<- raw_planner_load: failed (3.0 s)\n",
        encoding="utf-8",
    )
    assert step_seconds(console) == {
        "raw_jira_load": 2203.7,
        "dbt_core": 91.7,
        "raw_planner_load": 3.0,
    }
