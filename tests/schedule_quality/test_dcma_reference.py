"""The sandbox's DCMA reader on a corpus file and on the planted sandbox plan (fast, no dbt)."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

from sandbox.microsoft.dcma import assess
from sandbox.microsoft.mspdi import render_mspdi
from sandbox.microsoft.msproject_world import generate_msproject
from sandbox.portfolio import generate_portfolio

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PMO_HUB_MPXJ_CORPUS", ROOT.parent / "shared" / "corpora" / "mpxj"))


def test_task_links_file_counted_by_hand() -> None:
    path = CORPUS / "generated/task-links/task-links-project2016-mspdi.xml"
    results = assess(path, date(2016, 2, 1))
    # 8 links: types 1,1,1,1,1,2,3,0 (5 FS); lags 0, then 1..10 days on the other 7.
    assert results["DCMA-04"].population == 8
    assert results["DCMA-04"].offending == [12, 14, 16]
    assert results["DCMA-04"].is_pass is False
    assert len(results["DCMA-03"].offending) == 7
    assert results["DCMA-02"].offending == [] and results["DCMA-02"].is_pass is True


def test_sandbox_plants_a_plan_failing_several_checks_and_an_overallocation() -> None:
    portfolio = generate_portfolio("XS", seed=14)
    plans = generate_msproject(portfolio)
    failing = {f.key for f in portfolio.manifest.by_rule("GV-06")}
    for check in ("DCMA-01", "DCMA-02", "DCMA-05"):
        assert any(key.endswith(check) for key in failing), check
    # The manifest is exactly what the reader finds in the served XML.
    derived = {
        f"{plan.file_name}|{check_id}"
        for plan in plans
        for check_id, result in assess(io.StringIO(render_mspdi(plan)), plan.status_date).items()
        if result.is_pass is False
    }
    assert derived == failing
    (cap,) = portfolio.manifest.by_rule("CAP-01")
    assert portfolio.person(cap.key).email in {r.email for p in plans for r in p.resources}
