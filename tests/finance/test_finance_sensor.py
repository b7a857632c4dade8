"""The landing sensor: one run per new file content, none for a re-dropped identical file."""

from __future__ import annotations

import shutil

import dagster as dg

from orchestration.finance_landing import TAG_FILE, build_finance_landing_sensor


@dg.op
def _noop() -> None:
    return None


@dg.job
def finance_job() -> None:
    _noop()


def _evaluate(sensor: dg.SensorDefinition, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral())
    result = sensor.evaluate_tick(context)
    return result.run_requests or [], result.cursor


def test_one_run_per_new_file_and_none_for_a_re_dropped_identical_file(tmp_path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    sensor = build_finance_landing_sensor(finance_job, landing_dirs=[landing])
    (landing / "invoices_a.csv").write_text("a\n1\n", encoding="utf-8")
    (landing / "invoices_b.csv").write_text("a\n2\n", encoding="utf-8")
    (landing / "invoices_c.csv.part").write_text("a\n3\n", encoding="utf-8")
    requests, cursor = _evaluate(sensor, None)
    assert sorted(r.tags[TAG_FILE].rsplit("/", 1)[-1] for r in requests) == [
        "invoices_a.csv",
        "invoices_b.csv",
    ]
    assert len({r.run_key for r in requests}) == 2

    # Nothing new: no run.
    requests, cursor = _evaluate(sensor, cursor)
    assert requests == []

    # The same bytes dropped again (another name, new mtime): still no run.
    shutil.copyfile(landing / "invoices_a.csv", landing / "invoices_a_again.csv")
    requests, cursor = _evaluate(sensor, cursor)
    assert requests == []

    # The partial upload is renamed into place, and a corrected re-issue arrives: two runs.
    (landing / "invoices_c.csv.part").rename(landing / "invoices_c.csv")
    (landing / "invoices_b.csv").write_text("a\n2\n4\n", encoding="utf-8")
    requests, cursor = _evaluate(sensor, cursor)
    assert sorted(r.tags[TAG_FILE].rsplit("/", 1)[-1] for r in requests) == [
        "invoices_b.csv",
        "invoices_c.csv",
    ]


def test_the_run_key_is_the_content_hash(tmp_path) -> None:
    import hashlib

    (tmp_path / "f.csv").write_bytes(b"x\n")
    sensor = build_finance_landing_sensor(finance_job, landing_dirs=[tmp_path])
    requests, _ = _evaluate(sensor, None)
    assert [r.run_key for r in requests] == [hashlib.sha256(b"x\n").hexdigest()]


def test_an_unconfigured_landing_folder_skips(monkeypatch) -> None:
    monkeypatch.delenv("PMO_HUB_FINANCE_LANDING", raising=False)
    sensor = build_finance_landing_sensor(finance_job)
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    result = sensor.evaluate_tick(context)
    assert result.run_requests == [] or result.run_requests is None
    assert "PMO_HUB_FINANCE_LANDING" in (result.skip_message or "")
