"""Flatten Jira payloads into typed rows and Arrow tables, so staging SQL needs no JSON functions.

Every timestamp is parsed to UTC here: Jira sends ``2022-12-08T02:22:18.889-0800`` (offset without
a colon, in the API user's zone), sprints use ``...Z`` and the bulk changelog may send epoch ms.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "issues": pa.schema(
        [
            ("id", pa.int64()),
            ("key", pa.string()),
            ("project_id", pa.int64()),
            ("project_key", pa.string()),
            ("issue_type_id", pa.int64()),
            ("issue_type_name", pa.string()),
            ("is_subtask", pa.bool_()),
            ("status_id", pa.int64()),
            ("status_name", pa.string()),
            ("status_category_key", pa.string()),
            ("priority_id", pa.int64()),
            ("priority_name", pa.string()),
            ("resolution_id", pa.int64()),
            ("resolution_name", pa.string()),
            ("summary", pa.string()),
            ("description_text", pa.string()),
            ("assignee_account_id", pa.string()),
            ("reporter_account_id", pa.string()),
            ("creator_account_id", pa.string()),
            ("parent_id", pa.int64()),
            ("parent_key", pa.string()),
            ("story_points", pa.float64()),
            ("sprint_ids", pa.string()),
            ("current_sprint_id", pa.int64()),
            ("team_id", pa.string()),
            ("team_name", pa.string()),
            ("labels", pa.string()),
            ("component_ids", pa.string()),
            ("fix_version_ids", pa.string()),
            ("created_at", TS),
            ("updated_at", TS),
            ("resolved_at", TS),
            ("due_date", pa.date32()),
            ("original_estimate_seconds", pa.int64()),
            ("time_spent_seconds", pa.int64()),
            ("updated_ms", pa.int64()),
            ("_extracted_at", TS),
        ]
    ),
    "changelog": pa.schema(
        [
            ("history_id", pa.int64()),
            ("item_index", pa.int32()),
            ("issue_id", pa.int64()),
            ("author_account_id", pa.string()),
            ("created_at", TS),
            ("field", pa.string()),
            ("field_type", pa.string()),
            ("field_id", pa.string()),
            ("from_value", pa.string()),
            ("from_string", pa.string()),
            ("to_value", pa.string()),
            ("to_string", pa.string()),
            ("_extracted_at", TS),
        ]
    ),
    "issue_field_history": pa.schema(
        [
            ("issue_id", pa.int64()),
            ("field_id", pa.string()),
            ("field_name", pa.string()),
            ("history_id", pa.int64()),  # 0 for the synthesized creation row
            ("changed_at", TS),
            ("value", pa.string()),
            ("value_string", pa.string()),
            ("author_account_id", pa.string()),
            ("is_creation", pa.bool_()),
            ("_extracted_at", TS),
        ]
    ),
    "worklogs": pa.schema(
        [
            ("id", pa.int64()),
            ("issue_id", pa.int64()),
            ("author_account_id", pa.string()),
            ("update_author_account_id", pa.string()),
            ("started_at", TS),
            ("started_date", pa.date32()),  # UTC calendar day, so SQL needs no time-zone casts
            ("time_spent_seconds", pa.int64()),
            ("comment", pa.string()),
            ("created_at", TS),
            ("updated_at", TS),
            ("_extracted_at", TS),
        ]
    ),
    "worklogs_deleted": pa.schema(
        [("worklog_id", pa.int64()), ("deleted_at", TS), ("_extracted_at", TS)]
    ),
    "issue_census": pa.schema(
        [
            ("issue_id", pa.int64()),
            ("project_id", pa.int64()),
            ("census_run_id", pa.string()),
            ("seen_at", TS),
        ]
    ),
    "issue_census_runs": pa.schema(
        [
            ("census_run_id", pa.string()),
            ("project_id", pa.int64()),
            ("census_at", TS),
            ("issue_count", pa.int64()),
        ]
    ),
    # One row per (issue, custom field, distinct value): a value seen again only refreshes
    # _extracted_at, a new value adds a row, so the table keeps every value ever seen.
    "issue_custom_field_values": pa.schema(
        [
            ("issue_id", pa.int64()),
            ("field_id", pa.string()),
            ("value_digest", pa.string()),
            ("field_name", pa.string()),  # the name when extracted (renames keep history)
            ("schema_type", pa.string()),
            ("value_type", pa.string()),  # text|number|date|datetime|option|user|array|json
            ("value_text", pa.string()),  # display text of any type
            ("value_number", pa.float64()),
            ("value_date", pa.date32()),
            ("value_timestamp", TS),
            ("value_option_id", pa.string()),
            ("value_option", pa.string()),
            ("value_user_account_id", pa.string()),
            ("value_json", pa.string()),  # arrays (and unknown objects) as JSON
            ("_extracted_at", TS),
        ]
    ),
    "issue_comments": pa.schema(
        [
            ("id", pa.int64()),
            ("issue_id", pa.int64()),
            ("author_account_id", pa.string()),
            ("update_author_account_id", pa.string()),
            ("body_text", pa.string()),
            ("created_at", TS),
            ("updated_at", TS),
            ("_extracted_at", TS),
        ]
    ),
    # A link appears on both of its issues (once outward, once inward): one row per side.
    "issue_links": pa.schema(
        [
            ("id", pa.int64()),
            ("issue_id", pa.int64()),
            ("direction", pa.string()),  # outward | inward (seen from issue_id)
            ("link_type_id", pa.int64()),
            ("link_type_name", pa.string()),
            ("relation", pa.string()),  # e.g. "blocks", "is blocked by"
            ("linked_issue_id", pa.int64()),
            ("linked_issue_key", pa.string()),
            ("_extracted_at", TS),
        ]
    ),
}


# Dimensions that must exist even when empty (no roles configured, Data Center: no contexts).
SCHEMAS.update(
    {
        "field_contexts": pa.schema(
            [
                ("field_id", pa.string()),
                ("context_id", pa.string()),
                ("name", pa.string()),
                ("description", pa.string()),
                ("is_global_context", pa.bool_()),
                ("is_any_issue_type", pa.bool_()),
            ]
        ),
        "field_options": pa.schema(
            [
                ("field_id", pa.string()),
                ("context_id", pa.string()),
                ("option_id", pa.string()),
                ("value", pa.string()),
                ("parent_option_id", pa.string()),
                ("is_disabled", pa.bool_()),
            ]
        ),
        "field_roles": pa.schema(
            [
                ("role", pa.string()),
                ("configured_as", pa.string()),
                ("field_id", pa.string()),
                ("field_name", pa.string()),
                ("schema_type", pa.string()),
                ("status", pa.string()),
            ]
        ),
    }
)

# Primary-key columns are NOT NULL, matching the hints dlt derives from ``primary_key``.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "issues": ("id",),
    "changelog": ("history_id", "item_index"),
    "issue_field_history": ("issue_id", "field_id", "history_id"),
    "worklogs": ("id",),
    "worklogs_deleted": ("worklog_id",),
    "issue_census": ("issue_id",),
    "issue_census_runs": ("census_run_id", "project_id"),
    "issue_custom_field_values": ("issue_id", "field_id", "value_digest"),
    "issue_comments": ("id",),
    "issue_links": ("id", "issue_id"),
    "field_contexts": ("field_id", "context_id"),
    "field_options": ("field_id", "context_id", "option_id"),
    "field_roles": ("role",),
}
for _name, _keys in PRIMARY_KEYS.items():
    _schema = SCHEMAS[_name]
    for _key in _keys:
        _i = _schema.get_field_index(_key)
        _schema = _schema.set(_i, _schema.field(_i).with_nullable(False))
    SCHEMAS[_name] = _schema


def _naive(schema: pa.Schema) -> pa.Schema:
    return pa.schema(
        [f.with_type(pa.timestamp("us")) if f.type == TS else f for f in schema],
        metadata=schema.metadata,
    )


# Stored as naive UTC timestamps, like every raw dataset of the hub (one convention for staging).
NAIVE_SCHEMAS = {name: _naive(schema) for name, schema in SCHEMAS.items()}


def arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMAS[table]).cast(NAIVE_SCHEMAS[table])


def naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def parse_ts(value: Any) -> datetime | None:
    """Parse Jira timestamps: epoch ms (int or digits), ``...-0800``, ``...+05:30`` or ``...Z``."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    # Python 3.11+ reads "-0800", "+05:30" and "Z" alike (and is ~10x faster than strptime).
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"Jira timestamp without an offset: {value!r}")
    return parsed.astimezone(UTC)


def to_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def adf_text(value: Any) -> str | None:
    """Plain text of an Atlassian Document Format node (v3) or the string itself (v2/DC)."""
    if value is None or isinstance(value, str):
        return value
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                parts.append(node.get("text", ""))
            for child in node.get("content", []) or []:
                walk(child)
            if node.get("type") in ("paragraph", "heading", "listItem"):
                parts.append("\n")
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return "".join(parts).strip() or None


def user_id(user: dict[str, Any] | None) -> str | None:
    """Cloud ``accountId``; Data Center has none, so its stable user ``key`` stands in."""
    if not user:
        return None
    return user.get("accountId") or user.get("key") or user.get("name")


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _ids(values: list[dict[str, Any]] | None) -> str | None:
    if not values:
        return None
    return ",".join(str(v["id"]) for v in values)


def issue_row(
    issue: dict[str, Any], custom: dict[str, str | None], extracted_at: datetime
) -> dict[str, Any]:
    """One ``issues`` row from a search result with explicit fields."""
    f = issue.get("fields") or {}
    project = f.get("project") or {}
    issuetype = f.get("issuetype") or {}
    status = f.get("status") or {}
    priority = f.get("priority") or {}
    resolution = f.get("resolution") or {}
    parent = f.get("parent") or {}
    sprints = f.get(custom["sprint"]) if custom.get("sprint") else None
    team = f.get(custom["team"]) if custom.get("team") else None
    points = f.get(custom["story_points"]) if custom.get("story_points") else None
    updated = parse_ts(f.get("updated"))
    due = f.get("duedate")
    return {
        "id": int(issue["id"]),
        "key": issue.get("key"),
        "project_id": _int(project.get("id")),
        "project_key": project.get("key"),
        "issue_type_id": _int(issuetype.get("id")),
        "issue_type_name": issuetype.get("name"),
        "is_subtask": issuetype.get("subtask"),
        "status_id": _int(status.get("id")),
        "status_name": status.get("name"),
        "status_category_key": (status.get("statusCategory") or {}).get("key"),
        "priority_id": _int(priority.get("id")),
        "priority_name": priority.get("name"),
        "resolution_id": _int(resolution.get("id")),
        "resolution_name": resolution.get("name"),
        "summary": f.get("summary"),
        "description_text": adf_text(f.get("description")),
        "assignee_account_id": user_id(f.get("assignee")),
        "reporter_account_id": user_id(f.get("reporter")),
        "creator_account_id": user_id(f.get("creator")),
        "parent_id": _int(parent.get("id")),
        "parent_key": parent.get("key"),
        "story_points": float(points) if points is not None else None,
        "sprint_ids": _ids(sprints),
        "current_sprint_id": int(sprints[-1]["id"]) if sprints else None,
        "team_id": team.get("id") if isinstance(team, dict) else team,
        "team_name": (team.get("name") or team.get("title")) if isinstance(team, dict) else None,
        "labels": ",".join(f.get("labels") or []) or None,
        "component_ids": _ids(f.get("components")),
        "fix_version_ids": _ids(f.get("fixVersions")),
        "created_at": parse_ts(f.get("created")),
        "updated_at": updated,
        "resolved_at": parse_ts(f.get("resolutiondate")),
        "due_date": date.fromisoformat(due) if due else None,
        "original_estimate_seconds": _int(f.get("timeoriginalestimate")),
        "time_spent_seconds": _int(f.get("timespent")),
        "updated_ms": to_ms(updated),
        "_extracted_at": extracted_at,
    }


def changelog_rows(
    issue_id: str, history: dict[str, Any], extracted_at: datetime
) -> list[dict[str, Any]]:
    created = parse_ts(history.get("created"))
    author = user_id(history.get("author"))
    return [
        {
            "history_id": int(history["id"]),
            "item_index": index,
            "issue_id": int(issue_id),
            "author_account_id": author,
            "created_at": created,
            "field": item.get("field"),
            "field_type": item.get("fieldtype"),
            "field_id": item.get("fieldId") or item.get("field"),
            "from_value": _str(item.get("from")),
            "from_string": _str(item.get("fromString")),
            "to_value": _str(item.get("to")),
            "to_string": _str(item.get("toString")),
            "_extracted_at": extracted_at,
        }
        for index, item in enumerate(history.get("items") or [])
    ]


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


# Fields whose creation value is synthesized (a changelog only records changes).
def current_values(
    row: dict[str, Any], custom: dict[str, str | None]
) -> dict[str, tuple[str | None, str | None]]:
    """Current (value, display) per tracked field id, from an ``issues`` row."""
    values: dict[str, tuple[str | None, str | None]] = {
        "status": (_str(row["status_id"]), row["status_name"]),
        "assignee": (row["assignee_account_id"], None),
        "priority": (_str(row["priority_id"]), row["priority_name"]),
        "resolution": (_str(row["resolution_id"]), row["resolution_name"]),
        "summary": (None, row["summary"]),
    }
    if custom.get("story_points"):
        sp = row["story_points"]
        text = None if sp is None else (str(int(sp)) if float(sp).is_integer() else str(sp))
        values[custom["story_points"]] = (None, text)  # type: ignore[index]
    if custom.get("sprint"):
        ids = row["sprint_ids"]
        values[custom["sprint"]] = (ids.replace(",", ", ") if ids else None, None)  # type: ignore[index]
    return values


FIELD_NAMES = {
    "status": "status",
    "assignee": "assignee",
    "priority": "priority",
    "resolution": "resolution",
    "summary": "summary",
}


def field_history_rows(
    issue: dict[str, Any],
    changes: list[dict[str, Any]],
    custom: dict[str, str | None],
    extracted_at: datetime,
) -> list[dict[str, Any]]:
    """Fivetran-shaped ``issue_field_history``: one row per change plus one creation row per field.

    The creation value of a field is the ``from`` of its first change, or the current value when
    it never changed (reverse-applying the changelog to the current state).
    """
    names = {
        custom[k]: n
        for k, n in (("story_points", "Story Points"), ("sprint", "Sprint"))
        if custom.get(k)
    }
    out: list[dict[str, Any]] = []
    first_change: dict[str, dict[str, Any]] = {}
    for change in sorted(
        changes, key=lambda c: (c["created_at"], c["history_id"], c["item_index"])
    ):
        field_id = change["field_id"]
        first_change.setdefault(field_id, change)
        out.append(
            {
                "issue_id": issue["id"],
                "field_id": field_id,
                "field_name": change["field"],
                "history_id": change["history_id"],
                "changed_at": change["created_at"],
                "value": change["to_value"]
                if change["to_value"] is not None
                else change["to_string"],
                "value_string": change["to_string"],
                "author_account_id": change["author_account_id"],
                "is_creation": False,
                "_extracted_at": extracted_at,
            }
        )
    for field_id, (value, display) in current_values(issue, custom).items():
        if field_id in first_change:
            first = first_change[field_id]
            value, display = first["from_value"], first["from_string"]
        initial = value if value is not None else display
        if initial is None:
            continue
        out.append(
            {
                "issue_id": issue["id"],
                "field_id": field_id,
                "field_name": FIELD_NAMES.get(field_id) or names.get(field_id, field_id),
                "history_id": 0,
                "changed_at": issue["created_at"],
                "value": initial,
                "value_string": display,
                "author_account_id": issue["reporter_account_id"],
                "is_creation": True,
                "_extracted_at": extracted_at,
            }
        )
    return out


def worklog_row(wl: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    started = parse_ts(wl.get("started"))
    return {
        "id": int(wl["id"]),
        "issue_id": int(wl["issueId"]),
        "author_account_id": user_id(wl.get("author")),
        "update_author_account_id": user_id(wl.get("updateAuthor")),
        "started_at": started,
        "started_date": started.date() if started else None,
        "time_spent_seconds": _int(wl.get("timeSpentSeconds")),
        "comment": adf_text(wl.get("comment")),
        "created_at": parse_ts(wl.get("created")),
        "updated_at": parse_ts(wl.get("updated")),
        "_extracted_at": extracted_at,
    }


# ---- custom fields, comments, links -----------------------------------------------------------

# Schema type of a field -> the typed column its values land in.
VALUE_TYPES = {
    "string": "text",
    "number": "number",
    "date": "date",
    "datetime": "datetime",
    "option": "option",
    "option-with-child": "option",
    "user": "user",
    "array": "array",
}


def _display(value: Any) -> str | None:
    """The text a person sees for one Jira value (option, user, sprint, team, version...)."""
    if value is None:
        return None
    if isinstance(value, dict):
        if value.get("type") == "doc":
            return adf_text(value)
        for key in ("value", "displayName", "name", "title", "key", "id"):
            if value.get(key) is not None:
                text = str(value[key])
                child = value.get("child")
                return f"{text} / {_display(child)}" if isinstance(child, dict) else text
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scalar(value: Any) -> Any:
    """An array element reduced to what identifies it (option value, account id, name)."""
    if isinstance(value, dict):
        if value.get("accountId") or (value.get("key") and value.get("displayName")):
            return user_id(value)
        return _display(value)
    return value


def custom_value_row(
    issue_id: int,
    field_id: str,
    field_name: str | None,
    schema_type: str | None,
    value: Any,
    extracted_at: datetime,
) -> dict[str, Any] | None:
    """One typed ``issue_custom_field_values`` row, or None for an empty value.

    The type follows the field's schema; a value that does not fit it (a field whose type
    changed between the metadata read and the issue read) falls back to what it looks like.
    """
    if value is None or value == [] or value == "":
        return None
    row: dict[str, Any] = {
        "issue_id": issue_id,
        "field_id": field_id,
        "field_name": field_name,
        "schema_type": schema_type,
        "value_text": _display(value) if not isinstance(value, list) else None,
        "_extracted_at": extracted_at,
    }
    kind = VALUE_TYPES.get(schema_type or "", "json")
    if isinstance(value, list):
        kind = "array"
    elif kind == "number" and not isinstance(value, int | float):
        kind = "text"
    elif kind in ("option", "user") and not isinstance(value, dict):
        kind = "text"
    elif kind == "text" and isinstance(value, dict) and value.get("type") != "doc":
        kind = "option" if "value" in value else "json"
    elif kind == "json" and isinstance(value, int | float) and not isinstance(value, bool):
        kind = "number"
    elif kind == "json" and isinstance(value, str):
        kind = "text"
    try:
        if kind == "number":
            row["value_number"] = float(value)
        elif kind == "date":
            row["value_date"] = date.fromisoformat(str(value)[:10])
        elif kind == "datetime":
            row["value_timestamp"] = parse_ts(value)
        elif kind == "option":
            row["value_option_id"] = _str(value.get("id"))
            row["value_option"] = _display(value)
        elif kind == "user":
            row["value_user_account_id"] = user_id(value)
        elif kind == "array":
            items = [_scalar(v) for v in value]
            row["value_json"] = json.dumps(items, default=str)
            row["value_text"] = ", ".join(str(v) for v in items if v is not None)
        elif kind == "json":
            row["value_json"] = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        kind = "text"  # unparseable for its declared type: keep the text, never fail the run
    row["value_type"] = kind
    digest_of = [kind, row["value_text"], row.get("value_json"), row.get("value_option_id")]
    row["value_digest"] = hashlib.sha1(
        json.dumps(digest_of, default=str).encode(), usedforsecurity=False
    ).hexdigest()[:16]
    return row


def comment_row(issue_id: int, comment: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    return {
        "id": int(comment["id"]),
        "issue_id": issue_id,
        "author_account_id": user_id(comment.get("author")),
        "update_author_account_id": user_id(comment.get("updateAuthor")),
        "body_text": adf_text(comment.get("body")),
        "created_at": parse_ts(comment.get("created")),
        "updated_at": parse_ts(comment.get("updated")),
        "_extracted_at": extracted_at,
    }


def link_row(issue_id: int, link: dict[str, Any], extracted_at: datetime) -> dict[str, Any] | None:
    link_type = link.get("type") or {}
    if link.get("outwardIssue"):
        direction, other, relation = "outward", link["outwardIssue"], link_type.get("outward")
    elif link.get("inwardIssue"):
        direction, other, relation = "inward", link["inwardIssue"], link_type.get("inward")
    else:
        return None
    return {
        "id": int(link["id"]),
        "issue_id": issue_id,
        "direction": direction,
        "link_type_id": _int(link_type.get("id")),
        "link_type_name": link_type.get("name"),
        "relation": relation,
        "linked_issue_id": _int(other.get("id")),
        "linked_issue_key": other.get("key"),
        "_extracted_at": extracted_at,
    }


def timestamp_hints(table: str) -> dict[str, dict[str, Any]]:
    """dlt column hints that keep timestamp columns naive UTC (dlt defaults to tz-aware)."""
    return {
        f.name: {"data_type": "timestamp", "timezone": False}
        for f in NAIVE_SCHEMAS[table]
        if pa.types.is_timestamp(f.type)
    }
