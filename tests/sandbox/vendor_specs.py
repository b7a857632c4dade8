"""The vendors' published API descriptions, loaded once, as validators for what the sandbox serves.

- Jira: Atlassian's Jira Cloud platform and Jira Software OpenAPI 3 documents, validated with
  ``openapi-core`` (status code, media type, body schema, declared headers). REST v2 shares the v3
  routes and schemas (``/rest/api/2/...`` is looked up as ``/rest/api/3/...``).
- Microsoft Graph: the v1.0 CSDL (OData metadata). Graph publishes no OpenAPI document of its own,
  so entity bodies are checked against the CSDL ``EntityType``/``ComplexType`` declarations: every
  property the sandbox returns must be declared on the type (or its base types) with a compatible
  JSON type; open types accept any key.

``JIRA_ERRATA`` lists the places where the real Jira Cloud answers differently from its own spec,
each with the evidence. The sandbox follows the product, so the validator accepts exactly these
deviations and nothing else.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPECS = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs"
JIRA_PLATFORM = SPECS / "jira-cloud-platform.openapi.json"
JIRA_SOFTWARE = SPECS / "jira-software.openapi.json"
GRAPH_CSDL = SPECS / "msgraph-v1.0.csdl.xml"

# Jira writes timestamps as ``2020-03-26T22:20:59.000+0000`` (offset without a colon), which is not
# RFC 3339, although the spec declares ``format: date-time``; the spec's own examples use Jira's
# shape (serverInfo: ``"buildDate":"2020-03-26T22:20:59.000+0000"``). Dates of agile objects are
# RFC 3339 (``2026-01-05T09:00:00.000Z``); both are accepted.
_JIRA_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?([+-]\d{4}|Z)$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _jira_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # type errors are reported by the type check
    if not (_JIRA_TIMESTAMP.match(value) or _RFC3339.match(value)):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _bulk_changelog_created_is_epoch(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    epoch_history = copy.deepcopy(schemas["Changelog"])
    epoch_history["properties"]["created"] = {"type": "integer", "format": "int64"}
    schemas["BulkChangelogHistory"] = epoch_history
    schemas["IssueChangeLog"]["properties"]["changeHistories"]["items"] = {
        "$ref": "#/components/schemas/BulkChangelogHistory"
    }


def _project_keys(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["Project"]["properties"]["projectKeys"] = {
        "type": "array",
        "items": {"type": "string"},
        "readOnly": True,
    }


def _nullable(schema: dict[str, Any], *props: str) -> None:
    for prop in props:
        schema["properties"][prop]["nullable"] = True


# (what, why, patch) — each a documented difference between Jira Cloud and its OpenAPI document.
JIRA_ERRATA: list[tuple[str, str, Any]] = [
    (
        "ChangeDetails.from/fromString/to/toString may be null",
        "Jira sends null for an empty side of a change; the spec's own changelog examples contain "
        '\\"from\\":null (e.g. GET /rest/api/3/issue/{issueIdOrKey}/changelog).',
        lambda s: _nullable(
            s["components"]["schemas"]["ChangeDetails"], "from", "fromString", "to", "toString"
        ),
    ),
    (
        "changelog/bulkfetch: changeHistories[].created is epoch milliseconds",
        "The schema says date-time string; Jira returns a number, as the operation's own example "
        'shows ("created":1492070429).',
        _bulk_changelog_created_is_epoch,
    ),
    (
        "Project.projectKeys exists",
        "GET /project and /project/search document expand=projectKeys ('Returns all project keys "
        "associated with a project') but the Project schema, closed with additionalProperties: "
        "false, leaves the property out.",
        _project_keys,
    ),
]


@dataclass
class Validated:
    """The outcome of validating one exchange: empty ``errors`` means it conforms."""

    operation: str
    errors: list[str] = field(default_factory=list)


class JiraSpecs:
    """Jira Cloud platform + Jira Software OpenAPI documents, parsed once."""

    def __init__(self) -> None:
        platform = json.loads(JIRA_PLATFORM.read_text())
        for _what, _why, patch in JIRA_ERRATA:
            patch(platform)
        software = json.loads(JIRA_SOFTWARE.read_text())
        self.raw = {"platform": platform, "software": software}
        config = Config(
            spec_validator_cls=None,  # the vendors' documents are large; trust their structure
            extra_format_validators={"date-time": _jira_date_time},
        )
        self.apis = {
            "platform": OpenAPI.from_dict(platform, config=config),
            "software": OpenAPI.from_dict(software, config=config),
        }
        self.hosts = {k: v["servers"][0]["url"] for k, v in self.raw.items()}

    def spec_for(self, path: str) -> tuple[str, str]:
        """(which document, the path as that document spells it) for a served path."""
        if path.startswith("/rest/agile/"):
            return "software", path
        return "platform", re.sub(r"^/rest/api/(2|latest)/", "/rest/api/3/", path)

    def operation(self, method: str, path: str) -> str | None:
        """The spec's path template matching a concrete path, or None when the spec lacks it."""
        which, spec_path = self.spec_for(path)
        for template, operations in self.raw[which]["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, spec_path) and method.lower() in operations:
                if "{" in template or template == spec_path:
                    # Prefer a literal match (/project/search) over a template (/project/{id}).
                    literal = spec_path in self.raw[which]["paths"]
                    return spec_path if literal else template
        return None

    def validate(
        self,
        method: str,
        url: str,
        *,
        status: int,
        headers: dict[str, str],
        body: bytes,
        request_body: bytes | None = None,
    ) -> Validated:
        split = urlsplit(url)
        which, spec_path = self.spec_for(split.path)
        query: dict[str, str] = {}
        for part in filter(None, split.query.split("&")):
            key, _, value = part.partition("=")
            query[unquote_plus(key)] = unquote_plus(value)
        request = MockRequest(
            self.hosts[which],
            method,
            spec_path,
            args=query,
            data=request_body,
            headers={"Authorization": "Basic x"},
        )
        content_type = headers.get("Content-Type") or headers.get("content-type") or ""
        response = MockResponse(
            body, status_code=status, headers=dict(headers), content_type=content_type
        )
        outcome = Validated(operation=f"{method.upper()} {self.operation(method, split.path)}")
        try:
            self.apis[which].validate_response(request, response)
        except Exception as exc:  # noqa: BLE001 - every kind of non-conformance is a finding
            outcome.errors.extend(_describe(exc))
        return outcome

    def validate_request(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> Validated:
        """Validate a request a client sent (parameters, body) against the operation."""
        which, spec_path = self.spec_for(path)
        args = {k: ",".join(v) for k, v in query.items()}
        request = MockRequest(
            self.hosts[which],
            method,
            spec_path,
            args=args,
            data=body or None,
            headers={"Authorization": "Basic eDp4"},
            content_type="application/json",
        )
        outcome = Validated(operation=f"{method.upper()} {self.operation(method, path)}")
        try:
            self.apis[which].validate_request(request)
        except Exception as exc:  # noqa: BLE001 - every kind of non-conformance is a finding
            outcome.errors.extend(_describe(exc))
        return outcome


def _describe(exc: BaseException) -> list[str]:
    cause = exc.__cause__ or exc
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '<body>'}: {e.message[:200]}"
            for e in schema_errors
        ]
    return [f"{type(exc).__name__}: {str(cause)[:300]}"]


# ---- Microsoft Graph CSDL --------------------------------------------------------------------

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
_EDM_JSON: dict[str, tuple[type, ...]] = {
    "Edm.String": (str,),
    "Edm.Guid": (str,),
    "Edm.DateTimeOffset": (str,),
    "Edm.Date": (str,),
    "Edm.TimeOfDay": (str,),
    "Edm.Duration": (str,),
    "Edm.Binary": (str,),
    "Edm.Boolean": (bool,),
    "Edm.Int32": (int,),
    "Edm.Int64": (int,),
    "Edm.Int16": (int,),
    "Edm.Byte": (int,),
    "Edm.Double": (int, float, str),  # INF/NaN are strings in OData JSON
    "Edm.Single": (int, float, str),
    "Edm.Decimal": (int, float, str),
    "Edm.Stream": (str,),
}
_DATE_TIME_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$"
)


@dataclass
class StructuredType:
    name: str
    base: str | None
    open: bool
    properties: dict[str, tuple[str, bool]]  # name -> (type, nullable)
    navigation: dict[str, str]
    entity: bool


class GraphMetadata:
    """Entity, complex and enum types of Graph v1.0, parsed once from the CSDL."""

    def __init__(self) -> None:
        tree = ET.parse(GRAPH_CSDL)
        self.types: dict[str, StructuredType] = {}
        self.enums: dict[str, set[str]] = {}
        for schema in tree.getroot().iter(f"{EDM}Schema"):
            namespace = schema.get("Namespace")
            alias = schema.get("Alias")
            for element in schema:
                tag = element.tag.removeprefix(EDM)
                name = f"{namespace}.{element.get('Name')}"
                if tag == "EnumType":
                    self.enums[name] = {m.get("Name") for m in element.iter(f"{EDM}Member")}
                elif tag in ("EntityType", "ComplexType"):
                    base = element.get("BaseType")
                    if base and alias and base.startswith(f"{alias}."):
                        base = f"{namespace}.{base[len(alias) + 1 :]}"
                    props = {}
                    for p in element.findall(f"{EDM}Property"):
                        ptype = p.get("Type") or ""
                        if alias:
                            ptype = ptype.replace(f"{alias}.", f"{namespace}.")
                        props[p.get("Name")] = (ptype, p.get("Nullable") != "false")
                    navs = {}
                    for n in element.findall(f"{EDM}NavigationProperty"):
                        ntype = n.get("Type") or ""
                        if alias:
                            ntype = ntype.replace(f"{alias}.", f"{namespace}.")
                        navs[n.get("Name")] = ntype
                    self.types[name] = StructuredType(
                        name=name,
                        base=base,
                        open=element.get("OpenType") == "true",
                        properties=props,
                        navigation=navs,
                        entity=tag == "EntityType",
                    )

    def all_properties(self, type_name: str) -> dict[str, tuple[str, bool]]:
        """Declared structural properties of a type including those of its base types."""
        out: dict[str, tuple[str, bool]] = {}
        current: str | None = type_name
        while current:
            t = self.types[current]
            out = {**t.properties, **out}
            current = t.base
        return out

    def all_navigation(self, type_name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        current: str | None = type_name
        while current:
            t = self.types[current]
            out = {**t.navigation, **out}
            current = t.base
        return out

    def is_open(self, type_name: str) -> bool:
        current: str | None = type_name
        while current:
            if self.types[current].open:
                return True
            current = self.types[current].base
        return False

    def validate(self, value: Any, type_name: str, path: str = "") -> list[str]:
        """Errors found checking a JSON value against a CSDL type (``microsoft.graph.plannerTask``)."""
        if type_name.startswith("Collection("):
            if not isinstance(value, list):
                return [f"{path or '<value>'}: expected a JSON array for {type_name}"]
            inner = type_name[len("Collection(") : -1]
            return [e for i, v in enumerate(value) for e in self.validate(v, inner, f"{path}[{i}]")]
        if value is None:
            return []  # nullability is checked by the caller, who knows the property facet
        if type_name in _EDM_JSON:
            if isinstance(value, bool) and bool not in _EDM_JSON[type_name]:
                return [f"{path}: boolean is not a {type_name}"]
            if not isinstance(value, _EDM_JSON[type_name]):
                return [f"{path}: {type(value).__name__} is not a {type_name}"]
            if type_name == "Edm.DateTimeOffset" and not _DATE_TIME_OFFSET.match(value):
                return [f"{path}: {value!r} is not an Edm.DateTimeOffset"]
            return []
        if type_name in self.enums:
            if not isinstance(value, str) or not set(value.split(",")) <= self.enums[type_name]:
                return [f"{path}: {value!r} is not a member of {type_name}"]
            return []
        if type_name not in self.types:
            return [f"{path}: unknown type {type_name}"]
        if not isinstance(value, dict):
            return [f"{path}: expected a JSON object for {type_name}"]
        declared = self.all_properties(type_name)
        navigation = self.all_navigation(type_name)
        errors: list[str] = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key.startswith("@odata.") or "@odata." in key:
                continue  # control information, not properties
            if key in declared:
                ptype, nullable = declared[key]
                if item is None and not nullable:
                    errors.append(f"{where}: null for a non-nullable {ptype}")
                errors.extend(self.validate(item, ptype, where))
            elif key in navigation:
                errors.extend(self.validate(item, navigation[key], where))
            elif not self.is_open(type_name):
                errors.append(f"{where}: not a property of {type_name}")
        return errors

    def property_names(self, type_name: str) -> set[str]:
        return set(self.all_properties(type_name))
