"""Site custom fields, field roles, comments and links: synced equal to the world, drift absorbed.

Drift scenarios follow what happens on a real site between two runs: a field is added (and
filled in, which bumps the issues' ``updated``), renamed, retyped (values converted), deleted.
The next incremental run must pick all of it up without failing and without a full reload.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest
from jira_helpers import Warehouse, cloud_settings, dc_settings
from test_dbt_and_postgres import _dbt_build

from connectors.jira.settings import FIELD_ROLES, JiraSettings
from pipelines.runner import build_settings
from pmo_hub.config import ConfigError, load_config
from sandbox.jira.site import JiraSite
from sandbox.jira.world import JiraWorld

ROLES = {
    "finance_code": "Project Code",
    "risk_probability": "customfield_12003",  # by id
    "risk_impact": "risk impact",  # by name, any case
    "mitigation": "Mitigation",
    "decision_owner": "No Such Field",
}


def _display(site: JiraSite, world: JiraWorld, field_id: str, value) -> str:
    """The text Jira shows for a stored world value (what value_text must hold)."""
    cf = site.fields[field_id]
    if cf.kind == "select":
        return cf.option(value).value
    if cf.kind == "multiselect":
        return ", ".join(cf.option(v).value for v in value)
    if cf.kind == "labels":
        return ", ".join(value)
    if cf.kind == "user":
        return world.user_by_id[value].display_name
    if cf.kind == "number":
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def expected_values(world: JiraWorld) -> set[tuple[int, str, str]]:
    site = world.site
    return {
        (issue.id, fid, _display(site, world, fid, value))
        for issue in world.live_issues()
        for fid, value in site.issue_values(issue.id).items()
    }


def loaded_values(wh: Warehouse, world: JiraWorld) -> set[tuple[int, str, str]]:
    """Values the latest extraction of each issue carried, on fields the site still has."""
    live = {i.id for i in world.live_issues()}
    rows = wh.rows(
        "select v.issue_id, v.field_id, coalesce(v.value_text, v.value_json) "
        "from raw_jira.issue_custom_field_values v "
        "join raw_jira.issues i on i.id = v.issue_id and v._extracted_at >= i._extracted_at "
        "where v.field_id like 'customfield_12%'"
    )
    on_site = set(world.site.fields)
    return {r for r in rows if r[0] in live and r[1] in on_site}


def test_custom_fields_comments_and_links_equal_the_world(world, start_server, warehouse, caplog):
    sandbox = start_server(world)
    wh = warehouse()
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        wh.load(cloud_settings(sandbox, field_roles=ROLES))

    expected = expected_values(world)
    assert len(expected) > 500
    assert loaded_values(wh, world) == expected
    # Typed columns: numbers, dates, options, users and arrays land in their own columns.
    types = dict(
        wh.rows(
            "select field_name, min(value_type) from raw_jira.issue_custom_field_values "
            "group by 1 having count(distinct value_type) = 1"
        )
    )
    assert types["Project Code"] == "text"
    assert types["Budget Impact"] == "number"
    assert types["Target start"] == "date"
    assert types["Risk Impact"] == "option"
    assert types["Decision Owner"] == "user"
    assert types["Affected Regions"] == "array"
    assert types["Mitigation"] == "text"  # a textarea: ADF flattened to text on v3
    assert (
        wh.scalar(
            "select count(*) from raw_jira.issue_custom_field_values where field_name = 'Target start'"
            " and value_date is null"
        )
        == 0
    )

    # Options of every option field, per context.
    options = {
        (f, o, v)
        for f, o, v in wh.rows("select field_id, option_id, value from raw_jira.field_options")
    }
    assert options == {
        (cf.id, str(o.id), o.value)
        for cf in world.site.fields.values()
        if cf.kind in ("select", "multiselect")
        for o in cf.options
    }

    # Comments: every one, bodies as text, long threads read past the embedded page.
    comments = {
        (cid, iid, body)
        for cid, iid, body in wh.rows("select id, issue_id, body_text from raw_jira.issue_comments")
    }
    assert comments == {
        (c.id, c.issue_id, c.text)
        for i in world.live_issues()
        for c in world.site.issue_comments(i.id)
    }
    assert max(len(world.site.issue_comments(i.id)) for i in world.live_issues()) > 20

    # Links: each link on both of its issues.
    links = set(
        wh.rows("select id, issue_id, direction, linked_issue_id from raw_jira.issue_links")
    )
    expected_links = set()
    for link in world.site.links.values():
        expected_links.add((link.id, link.outward_id, "outward", link.inward_id))
        expected_links.add((link.id, link.inward_id, "inward", link.outward_id))
    assert links == expected_links

    # Field roles: resolved by id, by name (any case); a missing one is a warning, not a failure.
    roles = {
        r: (f, s) for r, f, s in wh.rows("select role, field_id, status from raw_jira.field_roles")
    }
    assert roles == {
        "finance_code": ("customfield_12001", "resolved"),
        "risk_probability": ("customfield_12003", "resolved"),
        "risk_impact": ("customfield_12004", "resolved"),
        "mitigation": ("customfield_12008", "resolved"),
        "decision_owner": (None, "missing"),
    }
    warnings = [r.getMessage() for r in caplog.records if "No Such Field" in r.getMessage()]
    assert warnings and "decision_owner" in warnings[0]


def test_drift_between_runs_is_absorbed_incrementally(world, start_server, warehouse):
    sandbox = start_server(world)
    wh = warehouse()
    settings = cloud_settings(sandbox, field_roles={"risk_probability": "Risk Probability"})
    wh.load(settings)
    old_prob = {
        (iid, text)
        for iid, text in wh.rows(
            "select issue_id, value_text from raw_jira.issue_custom_field_values "
            "where field_id = 'customfield_12003'"
        )
    }
    assert old_prob

    world.tick(
        drift=[
            {"op": "add_field", "name": "Vendor", "kind": "select", "options": ["Acme", "Globex"]},
            {"op": "add_field", "name": "Go-live", "kind": "date", "fill_fraction": 0.2},
            {"op": "rename_field", "field": "Cost Center", "name": "Cost Centre"},
            {"op": "change_type", "field": "Risk Probability", "kind": "number"},
            {"op": "change_values", "field": "Budget Impact", "fraction": 0.5},
            {"op": "remove_field", "field": "Affected Regions"},
        ]
    )
    wh.load(settings)  # no error, no full reload
    reread, total = wh.rows(
        "select count(*) filter (where _dlt_load_id = (select max(_dlt_load_id) "
        "from raw_jira.issues)), count(*) from raw_jira.issues"
    )[0]
    assert 0 < reread < total * 0.7  # only the issues the drift (and the tick) touched

    # Every current value equals the world's, including the new fields' values.
    assert loaded_values(wh, world) == expected_values(world)
    vendor = world.site.field_by_name("Vendor")
    new_values = wh.scalar(
        f"select count(*) from raw_jira.issue_custom_field_values where field_id = '{vendor.id}'"
    )
    assert new_values == sum(
        1 for i in world.live_issues() if vendor.id in world.site.issue_values(i.id)
    )
    assert new_values > 50
    # The field list and options follow the site; the rename is picked up.
    names = dict(wh.rows("select id, name from raw_jira.fields where id like 'customfield_12%'"))
    assert names == {cf.id: cf.name for cf in world.site.fields.values()}
    assert (
        wh.scalar(f"select count(*) from raw_jira.field_options where field_id = '{vendor.id}'")
        == 2
    )
    # The retyped field: numbers now, and the old option values are still there (history).
    retyped = wh.rows(
        "select value_type, count(*) from raw_jira.issue_custom_field_values "
        "where field_id = 'customfield_12003' group by 1 order by 1"
    )
    assert [t for t, _ in retyped] == ["number", "option"]
    still = {
        (iid, text)
        for iid, text in wh.rows(
            "select issue_id, value_text from raw_jira.issue_custom_field_values "
            "where field_id = 'customfield_12003' and value_type = 'option'"
        )
    }
    assert still == old_prob


def test_drift_in_staging_marks_current_values_and_keeps_history(
    world, start_server, tmp_path, dbt_project_copy
):
    sandbox = start_server(world)
    wh = Warehouse(tmp_path)
    settings = cloud_settings(
        sandbox,
        field_roles={"risk_probability": "Risk Probability", "finance_code": "Project Code"},
    )
    wh.load(settings)
    world.tick(
        drift=[
            {"op": "change_type", "field": "Risk Probability", "kind": "number"},
            {"op": "remove_field", "field": "Affected Regions"},
        ]
    )
    wh.load(settings)
    result = _dbt_build(
        dbt_project_copy,
        {"PMO_HUB_DUCKDB_PATH": str(wh.path), "PMO_HUB_DBT_TARGET": "duckdb"},
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(wh.path), read_only=True) as con:
        current = {
            (iid, fid, text)
            for iid, fid, text in con.execute(
                "select issue_id, field_id, coalesce(value_text, value_json) "
                "from staging.stg_jira__custom_field_values "
                "where is_current and field_id like 'customfield_12%'"
            ).fetchall()
            if iid in world.issues
        }
        history = con.execute(
            "select count(*) from staging.stg_jira__custom_field_values where not is_current "
            "and field_id in ('customfield_12003', 'customfield_12010')"
        ).fetchone()[0]
        scores = dict(
            con.execute(
                "select issue_id, risk_probability_score from staging.stg_jira__issue_field_roles "
                "where risk_probability_score is not null"
            ).fetchall()
        )
        codes = dict(
            con.execute(
                "select issue_id, finance_code from staging.stg_jira__issue_field_roles "
                "where finance_code is not null"
            ).fetchall()
        )
    # Deleted issues stay in staging until a reconcile census marks them: compare live ones.
    scores = {k: v for k, v in scores.items() if k in world.issues}
    codes = {k: v for k, v in codes.items() if k in world.issues}
    assert current == expected_values(world)
    assert history > 0  # the old option values and the deleted field's values stay as history
    prob = world.site.fields["customfield_12003"]
    assert {k: float(v) for k, v in scores.items()} == {
        i.id: world.site.issue_values(i.id)[prob.id]
        for i in world.live_issues()
        if prob.id in world.site.issue_values(i.id)
    }
    code_field = world.site.field_by_name("Project Code")
    assert codes == {
        i.id: world.site.issue_values(i.id)[code_field.id]
        for i in world.live_issues()
        if code_field.id in world.site.issue_values(i.id)
    }


def test_data_center_syncs_custom_fields_comments_and_links(world, start_server, warehouse):
    sandbox = start_server(world, mode="dc")
    wh = warehouse()
    wh.load(dc_settings(sandbox, field_roles={"finance_code": "Project Code"}))
    assert loaded_values(wh, world) == expected_values(world)
    assert wh.scalar("select count(*) from raw_jira.issue_comments") == len(world.site.comments)
    # No context/option endpoints on Data Center: the tables exist, empty.
    assert wh.scalar("select count(*) from raw_jira.field_options") == 0


def test_unknown_field_role_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown Jira field role.*finance_cod"):
        JiraSettings(
            base_url="https://x.atlassian.net", field_roles={"finance_cod": "Project Code"}
        )
    config = tmp_path / "pmo-hub.toml"
    config.write_text(
        "[sources.jira]\nenabled = true\nbase_url = 'https://acme.atlassian.net'\n"
        "email = 'sync@acme.example'\n\n[sources.jira.field_roles]\n"
        "finance_code = 'Project Code'\nrisk_probability = 'customfield_10071'\n",
        encoding="utf-8",
    )
    settings = build_settings("jira", load_config(config, environ={}))
    assert settings.field_roles == {
        "finance_code": "Project Code",
        "risk_probability": "customfield_10071",
    }
    config.write_text(config.read_text() + "budget_owner = 'Owner'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="budget_owner") as excinfo:
        build_settings("jira", load_config(config, environ={}))
    assert all(role in str(excinfo.value) for role in FIELD_ROLES)
