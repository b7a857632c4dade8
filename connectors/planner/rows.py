"""Flattening of Graph Planner JSON into raw rows, and the PMO meanings of Planner's codes.

Rows are flat so that staging SQL needs no JSON functions (it must run on DuckDB and PostgreSQL).
Timestamps become naive UTC ``datetime`` values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

# Planner priority is 0..10; the UI writes 1/3/5/9 (urgent/important/medium/low).
PRIORITY_LABELS = (
    (0, 1, "urgent"),
    (2, 4, "important"),
    (5, 7, "medium"),
    (8, 10, "low"),
)


def priority_label(priority: int | None) -> str | None:
    """Map Planner's 0..10 priority to urgent/important/medium/low (None when out of range)."""
    if priority is None:
        return None
    for low, high, label in PRIORITY_LABELS:
        if low <= priority <= high:
            return label
    return None


def status_category(percent_complete: int | None) -> str:
    """Map percentComplete by range: 0 not_started, 100 done, anything between in_progress."""
    pct = percent_complete or 0
    if pct >= 100:
        return "done"
    if pct <= 0:
        return "not_started"
    return "in_progress"


def parse_ts(value: str | None) -> datetime | None:
    """Parse a Graph DateTimeOffset into a naive UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _user_id(identity_set: dict[str, Any] | None) -> str | None:
    user = (identity_set or {}).get("user") or {}
    return user.get("id")


def user_row(user: dict[str, Any]) -> dict[str, Any]:
    """A ``users`` row."""
    return {
        "id": user["id"],
        "display_name": user.get("displayName"),
        "mail": user.get("mail"),
        "user_principal_name": user.get("userPrincipalName"),
        "account_enabled": user.get("accountEnabled"),
        "department": user.get("department"),
    }


def group_row(group: dict[str, Any]) -> dict[str, Any]:
    """A ``groups`` row."""
    return {
        "id": group["id"],
        "display_name": group.get("displayName"),
        "mail_nickname": group.get("mailNickname"),
        "group_types": ",".join(group.get("groupTypes") or []),
        "visibility": group.get("visibility"),
        "created_at": parse_ts(group.get("createdDateTime")),
    }


def plan_row(plan: dict[str, Any]) -> dict[str, Any]:
    """A ``plans`` row (``group_id`` from the container, falling back to the deprecated owner)."""
    container = plan.get("container") or {}
    return {
        "id": plan["id"],
        "group_id": container.get("containerId") or plan.get("owner"),
        "container_type": container.get("type"),
        "title": plan.get("title"),
        "created_at": parse_ts(plan.get("createdDateTime")),
        "created_by_user_id": _user_id(plan.get("createdBy")),
        "etag": plan.get("@odata.etag"),
    }


def plan_category_rows(plan_id: str, details: dict[str, Any]) -> list[dict[str, Any]]:
    """``plan_details`` rows: one per named category label."""
    labels = details.get("categoryDescriptions") or {}
    return [
        {"plan_id": plan_id, "category": category, "label": label}
        for category, label in sorted(labels.items(), key=lambda kv: int(kv[0][8:] or 0))
        if category.startswith("category") and label
    ]


def bucket_row(bucket: dict[str, Any]) -> dict[str, Any]:
    """A ``buckets`` row."""
    return {
        "id": bucket["id"],
        "plan_id": bucket.get("planId"),
        "name": bucket.get("name"),
        "order_hint": bucket.get("orderHint"),
        "etag": bucket.get("@odata.etag"),
    }


def task_row(task: dict[str, Any]) -> dict[str, Any]:
    """A ``tasks`` row with the PMO meanings of priority and percentComplete."""
    priority = task.get("priority")
    percent = task.get("percentComplete")
    categories = sorted(k for k, v in (task.get("appliedCategories") or {}).items() if v)
    return {
        "id": task["id"],
        "plan_id": task.get("planId"),
        "bucket_id": task.get("bucketId"),
        "title": task.get("title"),
        "percent_complete": percent,
        "status_category": status_category(percent),
        "priority": priority,
        "priority_label": priority_label(priority),
        "start_at": parse_ts(task.get("startDateTime")),
        "due_at": parse_ts(task.get("dueDateTime")),
        "completed_at": parse_ts(task.get("completedDateTime")),
        "completed_by_user_id": _user_id(task.get("completedBy")),
        "created_at": parse_ts(task.get("createdDateTime")),
        "created_by_user_id": _user_id(task.get("createdBy")),
        "applied_categories": ",".join(categories),
        "assignee_count": len(task.get("assignments") or {}),
        "has_description": task.get("hasDescription"),
        "checklist_item_count": task.get("checklistItemCount"),
        "active_checklist_item_count": task.get("activeChecklistItemCount"),
        "reference_count": task.get("referenceCount"),
        "conversation_thread_id": task.get("conversationThreadId"),
        "order_hint": task.get("orderHint"),
        "preview_type": task.get("previewType"),
        "etag": task.get("@odata.etag"),
        "is_deleted": False,
        "deleted_at": None,
    }


def assignment_rows(task: dict[str, Any]) -> list[dict[str, Any]]:
    """``task_assignments`` rows: the open type ``assignments`` unnested to task x user."""
    rows = []
    for user_id, assignment in sorted((task.get("assignments") or {}).items()):
        assignment = assignment or {}
        rows.append(
            {
                "task_id": task["id"],
                "user_id": user_id,
                "plan_id": task.get("planId"),
                "assigned_by_user_id": _user_id(assignment.get("assignedBy")),
                "assigned_at": parse_ts(assignment.get("assignedDateTime")),
                "order_hint": assignment.get("orderHint"),
            }
        )
    return rows


def task_details_row(task_id: str, plan_id: str | None, details: dict[str, Any]) -> dict[str, Any]:
    """A ``task_details`` row; checklist and references become child tables."""
    checklist = [
        {
            "item_id": item_id,
            "title": item.get("title"),
            "is_checked": item.get("isChecked"),
            "order_hint": item.get("orderHint"),
            "modified_at": parse_ts(item.get("lastModifiedDateTime")),
        }
        for item_id, item in sorted((details.get("checklist") or {}).items())
    ]
    references = [
        {
            # Graph encodes the URL (including '.') to use it as a property name.
            "url": unquote(key),
            "alias": ref.get("alias"),
            "type": ref.get("type"),
            "modified_at": parse_ts(ref.get("lastModifiedDateTime")),
        }
        for key, ref in sorted((details.get("references") or {}).items())
    ]
    return {
        "task_id": task_id,
        "plan_id": plan_id,
        "description": details.get("description") or None,
        "preview_type": details.get("previewType"),
        "checklist_item_count": len(checklist),
        "reference_count": len(references),
        "etag": details.get("@odata.etag"),
        "checklist": checklist,
        "references": references,
    }
