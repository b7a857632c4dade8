"""The Jira progress line stays one readable line however many projects one search covers."""

from __future__ import annotations

from connectors.jira import _project_group_label


def test_one_and_a_few_projects_are_named() -> None:
    assert _project_group_label(["10001"]) == "project 10001"
    assert _project_group_label(["10001", "10002", "10003"]) == "projects 10001, 10002, 10003"


def test_an_incremental_search_over_many_projects_is_counted_not_listed() -> None:
    group = [str(10100 + i) for i in range(100)]
    label = _project_group_label(group)
    assert label == "100 projects (10100 … 10199)"
    assert len(label) < 40
