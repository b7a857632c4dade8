"""The static report site: overview, compliance, portfolio and one status page per project.

``write_reports(config)`` reads the warehouse (marts, compliance, dq) and dbt's run results and
writes plain HTML files with inline SVG charts under ``config.reports_dir``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pmo_hub.config import HubConfig
from reporting import data
from reporting.data import Row, Warehouse
from reporting.html_page import badge, cards, fmt, link, page, table
from reporting.links import jira_browse_url, jira_site_url
from reporting.rules import CATALOGUE, model_for_rule
from reporting.svg import RAG_COLOURS, Point, esc, hbar, heatmap, lines, scatter

DEFAULT_DBT_TARGET = Path(__file__).resolve().parents[1] / "dbt_project" / "target"
# Per-rule tables list this many exceptions; the count above them is always the full count.
MAX_ROWS_PER_RULE = 500
HEATMAP_WEEKS = 12
HEATMAP_PEOPLE = 40
JIRA_LINKED = ("task", "raid_item", "time_entry", "jira_project")
SAFE_CODE = re.compile(r"[^A-Za-z0-9._-]+")


class ReportContext:
    """Everything the pages share: config, the as-of date, links."""

    def __init__(self, config: HubConfig, dbt_target: Path, wh: Warehouse) -> None:
        self.config = config
        self.wh = wh
        self.dbt_target = dbt_target
        self.jira_site = jira_site_url(config)
        planner = config.sources.get("planner", {}) if "planner" in config.enabled else {}
        self.planner_tenant = str(planner.get("tenant_id") or "")
        self.generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.as_of = config.as_of_date or date.today().isoformat()

    def meta(self) -> str:
        return (
            f"As of {self.as_of} · generated {self.generated} · warehouse "
            f"{self.config.warehouse.target}"
        )

    def source_link(self, row: Row) -> str:
        """The locator text, linked to the record when its tool has a URL for it."""
        text = row.get("source_locator") or f"{row.get('source_system')} {row.get('entity_key')}"
        url = row.get("source_url")
        if not url and row.get("source_system") == "jira" and row.get("entity_type") in JIRA_LINKED:
            url = jira_browse_url(self.jira_site, str(row.get("source_item_key") or ""))
        if (
            not url
            and row.get("source_system") == "planner"
            and row.get("entity_type") == "task"
            and self.planner_tenant
            and row.get("source_item_key")
        ):
            url = (
                f"https://tasks.office.com/{self.planner_tenant}/Home/Task/{row['source_item_key']}"
            )
        return link(str(text), url or None)


def project_file(code: str) -> str:
    return SAFE_CODE.sub("_", code) + ".html"


# --------------------------------------------------------------------------------- queries


def _exceptions(ctx: ReportContext) -> list[Row]:
    return ctx.wh.rows(
        """
        select e.*, p.project_name, p.manager_email,
               coalesce(m.display_name, p.manager_email) as owner
        from compliance.fct_dq_exceptions as e
        left join core.dim_project as p on e.project_code = p.project_code
        left join core.dim_person as m on p.manager_person_id = m.person_id
        """,
    )


def _history(ctx: ReportContext) -> list[Row]:
    if not ctx.wh.has_table("compliance", "exception_history"):
        return []
    return ctx.wh.rows("select * from compliance.exception_history")


def _rule_config(ctx: ReportContext) -> dict[str, list[Row]]:
    config: dict[str, list[Row]] = defaultdict(list)
    for r in ctx.wh.rows("select * from compliance.mart_compliance_summary order by rule_id"):
        config[r["rule_id"]].append(r)
    return config


def _thresholds(ctx: ReportContext) -> dict[str, str]:
    if not ctx.wh.has_table("seeds", "compliance_rule_config"):
        return {}
    found: dict[str, list[str]] = defaultdict(list)
    for r in ctx.wh.rows("select * from seeds.compliance_rule_config order by rule_id"):
        if r["param_name"] != "enabled":
            value = r["param_value"]
            shown = f"{value:f}".rstrip("0").rstrip(".") if value is not None else ""
            found[r["rule_id"]].append(f"{r['param_name']} = {shown}")
    return {k: ", ".join(v) for k, v in found.items()}


def _trend(history: list[Row]) -> tuple[list[str], dict[str, list[float | None]]]:
    """Open, new and resolved exceptions per run date (as-of dates seen in the history)."""
    dates = sorted(
        {
            d
            for r in history
            for d in (r["first_detected_on"], r["last_seen_on"], r["resolved_on"])
            if d is not None
        }
    )
    open_counts, new_counts, resolved_counts = [], [], []
    for d in dates:
        open_counts.append(
            float(
                sum(
                    1
                    for r in history
                    if r["first_detected_on"] <= d
                    and (r["resolved_on"] is None or r["resolved_on"] > d)
                )
            )
        )
        new_counts.append(float(sum(1 for r in history if r["first_detected_on"] == d)))
        resolved_counts.append(float(sum(1 for r in history if r["resolved_on"] == d)))
    labels = [d.isoformat() if isinstance(d, date) else str(d) for d in dates]
    return labels, {"open": open_counts, "new": new_counts, "resolved": resolved_counts}


def _gx_results(ctx: ReportContext) -> list[Row]:
    if not ctx.wh.has_table("dq", "expectation_results"):
        return []
    sample = (
        "unexpected_sample"
        if "unexpected_sample" in ctx.wh.columns_of("dq", "expectation_results")
        else "cast(null as varchar) as unexpected_sample"
    )
    return ctx.wh.rows(
        f"""
        select run_id, checked_at, asset, suite, expectation, column_name, success, is_critical,
               unexpected_count, element_count, observed_value, {sample}
        from dq.expectation_results
        order by checked_at desc, suite, expectation, column_name
        """,
    )


# ----------------------------------------------------------------------------------- pages


def _count_table(counter: dict[str, int], header: str, limit: int = 25) -> str:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return table([header, "exceptions"], [[esc(k), str(v)] for k, v in items], numeric=[1])


def _index(ctx: ReportContext, exceptions: list[Row], history: list[Row], gx: list[Row]) -> str:
    by_rule: dict[str, int] = defaultdict(int)
    by_severity: dict[str, int] = defaultdict(int)
    by_project: dict[str, int] = defaultdict(int)
    by_owner: dict[str, int] = defaultdict(int)
    for e in exceptions:
        by_rule[e["rule_id"]] += 1
        by_severity[e["severity"] or "n/a"] += 1
        by_project[e["project_code"] or "(none)"] += 1
        by_owner[e["owner"] or "(no owner)"] += 1
    as_of = _as_of_date(ctx)
    new_now = sum(1 for h in history if h["first_detected_on"] == as_of and h["is_open"])
    resolved_now = sum(1 for h in history if h["resolved_on"] == as_of)
    dbt = data.dbt_results(ctx.dbt_target, _latest_run_id(gx))
    gx_latest = _latest_gx(gx)
    gx_failed = [g for g in gx_latest if not g["success"]]
    body = [
        cards(
            [
                ("open exceptions", f"{len(exceptions):,}"),
                ("high severity", f"{by_severity.get('high', 0):,}"),
                ("new this run", f"{new_now:,}"),
                ("resolved this run", f"{resolved_now:,}"),
                ("GX expectations failed", f"{len(gx_failed)} of {len(gx_latest)}"),
                (
                    "dbt tests error / warn",
                    f"{dbt.count('fail') + dbt.count('error')} / {dbt.count('warn')}",
                ),
            ]
        ),
        "<h2>Exceptions by rule</h2><div class='grid'><div>",
        hbar(
            [(f"{k} {CATALOGUE.get(k, ('',))[0]}", v) for k, v in sorted(by_rule.items())],
            "Exceptions by rule",
        ),
        "</div><div>",
        _count_table(by_severity, "severity"),
        "</div></div>",
        "<div class='grid'><div><h3>By project (top 25)</h3>",
        _count_table(by_project, "project"),
        "</div><div><h3>By owner (project manager, top 25)</h3>",
        _count_table(by_owner, "owner"),
        "</div></div>",
        "<h2>Trend across runs</h2>",
        lines(*_trend(history), title="Exceptions per run (as-of date)", y_label="exceptions"),
        "<h2>Data quality: Great Expectations and dbt tests</h2>",
        _quality_summary(gx_latest, dbt),
        "<p>Details: <a href='compliance.html#data-quality'>failed expectations with samples, "
        "dbt tests and run history</a>.</p>",
    ]
    return page("PMO compliance and data quality", "".join(body), "index.html", 0, ctx.meta())


def _as_of_date(ctx: ReportContext) -> date:
    return date.fromisoformat(ctx.as_of)


def _latest_gx(gx: list[Row]) -> list[Row]:
    newest: dict[str, Any] = {}
    for g in gx:
        newest[g["suite"]] = max(newest.get(g["suite"], g["checked_at"]), g["checked_at"])
    return [g for g in gx if g["checked_at"] == newest[g["suite"]]]


def _severity_of_gx(g: Row) -> str:
    if g["success"]:
        return "pass"
    return "fail" if g["is_critical"] else "warn"


def _quality_summary(gx_latest: list[Row], dbt: data.DbtResults) -> str:
    suites: dict[str, list[Row]] = defaultdict(list)
    for g in gx_latest:
        suites[g["suite"]].append(g)
    body = []
    for suite, results in sorted(suites.items()):
        failed_error = sum(1 for r in results if _severity_of_gx(r) == "fail")
        failed_warn = sum(1 for r in results if _severity_of_gx(r) == "warn")
        status = "fail" if failed_error else "warn" if failed_warn else "pass"
        body.append(
            [
                "Great Expectations",
                esc(suite),
                str(len(results)),
                str(len(results) - failed_error - failed_warn),
                str(failed_warn),
                str(failed_error),
                f"<span class='{status}'>{status}</span>",
            ]
        )
    steps: dict[str, list[data.DbtTestResult]] = defaultdict(list)
    for t in dbt.tests:
        steps[t.invocation].append(t)
    for step, tests in sorted(steps.items()):
        errors = sum(1 for t in tests if t.status in ("fail", "error"))
        warns = sum(1 for t in tests if t.status == "warn")
        status = "fail" if errors else "warn" if warns else "pass"
        body.append(
            [
                "dbt tests",
                esc(step),
                str(len(tests)),
                str(sum(1 for t in tests if t.status == "pass")),
                str(warns),
                str(errors),
                f"<span class='{status}'>{status}</span>",
            ]
        )
    return table(
        ["tool", "suite / step", "checks", "passed", "warn", "error", "status"],
        body,
        numeric=[2, 3, 4, 5],
    )


def _rule_section(
    ctx: ReportContext,
    rule_id: str,
    summary: list[Row],
    threshold: str,
    history_by_key: dict[str, Row],
    locators: dict[str, Row],
) -> str:
    name, definition = CATALOGUE.get(rule_id, (summary[0]["rule_name"] if summary else "", ""))
    count = sum(int(s["exception_count"]) for s in summary)
    severity = summary[0]["severity"] if summary else None
    model = model_for_rule(rule_id)
    evidence_columns: list[str] = []
    detail: list[Row] = []
    if count and ctx.wh.has_table("compliance", model):
        evidence_columns = [
            c for c in ctx.wh.columns_of("compliance", model) if c.startswith("evidence_")
        ]
        detail = ctx.wh.rows(
            f"select * from compliance.{model} where rule_id = ? order by project_code, entity_key",
            (rule_id,),
        )
    resolved = [h for h in history_by_key.values() if h["rule_id"] == rule_id and not h["is_open"]]
    body = []
    for r in detail[:MAX_ROWS_PER_RULE]:
        h = history_by_key.get(r["exception_key"], {})
        located = {**r, **locators.get(r["exception_key"], {})}
        body.append(
            [
                esc(r["entity_key"]),
                ctx.source_link(located),
                esc(r["project_code"]),
                *[esc(fmt(r[c])) for c in evidence_columns],
                esc(fmt(h.get("first_detected_on"))),
                esc(fmt(h.get("age_days"))),
            ]
        )
    numeric = [3 + len(evidence_columns) + 1]
    shown = (
        f"<p class='meta'>Showing {MAX_ROWS_PER_RULE:,} of {count:,}; all rows are in "
        f"compliance.{esc(model)}.</p>"
        if count > MAX_ROWS_PER_RULE
        else ""
    )
    resolved_table = ""
    if resolved:
        resolved_table = "<details><summary>Resolved ({:,})</summary>{}</details>".format(
            len(resolved),
            table(
                ["entity", "source record", "first detected", "resolved", "age (days)"],
                [
                    [
                        esc(h["entity_key"]),
                        ctx.source_link(h),
                        esc(fmt(h["first_detected_on"])),
                        esc(fmt(h["resolved_on"])),
                        esc(fmt(h["age_days"])),
                    ]
                    for h in sorted(resolved, key=lambda h: str(h["entity_key"]))[
                        :MAX_ROWS_PER_RULE
                    ]
                ],
                numeric=[4],
            ),
        )
    return (
        f"<section id='{esc(rule_id)}'><h2>{esc(rule_id)} {esc(name)} "
        f"{badge(severity, severity)}</h2>"
        f"<p><b>Checks:</b> {esc(definition)}</p>"
        f"<p><b>Threshold:</b> {esc(threshold or 'none (any occurrence)')} · "
        f"<b>Exceptions:</b> <span class='rule-count' data-rule='{esc(rule_id)}'>{count}</span>"
        f"</p>{shown}"
        + table(
            [
                "entity",
                "source record",
                "project",
                *[c.removeprefix("evidence_").replace("_", " ") for c in evidence_columns],
                "first detected",
                "age (days)",
            ],
            body,
            numeric=numeric,
        )
        + resolved_table
        + "</section>"
    )


def _compliance(
    ctx: ReportContext, history: list[Row], gx: list[Row], exceptions: list[Row]
) -> str:
    summaries = _rule_config(ctx)
    thresholds = _thresholds(ctx)
    history_by_key = {h["exception_key"]: h for h in history}
    locators = {
        e["exception_key"]: {
            "source_locator": e.get("source_locator"),
            "source_url": e.get("source_url"),
            "source_item_key": e.get("source_item_key"),
        }
        for e in exceptions
    }
    index_rows = [
        [
            f"<a href='#{esc(rule)}'>{esc(rule)}</a>",
            esc(CATALOGUE.get(rule, (s[0]["rule_name"],))[0]),
            badge(s[0]["severity"], s[0]["severity"]),
            esc(thresholds.get(rule, "")),
            str(sum(int(x["exception_count"]) for x in s)),
        ]
        for rule, s in sorted(summaries.items())
    ]
    sections = [
        _rule_section(ctx, rule, s, thresholds.get(rule, ""), history_by_key, locators)
        for rule, s in sorted(summaries.items())
    ]
    body = (
        "<h2>Rules</h2>"
        + table(["rule", "name", "severity", "threshold", "exceptions"], index_rows, numeric=[4])
        + "".join(sections)
        + "<h2 id='data-quality'>Data quality</h2>"
        + _gx_section(gx)
        + _dbt_section(ctx, _latest_run_id(gx))
    )
    return page("Compliance exceptions and data quality", body, "compliance.html", 0, ctx.meta())


def _gx_section(gx: list[Row]) -> str:
    latest = _latest_gx(gx)
    body = []
    for g in latest:
        sample = ""
        if g.get("unexpected_sample"):
            try:
                sample = ", ".join(str(v) for v in json.loads(g["unexpected_sample"]))
            except ValueError:
                sample = str(g["unexpected_sample"])
        body.append(
            [
                esc(g["suite"]),
                esc(g["expectation"]),
                esc(g["column_name"]),
                f"<span class='{_severity_of_gx(g)}'>{_severity_of_gx(g)}</span>",
                "error" if g["is_critical"] else "warn",
                esc(fmt(g["unexpected_count"])),
                esc(fmt(g["element_count"])),
                esc(sample),
            ]
        )
    runs: dict[tuple[str, Any], list[Row]] = defaultdict(list)
    for g in gx:
        runs[(g["suite"], g["checked_at"])].append(g)
    history_rows = [
        [
            esc(fmt(checked_at)),
            esc(suite),
            str(len(results)),
            str(sum(1 for r in results if not r["success"])),
        ]
        for (suite, checked_at), results in sorted(
            runs.items(), key=lambda kv: kv[0][1], reverse=True
        )
    ][:100]
    return (
        "<h3>Great Expectations: latest check of each suite</h3>"
        "<p class='meta'>Samples of unexpected values are masked where the column holds personal "
        "data (e-mail, person, approver ...).</p>"
        + table(
            [
                "suite",
                "expectation",
                "column",
                "result",
                "severity",
                "unexpected",
                "rows",
                "unexpected values (sample)",
            ],
            body,
            numeric=[5, 6],
            row_class=lambda i: _severity_of_gx(latest[i]),
        )
        + "<h3>Great Expectations run history</h3>"
        + table(["checked at (UTC)", "suite", "expectations", "failed"], history_rows, [2, 3])
    )


def _latest_run_id(gx: list[Row]) -> str | None:
    """The Dagster run that last checked data quality, i.e. that built this warehouse."""
    return str(max(gx, key=lambda g: g["checked_at"])["run_id"]) if gx else None


def _dbt_section(ctx: ReportContext, run_id: str | None) -> str:
    dbt = data.dbt_results(ctx.dbt_target, run_id)
    not_passed = [t for t in dbt.tests if t.status != "pass"]
    return (
        "<h3>dbt tests</h3>"
        + f"<p class='meta'>{len(dbt.tests):,} tests in the latest invocations "
        + esc("; ".join(dbt.invocations) or "(no dbt run results found)")
        + f": {dbt.count('pass'):,} passed, {dbt.count('warn'):,} warn, "
        + f"{dbt.count('fail') + dbt.count('error'):,} error.</p>"
        + table(
            ["test", "model", "status", "failing rows", "message"],
            [
                [
                    esc(t.name),
                    esc(t.model),
                    f"<span class='{'warn' if t.status == 'warn' else 'fail'}'>"
                    f"{esc(t.status)}</span>",
                    esc(fmt(t.failures)),
                    esc(t.message),
                ]
                for t in not_passed
            ],
            numeric=[3],
            caption="tests that did not pass",
        )
    )


def _portfolio(ctx: ReportContext) -> str:
    health = ctx.wh.rows(
        """
        select h.*, e.bac, e.ev, e.ac, e.complete_pct, e.spent_pct
        from marts.mart_portfolio_health as h
        left join marts.mart_evm_project as e on h.project_code = e.project_code
        order by h.project_code
        """,
    )
    points = [
        Point(
            float(h["cpi"]),
            float(h["spi"]),
            f"{h['project_code']} {h['project_name']}: CPI {fmt(h['cpi'], 'ratio')}, "
            f"SPI {fmt(h['spi'], 'ratio')}, RAG {h['computed_rag']}",
            RAG_COLOURS.get(h["computed_rag"], RAG_COLOURS[None]),
            f"projects/{project_file(h['project_code'])}",
        )
        for h in health
        if h["cpi"] is not None and h["spi"] is not None
    ]
    rag_count: dict[str, int] = defaultdict(int)
    for h in health:
        rag_count[h["computed_rag"]] += 1
    burn = ctx.wh.rows(
        """
        select fiscal_period, sum(budget_amount) as budget, sum(actual_amount) as actual,
               sum(commitment_amount) as commitments
        from marts.mart_budget_vs_actual group by fiscal_period order by fiscal_period
        """,
    )
    cumulative: dict[str, list[float | None]] = {"budget": [], "actual": [], "actual + commit": []}
    running = [0.0, 0.0, 0.0]
    for b in burn:
        running[0] += float(b["budget"] or 0)
        running[1] += float(b["actual"] or 0)
        running[2] += float(b["commitments"] or 0)
        cumulative["budget"].append(running[0])
        cumulative["actual"].append(running[1])
        cumulative["actual + commit"].append(running[1] + running[2])
    slips = ctx.wh.rows(
        """
        select project_code, milestone_display_key, milestone_name, slip_days, days_late,
               is_overdue
        from core.fct_milestones
        where slip_days is not null and slip_days > 0
        order by slip_days desc, milestone_display_key
        limit 15
        """,
    )
    vendors = ctx.wh.rows(
        """
        select vendor_name, sum(invoiced_amount) as invoiced, sum(non_po_amount) as non_po
        from marts.mart_vendor_spend group by vendor_name
        order by sum(invoiced_amount) desc limit 15
        """,
    )
    body = [
        cards(
            [
                ("projects", str(len(health))),
                *[(f"computed {rag}", str(rag_count.get(rag, 0))) for rag in RAG_COLOURS if rag],
            ]
        ),
        "<div class='grid'><div><h2>CPI vs SPI</h2>",
        scatter(
            points,
            "CPI (cost performance index)",
            "SPI (schedule performance index)",
            "CPI vs SPI per project (colour = computed RAG)",
        ),
        f"<p class='meta'>{len(points)} of {len(health)} projects have both indices; "
        "below 1 = over cost / behind schedule. Click a dot for the project.</p></div><div>",
        "<h2>RAG by project</h2>",
        table(
            ["project", "reported", "computed", "schedule", "cost", "days late", "CPI", "SPI"],
            [
                [
                    link(
                        f"{h['project_code']} {h['project_name'] or ''}",
                        f"projects/{project_file(h['project_code'])}",
                    ),
                    badge(h["reported_rag"]),
                    badge(h["computed_rag"]),
                    badge(h["schedule_rag"]),
                    badge(h["cost_rag"]),
                    esc(fmt(h["schedule_days_late"])),
                    esc(fmt(h["cpi"], "ratio")),
                    esc(fmt(h["spi"], "ratio")),
                ]
                for h in health
            ],
            numeric=[5, 6, 7],
        ),
        "</div></div>",
        "<h2>Budget burn by fiscal period (cumulative, reporting currency)</h2>",
        lines([b["fiscal_period"] for b in burn], cumulative, "Cumulative budget vs actual"),
        "<div class='grid'><div><h2>Milestone slip (top 15, days)</h2>",
        hbar(
            [(f"{s['project_code']} {s['milestone_name']}", float(s["slip_days"])) for s in slips],
            "Milestone slip in days",
            colours=["#c62828" if s["is_overdue"] else "#ef6c00" for s in slips],
        ),
        "</div><div><h2>Vendor spend (top 15, invoiced)</h2>",
        hbar(
            [(str(v["vendor_name"]), float(v["invoiced"] or 0)) for v in vendors],
            "Invoiced per vendor",
        ),
        "</div></div>",
        "<h2>Utilization by person and week</h2>",
        _utilization(ctx),
        "<h2 id='schedule-quality'>Schedule quality (DCMA 14-point) per MS Project plan</h2>",
        _schedule_quality(ctx),
    ]
    return page("Portfolio health", "".join(body), "portfolio.html", 0, ctx.meta())


def _schedule_quality(ctx: ReportContext) -> str:
    """Checks passed / failed per plan, then every failed check with its offending task UIDs."""
    if not ctx.wh.has_table("marts", "mart_schedule_quality"):
        return "<p class='meta'>No MS Project plans in this warehouse.</p>"
    checks = ctx.wh.rows(
        """
        select file_name, project_code, status_date, check_id, check_name, population_count,
            failing_count, measured_value, comparison, threshold_value, is_pass,
            offending_task_uids
        from marts.mart_schedule_quality
        order by file_name, check_number
        """
    )
    per_plan: dict[str, dict[str, Any]] = {}
    for c in checks:
        plan = per_plan.setdefault(
            c["file_name"],
            {"project": c["project_code"], "date": c["status_date"], "passed": 0, "failed": 0},
        )
        if c["is_pass"] is True:
            plan["passed"] += 1
        elif c["is_pass"] is False:
            plan["failed"] += 1
    failed = [c for c in checks if c["is_pass"] is False]
    return "".join(
        [
            table(
                ["plan", "project", "status date", "checks passed", "checks failed"],
                [
                    [
                        esc(name),
                        esc(p["project"] or ""),
                        esc(fmt(p["date"])),
                        esc(str(p["passed"])),
                        badge(str(p["failed"]), "Red" if p["failed"] else "Green"),
                    ]
                    for name, p in per_plan.items()
                ],
                numeric=[3, 4],
            ),
            "<p class='meta'>Thresholds from the seed dcma_check_config; each failed check is "
            "also a GV-06 exception on the compliance page.</p>",
            table(
                ["plan", "check", "failing / assessed", "measured", "threshold", "task UIDs"],
                [
                    [
                        esc(c["file_name"]),
                        esc(f"{c['check_id']} {c['check_name']}"),
                        esc(f"{fmt(c['failing_count'])} / {fmt(c['population_count'])}"),
                        esc(fmt(c["measured_value"], "ratio")),
                        esc(f"{'<=' if c['comparison'] == 'max' else '>='} ")
                        + esc(fmt(c["threshold_value"], "ratio")),
                        esc(str(c["offending_task_uids"] or "")[:200]),
                    ]
                    for c in failed
                ],
                numeric=[2, 3],
                caption="Failed checks",
            ),
        ]
    )


def _utilization(ctx: ReportContext) -> str:
    weeks = [
        r["iso_week_start"]
        for r in ctx.wh.rows(
            "select distinct iso_week_start from marts.mart_utilization "
            "order by iso_week_start desc limit ?",
            (HEATMAP_WEEKS,),
        )
    ][::-1]
    if not weeks:
        return "<p class='meta'>No utilization yet.</p>"
    people = ctx.wh.rows(
        """
        select person_id, min(department) as department, sum(logged_hours) as hours
        from marts.mart_utilization where iso_week_start >= ?
        group by person_id order by sum(logged_hours) desc, person_id limit ?
        """,
        (weeks[0], HEATMAP_PEOPLE),
    )
    chosen = {p["person_id"] for p in people}
    values: dict[tuple[str, str], float | None] = {}
    for r in ctx.wh.rows(
        "select person_id, iso_week_start, utilization_pct from marts.mart_utilization "
        "where iso_week_start >= ?",
        (weeks[0],),
    ):
        if r["person_id"] in chosen:
            value = r["utilization_pct"]
            values[(str(r["person_id"]), fmt(r["iso_week_start"]))] = (
                None if value is None else float(value)
            )
    labels = [str(p["person_id"]) for p in people]
    return (
        heatmap(labels, [fmt(w) for w in weeks], values, "Utilization (logged / capacity)")
        + f"<p class='meta'>The {len(labels)} people with most hours in the last "
        f"{len(weeks)} weeks, by HR person id (white = idle, blue = fully booked, red = "
        "overbooked).</p>"
    )


def _project_pages(ctx: ReportContext, history: list[Row]) -> dict[str, str]:
    projects = ctx.wh.rows(
        """
        select p.project_code, p.project_name, p.program_name, p.portfolio_name, p.status,
               p.stage, p.manager_email, p.start_date, p.finish_date, h.reported_rag,
               h.computed_rag, h.schedule_rag, h.cost_rag, h.schedule_days_late,
               h.overdue_milestone_count, h.last_status_date, h.is_rag_divergent
        from core.dim_project as p
        left join marts.mart_portfolio_health as h on p.project_code = h.project_code
        where not p.is_unknown_member
        order by p.project_code
        """,
    )
    evm = {r["project_code"]: r for r in ctx.wh.rows("select * from marts.mart_evm_project")}
    milestones = _group(
        ctx.wh.rows("select * from core.fct_milestones order by baseline_finish_date")
    )
    raid = _group(ctx.wh.rows("select * from core.fct_raid_items order by is_open desc, due_date"))
    budget = _group(
        ctx.wh.rows(
            """
            select project_code, fiscal_period, sum(budget_amount) as budget,
                   sum(actual_amount) as actual, sum(commitment_amount) as commitments,
                   sum(funds_available) as funds_available
            from marts.mart_budget_vs_actual group by project_code, fiscal_period
            order by project_code, fiscal_period
            """,
        )
    )
    open_exceptions = _group([h for h in history if h["is_open"]])
    pages = {}
    for p in projects:
        code = p["project_code"]
        pages[code] = _project_page(
            ctx,
            p,
            evm.get(code),
            milestones.get(code, []),
            raid.get(code, []),
            budget.get(code, []),
            open_exceptions.get(code, []),
        )
    return pages


def _group(found: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for r in found:
        grouped[r["project_code"]].append(r)
    return grouped


def _rag_reasons(p: Row, evm: Row | None) -> list[str]:
    reasons = []
    if p["schedule_rag"] and p["schedule_rag"] != "Green":
        reasons.append(
            f"Schedule {p['schedule_rag']}: {fmt(p['schedule_days_late'])} days late "
            f"({fmt(p['overdue_milestone_count'])} overdue milestones)."
        )
    if p["cost_rag"] and p["cost_rag"] != "Green" and evm:
        reasons.append(f"Cost {p['cost_rag']}: CPI {fmt(evm['cpi'], 'ratio')}.")
    if p["cost_rag"] is None:
        reasons.append("Cost RAG undefined: no actual cost yet (CPI needs AC > 0).")
    if p["is_rag_divergent"]:
        reasons.append(f"Reported {p['reported_rag']} differs from computed {p['computed_rag']}.")
    return reasons or ["Schedule and cost within thresholds."]


def _project_page(
    ctx: ReportContext,
    p: Row,
    evm: Row | None,
    milestones: list[Row],
    raid: list[Row],
    budget: list[Row],
    open_exceptions: list[Row],
) -> str:
    evm_items = [
        ("BAC", "bac", "money"),
        ("PV", "pv", "money"),
        ("EV", "ev", "money"),
        ("AC", "ac", "money"),
        ("CV", "cv", "money"),
        ("SV", "sv", "money"),
        ("CPI", "cpi", "ratio"),
        ("SPI", "spi", "ratio"),
        ("EAC (typical)", "eac_typical", "money"),
        ("ETC", "etc", "money"),
        ("VAC", "vac", "money"),
        ("TCPI", "tcpi", "ratio"),
        ("% complete", "complete_pct", "pct"),
        ("% spent", "spent_pct", "pct"),
    ]
    evm_table = (
        table(
            ["measure", "value"],
            [[esc(label), esc(fmt(evm.get(key), kind))] for label, key, kind in evm_items],
            numeric=[1],
        )
        if evm
        else "<p class='meta'>No earned value figures.</p>"
    )
    cumulative: dict[str, list[float | None]] = {"budget": [], "actual": []}
    totals = [0.0, 0.0]
    for b in budget:
        totals[0] += float(b["budget"] or 0)
        totals[1] += float(b["actual"] or 0)
        cumulative["budget"].append(totals[0])
        cumulative["actual"].append(totals[1])
    body = [
        f"<p>{esc(p['program_name'] or '')} · {esc(p['portfolio_name'] or '')} · status "
        f"{esc(p['status'])} · stage {esc(p['stage'] or '')} · {esc(fmt(p['start_date']))} to "
        f"{esc(fmt(p['finish_date']))} · last status report {esc(fmt(p['last_status_date']))}</p>",
        "<h2>RAG</h2><p>Reported ",
        badge(p["reported_rag"]),
        " · computed ",
        badge(p["computed_rag"]),
        " (schedule ",
        badge(p["schedule_rag"]),
        ", cost ",
        badge(p["cost_rag"]),
        ")</p><ul>",
        "".join(f"<li>{esc(r)}</li>" for r in _rag_reasons(p, evm)),
        "</ul><div class='grid'><div><h2>Earned value</h2>",
        evm_table,
        "</div><div><h2>Budget vs actual (cumulative)</h2>",
        lines([b["fiscal_period"] for b in budget], cumulative, "Budget vs actual", width=560),
        "</div></div>",
        table(
            ["fiscal period", "budget", "actual", "commitments", "funds available"],
            [
                [
                    esc(b["fiscal_period"]),
                    *[
                        esc(fmt(b[k], "money"))
                        for k in ("budget", "actual", "commitments", "funds_available")
                    ],
                ]
                for b in budget
            ],
            numeric=[1, 2, 3, 4],
            caption="budget vs actual per fiscal period",
        ),
        "<h2>Milestones</h2>",
        table(
            [
                "milestone",
                "baseline finish",
                "forecast",
                "actual",
                "slip (days)",
                "days late",
                "overdue",
            ],
            [
                [
                    esc(f"{m['milestone_display_key']} {m['milestone_name'] or ''}"),
                    esc(fmt(m["baseline_finish_date"])),
                    esc(fmt(m["forecast_finish_date"])),
                    esc(fmt(m["actual_finish_date"])),
                    esc(fmt(m["slip_days"])),
                    esc(fmt(m["days_late"])),
                    esc(fmt(m["is_overdue"])),
                ]
                for m in milestones
            ],
            numeric=[4, 5],
            row_class=lambda i: "fail" if milestones[i]["is_overdue"] else "",
        ),
        "<h2>RAID items</h2>",
        table(
            ["item", "type", "description", "status", "owner", "raised", "due", "overdue"],
            [
                [
                    link(
                        str(r["raid_item_display_key"]),
                        jira_browse_url(ctx.jira_site, str(r["raid_item_display_key"])) or None,
                    ),
                    esc(r["raid_type"]),
                    esc(r["description"]),
                    esc(r["status"]),
                    esc(r["owner_person_id"] or ("—" if not r["has_owner"] else "")),
                    esc(fmt(r["raised_date"])),
                    esc(fmt(r["due_date"])),
                    esc(fmt(r["is_overdue"])),
                ]
                for r in raid
            ],
        ),
        f"<h2>Open exceptions ({len(open_exceptions)})</h2>",
        table(
            ["rule", "entity", "source record", "evidence", "first detected", "age (days)"],
            [
                [
                    link(e["rule_id"], f"../compliance.html#{e['rule_id']}"),
                    esc(e["entity_key"]),
                    ctx.source_link(e),
                    esc(e["evidence"]),
                    esc(fmt(e["first_detected_on"])),
                    esc(fmt(e["age_days"])),
                ]
                for e in sorted(open_exceptions, key=lambda e: (e["rule_id"], str(e["entity_key"])))
            ],
            numeric=[5],
        ),
    ]
    title = f"{p['project_code']} {p['project_name'] or ''}"
    return page(title, "".join(body), "portfolio.html", 1, ctx.meta())


def write_reports(config: HubConfig, dbt_target: Path | None = None) -> list[Path]:
    """Write the report site under ``config.reports_dir``; returns the files written.

    Pages whose marts are missing (a first run that failed before dbt) are skipped, never
    half-written: each file is written to a temp name and renamed.
    """
    if not data.warehouse_exists(config):
        return []
    with Warehouse(config) as wh:
        pages = _render(ReportContext(config, dbt_target or DEFAULT_DBT_TARGET, wh))
    for path, html in pages.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".html.tmp")
        partial.write_text(html, encoding="utf-8")
        partial.replace(path)
    return list(pages)


def _render(ctx: ReportContext) -> dict[Path, str]:
    out = ctx.config.reports_dir
    if not ctx.wh.has_table("compliance", "fct_dq_exceptions"):
        return {}
    exceptions = _exceptions(ctx)
    history = _history(ctx)
    gx = _gx_results(ctx)
    pages: dict[Path, str] = {
        out / "index.html": _index(ctx, exceptions, history, gx),
        out / "compliance.html": _compliance(ctx, history, gx, exceptions),
    }
    if ctx.wh.has_table("marts", "mart_portfolio_health"):
        pages[out / "portfolio.html"] = _portfolio(ctx)
        for code, html in _project_pages(ctx, history).items():
            pages[out / "projects" / project_file(code)] = html
    return pages
