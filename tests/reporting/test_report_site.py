"""The report site rendered in headless Chromium from a small warehouse: every page loads
without console errors, shows the warehouse's counts, links to source records and escapes text.
Screenshots are kept under reports/screenshots/ (test artifacts)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from small_warehouse import HOSTILE_NAME, PERSONAL_EMAIL, build

from expectations.results import unexpected_sample
from pmo_hub.config import load_config
from reporting import write_reports


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    work = tmp_path_factory.mktemp("report_site")
    warehouse = build(
        work / "pmo.duckdb", unexpected_sample("person_email", (PERSONAL_EMAIL, "bad value"))
    )
    config_file = work / "pmo-hub.toml"
    config_file.write_text(
        f"""
[hub]
reports_dir = "{work / "reports"}"
as_of_date = "2026-11-02"

[warehouse]
target = "duckdb"
duckdb_path = "{warehouse}"

[sources.jira]
enabled = true
base_url = "https://jira.example.com"
deployment = "cloud"
email = "bot@example.com"

[sources.finance]
enabled = true
landing_dirs = ["{work}"]
""",
        encoding="utf-8",
    )
    # Module-scoped: the per-test env cleanup has not run yet, so a PMO_HUB_DUCKDB_PATH left by
    # an in-process run earlier in this worker must not redirect the report to its warehouse.
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_HUB_")}
    config = load_config(config_file, environ=clean_env)
    return warehouse, write_reports(config, dbt_target=work / "no-dbt-target")


def test_every_page_is_written(site) -> None:
    _, pages = site
    names = sorted(
        p.relative_to(p.parents[1]).as_posix() for p in pages if p.parent.name == "projects"
    )
    assert names == ["projects/P-1.html", "projects/P_2.html"]
    assert {p.name for p in pages} >= {"index.html", "compliance.html", "portfolio.html"}


def test_pages_render_without_console_errors(site, browser, screenshot_dir: Path) -> None:
    _, pages = site
    for page in pages:
        visit = browser.visit(page.as_uri(), screenshot_dir / f"small-{page.stem}.png")
        assert visit.console_errors == [], (page.name, visit.console_errors)
        assert visit.title.endswith("pmo-hub"), page.name
        # Static pages: no script ever reaches the DOM, not even from hostile names.
        assert browser.evaluate("document.scripts.length") == 0, page.name
        assert visit.screenshot is not None and visit.screenshot.stat().st_size > 5_000


def test_counts_per_rule_equal_the_warehouse(site, browser) -> None:
    warehouse, pages = site
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        expected = dict(
            con.execute(
                "select s.rule_id, count(e.exception_key) from compliance.mart_compliance_summary s "
                "left join compliance.fct_dq_exceptions e on s.rule_id = e.rule_id group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    compliance = next(p for p in pages if p.name == "compliance.html")
    browser.visit(compliance.as_uri())
    shown = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.rule-count')]"
        ".map(e => [e.dataset.rule, Number(e.textContent)]))"
    )
    assert shown == expected
    # One table row per exception under each rule, each with its source record.
    rows = browser.evaluate(
        "[...document.querySelectorAll('#AP-03 table')[0].querySelectorAll('tbody tr')]"
        ".map(r => r.cells[1].textContent)"
    )
    assert sorted(rows) == ["invoices.csv, line 12", "invoices.csv, line 14"]


def test_exceptions_link_to_their_source_record(site, browser) -> None:
    _, pages = site
    compliance = next(p for p in pages if p.name == "compliance.html")
    browser.visit(compliance.as_uri())
    links = browser.evaluate("[...document.querySelectorAll('#GV-08 a')].map(a => a.href)")
    assert "https://jira.example.com/browse/ABC-7" in links


def test_text_is_escaped_and_personal_samples_masked(site, browser) -> None:
    _, pages = site
    portfolio = next(p for p in pages if p.name == "portfolio.html")
    browser.visit(portfolio.as_uri())
    assert HOSTILE_NAME in browser.evaluate("document.body.innerText")
    assert "Acme <b>GmbH</b>" in browser.evaluate("document.body.innerText")
    compliance = next(p for p in pages if p.name == "compliance.html")
    html = compliance.read_text(encoding="utf-8")
    assert PERSONAL_EMAIL not in html
    assert "a***@example.com" in html and "bad value" not in html


def test_history_shows_new_resolved_and_age(site, browser) -> None:
    _, pages = site
    compliance = next(p for p in pages if p.name == "compliance.html")
    browser.visit(compliance.as_uri())
    resolved = browser.evaluate(
        "[...document.querySelectorAll('#AP-03 details tbody tr')].map(r => "
        "[...r.cells].map(c => c.textContent))"
    )
    assert resolved == [["V9|OLD|1", "invoices.csv, line 9", "2026-10-26", "2026-11-02", "7"]]
    index = next(p for p in pages if p.name == "index.html")
    browser.visit(index.as_uri())
    cards = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.card')]"
        ".map(c => [c.querySelector('.l').textContent, c.querySelector('.v').textContent]))"
    )
    assert cards["open exceptions"] == "4" and cards["resolved this run"] == "1"


def test_masking_keeps_the_shape_not_the_person() -> None:
    assert unexpected_sample("approver_email", ("Jo.Doe@corp.example",)) == '["J***@corp.example"]'
    assert unexpected_sample("amount", (12.5,)) == "[12.5]"
    assert unexpected_sample("vendor_name", ("Acme",)) == '["Acme"]'


def test_the_browser_harness_sees_console_errors(tmp_path: Path, browser) -> None:
    # Guards the "no console errors" assertions above: they must be able to fail.
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!doctype html><title>x</title><script>console.error('boom'); undefinedCall();</script>"
        "<img src='missing.png'>",
        encoding="utf-8",
    )
    errors = browser.visit(broken.as_uri()).console_errors
    assert any("boom" in e for e in errors)
    assert any("undefinedCall" in e for e in errors)
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors), errors


def test_portfolio_shows_failed_dcma_checks_per_plan(site, browser) -> None:
    _, pages = site
    portfolio = next(p for p in pages if p.name == "portfolio.html")
    browser.visit(portfolio.as_uri())
    text = browser.evaluate("document.body.innerText")
    section = text[text.index("Schedule quality (DCMA 14-point)") :]
    assert "plan <a>.xml" in section  # escaped, shown as text
    assert "DCMA-01 Logic" in section and "4,9,12" in section
    assert "DCMA-02 Leads" not in section  # passed checks are not listed as failures
