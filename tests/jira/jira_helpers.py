"""Helpers shared by the Jira tests: settings, warehouses, and the world's expected tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from connectors.jira import JiraSettings
from pipelines.destinations import make_destination
from pipelines.jira_pipeline import load
from sandbox.jira.server import JiraSandbox
from sandbox.jira.world import STATUSES, JiraWorld


def cloud_settings(sandbox: JiraSandbox, **kwargs: Any) -> JiraSettings:
    return JiraSettings(
        base_url=sandbox.url,
        email=sandbox.email,
        api_token=sandbox.api_token,
        verify=sandbox.cert_path or True,
        backoff_base_seconds=0.01,
        **kwargs,
    )


def dc_settings(sandbox: JiraSandbox, **kwargs: Any) -> JiraSettings:
    return JiraSettings(
        base_url=sandbox.url,
        deployment="datacenter",
        pat=sandbox.pat,
        verify=sandbox.cert_path or True,
        backoff_base_seconds=0.01,
        **kwargs,
    )


class Warehouse:
    """One DuckDB file + one dlt pipelines dir: successive loads are incremental."""

    def __init__(self, root: Path, name: str = "jira") -> None:
        self.root = root
        self.path = root / f"{name}.duckdb"
        self.pipelines_dir = root / f"pipelines_{name}"
        self.name = name

    def load(self, settings: JiraSettings) -> Any:
        destination = make_destination("duckdb", duckdb_path=self.path)
        return load(
            settings, destination, pipelines_dir=self.pipelines_dir, pipeline_name=self.name
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.rows(sql)[0][0]


# ---- expected tables, computed from the world ------------------------------------------------


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    return int(value.replace(tzinfo=UTC).timestamp() * 1000)


def user_key(world: JiraWorld, dc: bool) -> Callable[[str | None], str | None]:
    def key(account_id: str | None) -> str | None:
        if account_id is None:
            return None
        return world.user_by_id[account_id].dc_key if dc else account_id

    return key


def expected_issues(world: JiraWorld, dc: bool = False) -> list[tuple[Any, ...]]:
    uk = user_key(world, dc)
    return sorted(
        (
            i.id,
            i.key,
            i.project_id,
            STATUSES[i.status_id][0],
            i.priority_id,
            uk(i.assignee),
            i.story_points,
            ",".join(str(s) for s in i.sprint_ids) or None,
            i.parent_id,
            i.created_ms,
            i.updated_ms,
            i.resolved_ms,
            i.time_spent_seconds or None,
            i.summary,
        )
        for i in world.live_issues()
    )


def loaded_issues(wh: Warehouse, ids: set[int] | None = None) -> list[tuple[Any, ...]]:
    rows = wh.rows(
        "select id, key, project_id, status_name, priority_id, assignee_account_id, story_points,"
        " sprint_ids, parent_id, created_at, updated_ms, resolved_at, time_spent_seconds, summary"
        " from raw_jira.issues"
    )
    out = [(*r[:9], _ms(r[9]), r[10], _ms(r[11]), *r[12:]) for r in rows]
    return sorted(r for r in out if ids is None or r[0] in ids)


def expected_changelog(world: JiraWorld, dc: bool = False) -> list[tuple[Any, ...]]:
    uk = user_key(world, dc)
    out = []
    for issue in world.live_issues():
        for h in world.histories(issue):
            for index, item in enumerate(h.items):
                out.append(
                    (h.id, index, issue.id, uk(h.author), h.created_ms, item[2], item[5], item[6])
                )
    return sorted(out)


def loaded_changelog(wh: Warehouse, ids: set[int] | None = None) -> list[tuple[Any, ...]]:
    rows = wh.rows(
        "select history_id, item_index, issue_id, author_account_id, created_at, field_id,"
        " to_value, to_string from raw_jira.changelog"
    )
    out = [(*r[:4], _ms(r[4]), *r[5:]) for r in rows]
    return sorted(r for r in out if ids is None or r[2] in ids)


def expected_worklogs(world: JiraWorld, dc: bool = False) -> list[tuple[Any, ...]]:
    uk = user_key(world, dc)
    return sorted(
        (w.id, w.issue_id, uk(w.author), w.started_ms, w.seconds, w.comment or None, w.updated_ms)
        for w in world.worklogs.values()
    )


def loaded_worklogs(wh: Warehouse) -> list[tuple[Any, ...]]:
    rows = wh.rows(
        "select id, issue_id, author_account_id, started_at, time_spent_seconds, comment, updated_at"
        " from raw_jira.worklogs where id not in (select worklog_id from raw_jira.worklogs_deleted)"
    )
    return sorted((r[0], r[1], r[2], _ms(r[3]), r[4], r[5], _ms(r[6])) for r in rows)


def expected_sprints(world: JiraWorld) -> list[tuple[Any, ...]]:
    return sorted(
        (s.id, s.board_id, s.name, s.state, s.start_ms, s.end_ms, s.complete_ms)
        for s in world.sprints
    )


def loaded_sprints(wh: Warehouse) -> list[tuple[Any, ...]]:
    rows = wh.rows(
        "select id, board_id, name, state, start_at, end_at, complete_at from raw_jira.sprints"
    )
    return sorted((*r[:4], _ms(r[4]), _ms(r[5]), _ms(r[6])) for r in rows)


def expected_versions(world: JiraWorld) -> list[tuple[Any, ...]]:
    return sorted((v.id, v.project_id, v.name, v.released, v.release_date) for v in world.versions)


def loaded_versions(wh: Warehouse) -> list[tuple[Any, ...]]:
    return sorted(
        wh.rows("select id, project_id, name, is_released, release_date from raw_jira.versions")
    )


def assert_equals_world(wh: Warehouse, world: JiraWorld, *, dc: bool = False) -> None:
    """The warehouse's live rows equal the world exactly (each table compared row by row)."""
    live = {i.id for i in world.live_issues()}
    assert loaded_issues(wh, live) == expected_issues(world, dc)
    assert loaded_changelog(wh, live) == expected_changelog(world, dc)
    assert loaded_worklogs(wh) == expected_worklogs(world, dc)
    assert loaded_sprints(wh) == expected_sprints(world)
    assert loaded_versions(wh) == expected_versions(world)
    # Merge keys hold: no duplicates anywhere.
    assert wh.scalar("select count(*) - count(distinct id) from raw_jira.issues") == 0
    assert wh.scalar("select count(*) - count(distinct id) from raw_jira.worklogs") == 0
    assert (
        wh.scalar(
            "select count(*) from (select history_id, item_index from raw_jira.changelog"
            " group by 1, 2 having count(*) > 1) as d"
        )
        == 0
    )
