"""RAID log and Jira field roles on the loaded tier-XS sandbox (DuckDB and PostgreSQL).

Expectations come from the sandbox world (its custom field values, links) and from the NPSA 5x5
risk matrix bands ("A risk matrix for risk managers", National Patient Safety Agency, 2008:
exposure 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme), not from our SQL.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pmo_dbt_helpers import duckdb_rows, postgres_rows

# The shared tier-XS build (load + dbt) takes minutes: with the PMO schema tests, in the slow tier.
pytestmark = pytest.mark.slow

RAID_TYPES = {"Risk": "risk", "Issue": "issue"}
CATEGORY_TYPES = {"Assumption": "assumption", "Decision": "decision", "Dependency": "dependency"}


def _npsa_severity(exposure: int) -> str:
    if exposure <= 3:
        return "low"
    if exposure <= 6:
        return "moderate"
    if exposure <= 12:
        return "high"
    return "extreme"


def _option_text(site, issue_id: int, name: str) -> str | None:
    cf = site.field_by_name(name)
    value = site.issue_values(issue_id).get(cf.id) if cf else None
    if value is None:
        return None
    return cf.option(value).value if cf.kind == "select" else str(value)


def _expected_raid(jira) -> dict[str, tuple[str, int | None, int | None]]:
    """issue key -> (raid type, probability score, impact score) from the world."""
    from sandbox.jira.world import ISSUE_TYPES

    site = jira.site
    out = {}
    for issue in jira.live_issues():
        type_name = ISSUE_TYPES[issue.type_id][0]
        raid_type = RAID_TYPES.get(type_name)
        category = _option_text(site, issue.id, "RAID Category")
        raid_type = raid_type or CATEGORY_TYPES.get(category or "")
        if raid_type is None:
            continue
        prob = _option_text(site, issue.id, "Risk Probability")
        impact = _option_text(site, issue.id, "Risk Impact")
        p = int(prob.split(" ")[0]) if prob else None
        i = int(impact.split(" ")[0]) if impact else None
        if raid_type == "issue" and p is None and i is not None:
            p = 5  # an issue is a risk that happened
        out[issue.key] = (raid_type, p, i)
    return out


def test_raid_items_are_the_worlds_with_npsa_severity(duckdb_build, running_xs) -> None:
    world, _ = duckdb_build
    jira = running_xs.world.jira
    expected = _expected_raid(jira)
    rows = duckdb_rows(
        world.duckdb_path,
        "select raid_item_display_key, raid_type, probability_score, impact_score, "
        "exposure_score, severity from core.fct_raid_items where source_system = 'jira'",
    )
    loaded = {r[0]: r for r in rows}
    assert set(loaded) == set(expected)
    types = {t for t, _, _ in expected.values()}
    assert types >= {"risk", "issue"} and types & set(CATEGORY_TYPES.values())
    rated = 0
    for key, (raid_type, p, i) in expected.items():
        _, got_type, got_p, got_i, exposure, severity = loaded[key]
        assert got_type == raid_type, key
        assert (got_p, got_i) == (p, i), key
        if p is not None and i is not None:
            rated += 1
            assert exposure == p * i
            assert severity == _npsa_severity(p * i), (key, p, i)
        else:
            assert exposure is None and severity == "unrated"
    assert rated > 10


def test_raid_items_carry_links_mitigation_and_decision_owner(duckdb_build, running_xs) -> None:
    world, _ = duckdb_build
    site = running_xs.world.jira.site
    jira = running_xs.world.jira
    rows = duckdb_rows(
        world.duckdb_path,
        "select source_record_id, linked_issue_count, mitigation, decision_owner_source_id, "
        "comment_count from core.fct_raid_items where source_system = 'jira'",
    )
    assert rows
    for issue_id, links, mitigation, decision_owner, comments in rows:
        iid = int(issue_id)
        live_links = [
            link
            for link in site.issue_links(iid)
            if link.outward_id in jira.issues and link.inward_id in jira.issues
        ]
        assert links == len(live_links), issue_id
        assert mitigation == _option_text(site, iid, "Mitigation")
        owner_field = site.field_by_name("Decision Owner")
        assert decision_owner == site.issue_values(iid).get(owner_field.id)
        assert comments == len(site.issue_comments(iid))


def test_jira_projects_join_budgets_through_the_finance_code_field(duckdb_build, running_xs):
    world, _ = duckdb_build
    jira = running_xs.world.jira
    rows = duckdb_rows(
        world.duckdb_path,
        "select display_key, project_code, match_method from intermediate.int_projects_identified "
        "where source_system = 'jira'",
    )
    by_key = {key: (code, method) for key, code, method in rows}
    mapped = [p for p in jira.projects if p.project_code]
    assert mapped
    for project in mapped:
        assert by_key[project.key] == (project.project_code, "finance_code_field")
    # ...and the code reaches the budgets: every mapped Jira project has budget lines.
    budgeted = {
        code
        for (code,) in duckdb_rows(
            world.duckdb_path, "select distinct project_code from core.fct_budget_lines"
        )
    }
    assert {p.project_code for p in mapped} <= budgeted


def test_raid_mart_adds_up(duckdb_build) -> None:
    world, _ = duckdb_build
    mart = duckdb_rows(
        world.duckdb_path,
        "select project_code, raid_type, item_count, open_count, open_unowned_count "
        "from marts.mart_raid_log",
    )
    facts = duckdb_rows(
        world.duckdb_path,
        "select project_code, raid_type, count(*), count(*) filter (where is_open), "
        "count(*) filter (where is_open and not has_owner) from core.fct_raid_items group by 1, 2",
    )
    assert sorted(mart) == sorted(facts)
    assert len({(r[0], r[1]) for r in mart}) == len(mart)


RAID_SQL = (
    "select raid_item_key, raid_type, project_code, owner_source_id, is_open, due_date, "
    "probability_score, impact_score, exposure_score, severity, linked_issue_count, "
    "comment_count from core.fct_raid_items"
)
MART_SQL = (
    "select project_code, raid_type, item_count, open_count, open_overdue_count, "
    "open_exposure_total, worst_open_severity_rank, open_owned_pct from marts.mart_raid_log"
)


def _norm(rows: list[tuple]) -> list[tuple]:
    def cell(v):
        if isinstance(v, float | Decimal):
            return round(Decimal(str(v)), 4)
        return v

    return sorted(tuple(cell(v) for v in r) for r in rows)


@pytest.mark.postgres
@pytest.mark.parametrize("sql", [RAID_SQL, MART_SQL], ids=["fct_raid_items", "mart_raid_log"])
def test_raid_models_on_postgres_equal_duckdb(duckdb_build, postgres_build, sql) -> None:
    duck, _ = duckdb_build
    pg, _ = postgres_build
    duck_rows = _norm(duckdb_rows(duck.duckdb_path, sql))
    assert duck_rows
    assert _norm(postgres_rows(pg.postgres_database, sql)) == duck_rows
