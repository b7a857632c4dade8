"""What a run prints: throttled progress, dbt summarized per layer, failures explained."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from orchestration.assets.ingest import describe_failure
from orchestration.assets.transform import summarize_run_results
from pmo_hub import progress


def test_progress_prints_at_most_one_line_per_source_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]  # a settable clock: other handlers in this process may read it too
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    handler = progress.ThrottledProgressHandler(interval=3.0, stream=out)
    logger = logging.getLogger("pmo_hub.progress.test_throttle")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for at, read in ((0.0, 100), (1.0, 200), (2.0, 300), (3.5, 400)):
            now[0] = at
            progress.report("test_throttle", f"{read} issues read")
        progress.report("other", "not this logger")  # another source has its own clock
        now[0] = 3.6
        progress.report("test_throttle", "step summary", always=True)
    finally:
        logger.removeHandler(handler)
    assert out.getvalue().splitlines() == [
        "   [test_throttle] 100 issues read",
        "   [test_throttle] 400 issues read",
        "   [test_throttle] step summary",
    ]


def test_dbt_results_are_summarized_per_layer_with_failures_named() -> None:
    manifest = {
        "nodes": {
            "model.p.stg_a": {"resource_type": "model", "fqn": ["p", "staging", "x", "stg_a"]},
            "model.p.stg_b": {"resource_type": "model", "fqn": ["p", "staging", "x", "stg_b"]},
            "model.p.dim_c": {"resource_type": "model", "fqn": ["p", "marts", "core", "dim_c"]},
            "test.p.t1": {"resource_type": "test"},
            "test.p.t2": {"resource_type": "test"},
        }
    }
    results = {
        "results": [
            {"unique_id": "model.p.stg_a", "status": "success"},
            {"unique_id": "model.p.stg_b", "status": "error", "message": "Catalog Error:\n no x"},
            {"unique_id": "model.p.dim_c", "status": "skipped"},
            {"unique_id": "test.p.t1", "status": "pass"},
            {"unique_id": "test.p.t2", "status": "fail", "message": "Got 3 results"},
        ]
    }
    layers, failures = summarize_run_results(results, manifest)
    assert layers == [
        "marts.core: 1 skipped",
        "staging: 1 error, 1 success",
        "test: 1 fail, 1 pass",
    ]
    assert failures == [
        "model.p.stg_b: error: Catalog Error: no x",
        "test.p.t2: fail: Got 3 results",
    ]


def test_failure_message_is_the_root_cause_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PMO_HUB_JIRA_API_TOKEN", "s3cr3t-token-value")

    class PipelineStepFailed(Exception):  # dlt keeps the original in .exception
        def __init__(self, exception: Exception) -> None:
            super().__init__("Pipeline execution failed at stage extract ...")
            self.exception = exception

    try:
        try:
            raise ConnectionRefusedError("connect to https://jira.example.com refused")
        except ConnectionRefusedError as inner:
            raise RuntimeError("token s3cr3t-token-value rejected") from inner
    except RuntimeError as middle:
        wrapped = PipelineStepFailed(middle)
    message = describe_failure(wrapped)
    assert message == "ConnectionRefusedError: connect to https://jira.example.com refused"
    assert describe_failure(RuntimeError("token s3cr3t-token-value rejected")) == (
        "RuntimeError: token *** rejected"
    )


def test_summary_lists_files_this_run_did_not_load_with_their_reason(tmp_path: Path) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    import duckdb

    from pmo_hub.config import load_config
    from pmo_hub.runs import files_not_loaded

    db = tmp_path / "pmo.duckdb"
    config_file = tmp_path / "pmo-hub.toml"
    config_file.write_text(
        f'[warehouse]\nduckdb_path = "{db}"\n'
        f'[sources.finance]\nenabled = true\nlanding_dirs = ["{tmp_path}"]\n'
        f'[sources.msproject]\nenabled = true\nfolders = ["{tmp_path}"]\n',
        encoding="utf-8",
    )
    config = load_config(config_file, environ={})
    started = time.time()
    now, earlier = datetime.now(UTC), datetime.now(UTC) - timedelta(days=1)
    con = duckdb.connect(str(db))
    con.execute("create schema raw_finance; create schema raw_msproject")
    con.execute(
        "create table raw_finance.file_ledger (file_name varchar, file_id varchar, path varchar, "
        "sha256 varchar, status varchar, error varchar, rows_read bigint, "
        "rows_quarantined bigint, loaded_at timestamptz)"
    )
    ledger = [
        ("invoices_v2.csv", "rejected", "required column 'amount' missing", now),
        ("invoices_copy.csv", "duplicate", "same content as invoices.csv", now),
        ("invoices.csv", "loaded", None, now),
        ("old_rejected.csv", "rejected", "from an earlier run", earlier),
    ]
    for name, status, error, at in ledger:
        con.execute(
            "insert into raw_finance.file_ledger values (?, ?, ?, '', ?, ?, 1, 0, ?)",
            [name, name, str(tmp_path / name), status, error, at],
        )
    con.execute(
        "create table raw_msproject.files (file_name varchar, status varchar, "
        "error_message varchar, scanned_at timestamptz)"
    )
    con.execute(
        "insert into raw_msproject.files values "
        "('plan.mpp', 'skipped', 'skipped: install the mpp extra', ?), ('plan.xml', 'loaded', null, ?)",
        [now, now],
    )
    con.close()

    lines = files_not_loaded(config, started)

    assert lines == [
        "invoices_copy.csv: duplicate: same content as invoices.csv",
        "invoices_v2.csv: rejected: required column 'amount' missing",
        "plan.mpp: skipped: skipped: install the mpp extra",
    ]
