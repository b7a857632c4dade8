"""PMO meanings of Planner codes and the flattening of Graph's open types."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.planner.rows import (
    assignment_rows,
    parse_ts,
    plan_category_rows,
    plan_row,
    priority_label,
    status_category,
    task_details_row,
)
from connectors.planner.settings import PlannerSettings


@pytest.mark.parametrize(
    ("priority", "label"),
    [
        (0, "urgent"),
        (1, "urgent"),
        (2, "important"),
        (3, "important"),
        (4, "important"),
        (5, "medium"),
        (7, "medium"),
        (8, "low"),
        (9, "low"),
        (10, "low"),
        (11, None),
        (None, None),
    ],
)
def test_priority_label(priority: int | None, label: str | None) -> None:
    assert priority_label(priority) == label


@pytest.mark.parametrize(
    ("pct", "status"),
    [
        (0, "not_started"),
        (None, "not_started"),
        (1, "in_progress"),
        (50, "in_progress"),
        (99, "in_progress"),
        (100, "done"),
    ],
)
def test_status_category_by_range(pct: int | None, status: str) -> None:
    assert status_category(pct) == status


def test_timestamps_become_naive_utc() -> None:
    assert parse_ts("2026-11-02T12:00:00Z") == datetime(2026, 11, 2, 12, 0)
    assert parse_ts("2026-11-02T14:30:00+02:00") == datetime(2026, 11, 2, 12, 30)
    assert parse_ts(None) is None and parse_ts("") is None


def test_open_types_are_unnested() -> None:
    task = {
        "id": "t" * 28,
        "planId": "p" * 28,
        "assignments": {
            "u2": {
                "assignedDateTime": "2026-01-02T00:00:00Z",
                "assignedBy": {"user": {"id": "u9"}},
            },
            "u1": {
                "assignedDateTime": "2026-01-01T00:00:00Z",
                "assignedBy": {"user": {"id": "u9"}},
            },
        },
    }
    rows = assignment_rows(task)
    assert [(r["task_id"], r["user_id"], r["assigned_by_user_id"]) for r in rows] == [
        ("t" * 28, "u1", "u9"),
        ("t" * 28, "u2", "u9"),
    ]
    details = {
        "description": "",
        "checklist": {"123": {"title": "a", "isChecked": True}},
        "references": {"https%3A//x%2Eexample%2Ecom/a b%2Edocx": {"alias": "Spec"}},
    }
    row = task_details_row("t" * 28, "p" * 28, details)
    assert row["description"] is None
    assert row["references"][0]["url"] == "https://x.example.com/a b.docx"
    assert row["checklist"] == [
        {
            "item_id": "123",
            "title": "a",
            "is_checked": True,
            "order_hint": None,
            "modified_at": None,
        }
    ]
    labels = {"category1": "Risk", "category2": None, "category10": "Vendor", "category3": "Legal"}
    assert [
        (r["category"], r["label"])
        for r in plan_category_rows("p", {"categoryDescriptions": labels})
    ] == [
        ("category1", "Risk"),
        ("category3", "Legal"),
        ("category10", "Vendor"),
    ]
    assert plan_row({"id": "p", "owner": "g-owner", "container": None})["group_id"] == "g-owner"


def test_settings_validate_and_hide_secrets() -> None:
    with pytest.raises(ValueError, match="PMO_HUB_PLANNER_CLIENT_SECRET"):
        PlannerSettings(tenant_id="t", client_id="c")
    settings = PlannerSettings(tenant_id="t", client_id="c", client_secret="hidden-value")
    assert "hidden-value" not in repr(settings)
    assert settings.resolved_authority == "https://login.microsoftonline.com/t"
    assert settings.resolved_instance_discovery is True
    local = PlannerSettings(
        tenant_id="t", client_id="c", client_secret="x", authority="https://localhost:1/t"
    )
    assert local.resolved_instance_discovery is False
