"""The report site after real runs of the sync job on the sandbox world, then again after the
sandbox clock moved a week: counts per rule equal the warehouse, every exception names its source
record, the second run shows new and resolved exceptions with their ages, and every page renders
in headless Chromium without console errors (screenshots kept under reports/screenshots/)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pmo_hub.runs import run_sync_job
from sandbox.runtime import RunningSandbox, start_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports_sandbox")]
TICK_DAYS = 7


def _write_config(sandbox: RunningSandbox, directory: Path) -> Path:
    warehouse = {
        "target": "duckdb",
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


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox"), tier="XS", seed=14)
    directory = tmp_path_factory.mktemp("hub")
    mp = pytest.MonkeyPatch()
    for name, value in sandbox.secrets().items():
        mp.setenv(name, value)
    try:
        first_as_of = sandbox.world.now.date()
        first = run_sync_job(_write_config(sandbox, directory))
        first_counts = _rule_counts_in_report(directory / "reports" / "compliance.html")
        sandbox.tick(TICK_DAYS)
        # The config pins "today" to the sandbox clock: written again after the tick.
        second = run_sync_job(_write_config(sandbox, directory))
        yield {
            "directory": directory,
            "first": first,
            "second": second,
            "first_as_of": first_as_of,
            "second_as_of": sandbox.world.now.date(),
            "first_counts": first_counts,
        }
    finally:
        mp.undo()
        sandbox.stop()


def _rule_counts_in_report(path: Path) -> dict[str, int]:
    html = path.read_text(encoding="utf-8")
    return {
        rule: int(count)
        for rule, count in re.findall(
            r"<span class='rule-count' data-rule='([A-Z]+-\d+)'>(\d+)</span>", html
        )
    }


def _warehouse(directory: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(directory / "warehouse" / "pmo.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_both_runs_succeed_and_write_the_site(two_runs) -> None:
    assert two_runs["first"].success, two_runs["first"].failed_steps
    assert two_runs["second"].success, two_runs["second"].failed_steps
    reports = two_runs["directory"] / "reports"
    for name in ("index.html", "compliance.html", "portfolio.html"):
        assert (reports / name).exists(), name
    projects = _warehouse(
        two_runs["directory"], "select count(*) from core.dim_project where not is_unknown_member"
    )[0][0]
    assert len(list((reports / "projects").glob("*.html"))) == projects > 0


def test_report_counts_per_rule_equal_the_warehouse(two_runs) -> None:
    directory = two_runs["directory"]
    expected = dict(
        _warehouse(
            directory,
            "select s.rule_id, count(e.exception_key) from compliance.mart_compliance_summary s "
            "left join compliance.fct_dq_exceptions e on s.rule_id = e.rule_id group by 1",
        )
    )
    assert _rule_counts_in_report(directory / "reports" / "compliance.html") == expected
    assert sum(expected.values()) > 0


def test_every_exception_has_a_source_locator(two_runs) -> None:
    rows = _warehouse(
        two_runs["directory"],
        "select rule_id, source_system, entity_type, source_locator, source_item_key, "
        "source_file, source_line, source_url from compliance.fct_dq_exceptions",
    )
    assert rows and all(r[3] and r[4] for r in rows)
    finance_lines = [r for r in rows if r[1] == "finance" and r[2] in ("invoice_line", "csv_row")]
    assert finance_lines and all(r[5] and r[6] for r in finance_lines)
    jira_issues = [r for r in rows if r[1] == "jira" and r[2] in ("raid_item", "time_entry")]
    assert jira_issues and all(r[7] and "/browse/" in r[7] for r in jira_issues)


def test_second_run_shows_new_and_resolved_exceptions_with_ages(two_runs) -> None:
    directory = two_runs["directory"]
    first_as_of, second_as_of = two_runs["first_as_of"], two_runs["second_as_of"]
    assert second_as_of - first_as_of == timedelta(days=TICK_DAYS)
    history = _warehouse(
        directory,
        "select is_open, first_detected_on, resolved_on, age_days "
        "from compliance.exception_history",
    )
    carried = [h for h in history if h[0] and h[1] == first_as_of]
    new = [h for h in history if h[0] and h[1] == second_as_of]
    resolved = [h for h in history if not h[0]]
    assert carried and {h[3] for h in carried} == {TICK_DAYS}
    assert new and {h[3] for h in new} == {0}
    assert all(h[2] == second_as_of and h[3] == TICK_DAYS for h in resolved)
    open_now = _warehouse(directory, "select count(*) from compliance.fct_dq_exceptions")[0][0]
    assert len(carried) + len(new) == open_now
    index = (directory / "reports" / "index.html").read_text(encoding="utf-8")
    assert f"<div class='v'>{len(new):,}</div><div class='l'>new this run</div>" in index
    assert f"<div class='v'>{len(resolved):,}</div><div class='l'>resolved this run</div>" in index
    assert date.fromisoformat(str(second_as_of)).isoformat() in index


def test_every_page_renders_without_console_errors(two_runs, browser, screenshot_dir) -> None:
    reports = two_runs["directory"] / "reports"
    pages = [reports / n for n in ("index.html", "compliance.html", "portfolio.html")]
    pages += sorted((reports / "projects").glob("*.html"))
    for page in pages:
        visit = browser.visit(page.as_uri(), screenshot_dir / f"sandbox-{page.stem}.png")
        assert visit.console_errors == [], (page.name, visit.console_errors)
        assert browser.evaluate("document.querySelectorAll('h1').length") == 1, page.name
