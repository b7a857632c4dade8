"""Site-specific Jira data: custom fields as a PMO configures them, comments and issue links.

Generated from its own random stream (``portfolio.rng("jira-site")``) after the rest of the Jira
world, so adding it changed nothing the older world produced. The custom fields are what PMOs keep
in Jira and what a warehouse needs: the finance "Project Code" (the same codes as the finance
budgets), cost center, risk probability and impact, target start/end, decision owner, mitigation,
the RAID category of a task, affected regions. Their ids are deliberately site-like (12xxx), so a
client must resolve them by name through ``/field``.

:class:`JiraSite` also carries the drift controls the sandbox's ``tick`` drives: add, remove and
rename a custom field, change its type, and change values. Every value change bumps the issue's
``updated`` (as Jira does), so an incremental client sees it; a rename or a removal does not (Jira
does not touch issues for those either).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.jira.world import Issue, JiraWorld

DAY_MS = 86_400_000
CF = "com.atlassian.jira.plugin.system.customfieldtypes"

# kind -> (schema type, schema items, schema custom type)
KINDS: dict[str, tuple[str, str | None, str]] = {
    "text": ("string", None, f"{CF}:textfield"),
    "textarea": ("string", None, f"{CF}:textarea"),
    "number": ("number", None, f"{CF}:float"),
    "date": ("date", None, f"{CF}:datepicker"),
    "datetime": ("datetime", None, f"{CF}:datetime"),
    "select": ("option", None, f"{CF}:select"),
    "multiselect": ("array", "option", f"{CF}:multiselect"),
    "user": ("user", None, f"{CF}:userpicker"),
    "labels": ("array", "string", f"{CF}:labels"),
}
OPTION_KINDS = ("select", "multiselect")

# Issue link types as Jira Cloud ships them: id -> (name, inward, outward).
LINK_TYPES = {
    10000: ("Blocks", "is blocked by", "blocks"),
    10001: ("Cloners", "is cloned by", "clones"),
    10002: ("Duplicate", "is duplicated by", "duplicates"),
    10003: ("Relates", "relates to", "relates to"),
}
BLOCKS, CLONERS, DUPLICATE, RELATES = 10000, 10001, 10002, 10003

PROBABILITY = ("1 - Rare", "2 - Unlikely", "3 - Possible", "4 - Likely", "5 - Almost certain")
IMPACT = ("1 - Negligible", "2 - Minor", "3 - Moderate", "4 - Major", "5 - Severe")
COST_CENTERS = ("CC-1100 Engineering", "CC-1200 Operations", "CC-2100 Finance", "CC-3100 Sales")
REGIONS = ("EMEA", "North America", "LATAM", "APAC")
RAID_CATEGORIES = ("Assumption", "Decision", "Dependency")
MITIGATIONS = (
    "Add a second supplier for the critical component",
    "Weekly review with the vendor's delivery manager",
    "Buffer two weeks in the release plan",
    "Pair the only expert with a second engineer",
    "Escalate to the steering committee if not resolved by the due date",
)
COMMENT_TEXTS = (
    "Discussed in the stand-up; next step agreed.",
    "Blocked until the vendor confirms the delivery date.",
    "Updated the estimate after the design review.",
    "Moved to the next sprint, see the planning notes.",
    "Customer confirmed the requirement by email.",
    "Risk reviewed at the steering committee.",
    "Done on staging, waiting for the production window.",
)


@dataclass
class FieldOption:
    id: int
    value: str
    disabled: bool = False


@dataclass
class CustomField:
    """One custom field: id ``customfield_NNNNN``, a kind from :data:`KINDS`, its options."""

    id: str
    name: str
    kind: str
    context_id: int
    options: list[FieldOption] = field(default_factory=list)
    description: str = ""

    @property
    def number(self) -> int:
        return int(self.id.split("_")[1])

    def option(self, option_id: int) -> FieldOption | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass
class Comment:
    id: int
    issue_id: int
    author: str | None
    text: str
    created_ms: int
    updated_ms: int


@dataclass
class IssueLink:
    """``outward_id`` ``<outward verb>`` ``inward_id`` (e.g. A blocks B)."""

    id: int
    type_id: int
    outward_id: int
    inward_id: int


@dataclass
class JiraSite:
    """Custom fields with their values, comments and links of a :class:`JiraWorld`."""

    fields: dict[str, CustomField]
    values: dict[int, dict[str, Any]]  # issue id -> field id -> value (see ``value_of``)
    comments: dict[int, Comment]
    comments_by_issue: dict[int, list[int]]
    links: dict[int, IssueLink]
    # issue id -> ids of the links it is on (either end): rendering an issue's links must not
    # scan every link of the site (at tier M that made each search page take seconds).
    links_by_issue: dict[int, list[int]] = field(default_factory=dict)
    next_field: int = 12100
    next_option: int = 20000
    next_context: int = 30000
    next_comment: int = 50000
    next_link: int = 60000
    drift_log: list[dict[str, Any]] = field(default_factory=list)

    # ---- reading ------------------------------------------------------------------------

    def field_by_name(self, name: str) -> CustomField | None:
        return next((f for f in self.fields.values() if f.name == name), None)

    def issue_values(self, issue_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.values.get(issue_id, {}).items() if k in self.fields}

    def issue_comments(self, issue_id: int) -> list[Comment]:
        return [self.comments[c] for c in self.comments_by_issue.get(issue_id, ())]

    def issue_links(self, issue_id: int) -> list[IssueLink]:
        return [self.links[lid] for lid in self.links_by_issue.get(issue_id, ())]

    def add_link(self, type_id: int, outward_id: int, inward_id: int) -> IssueLink:
        link = IssueLink(self.next_link, type_id, outward_id, inward_id)
        self.next_link += 1
        self.links[link.id] = link
        for issue_id in dict.fromkeys((outward_id, inward_id)):
            self.links_by_issue.setdefault(issue_id, []).append(link.id)
        return link

    def raid_flags(self, issue_id: int) -> tuple[bool, str | None]:
        """(has a RAID Category value, Decision Owner account) of an issue, by field name."""
        values = self.issue_values(issue_id)
        raid = owner = None
        for cf in self.fields.values():
            if cf.name == "RAID Category" and cf.id in values:
                raid = True
            if cf.name == "Decision Owner" and cf.kind == "user":
                owner = values.get(cf.id)
        return bool(raid), owner

    # ---- drift controls (driven by ``tick``) --------------------------------------------

    def add_field(
        self,
        world: JiraWorld,
        name: str,
        kind: str,
        *,
        fill_fraction: float = 0.3,
        options: tuple[str, ...] = (),
        rng: random.Random | None = None,
        t: int | None = None,
    ) -> CustomField:
        """Create a custom field and give it values on ``fill_fraction`` of the live issues."""
        if kind not in KINDS:
            raise ValueError(f"unknown custom field kind {kind!r}; known: {sorted(KINDS)}")
        if self.field_by_name(name) is not None:
            raise ValueError(f"a custom field named {name!r} exists already")
        rng = rng or random.Random(f"add-field:{name}")
        cf = CustomField(f"customfield_{self.next_field}", name, kind, self.next_context)
        self.next_field += 1
        self.next_context += 1
        if kind in OPTION_KINDS:
            for value in options or ("Option A", "Option B", "Option C"):
                cf.options.append(FieldOption(self.next_option, value))
                self.next_option += 1
        self.fields[cf.id] = cf
        live = sorted(i.id for i in world.live_issues())
        chosen = rng.sample(live, k=int(len(live) * fill_fraction)) if fill_fraction > 0 else []
        for issue_id in chosen:
            self.set_value(world, issue_id, cf.id, self.random_value(world, cf, rng), t)
        self.drift_log.append({"op": "add", "field": cf.id, "name": name, "values": len(chosen)})
        return cf

    def remove_field(self, field_ref: str) -> CustomField:
        """Delete a custom field (values vanish from issues; ``updated`` does not move)."""
        cf = self._find(field_ref)
        del self.fields[cf.id]
        self.drift_log.append({"op": "remove", "field": cf.id, "name": cf.name})
        return cf

    def rename_field(self, field_ref: str, new_name: str) -> CustomField:
        cf = self._find(field_ref)
        old = cf.name
        cf.name = new_name
        self.drift_log.append({"op": "rename", "field": cf.id, "from": old, "to": new_name})
        return cf

    def change_type(
        self, world: JiraWorld, field_ref: str, kind: str, t: int | None = None
    ) -> CustomField:
        """Change a field's type, converting every value (each converted issue is updated)."""
        cf = self._find(field_ref)
        if kind not in KINDS:
            raise ValueError(f"unknown custom field kind {kind!r}; known: {sorted(KINDS)}")
        old_kind = cf.kind
        old_options = {o.id: o.value for o in cf.options}
        if kind in OPTION_KINDS and not cf.options:
            cf.options = [FieldOption(self.next_option + i, v) for i, v in enumerate(IMPACT)]
            self.next_option += len(IMPACT)
        converted = 0
        for issue_id, values in self.values.items():
            if cf.id not in values or issue_id not in world.issues:
                continue
            text = _as_text(values[cf.id], old_kind, old_options)
            values[cf.id] = _from_text(text, kind, cf)
            self._touch(world, issue_id, t)
            converted += 1
        cf.kind = kind
        if kind not in OPTION_KINDS:
            cf.options = []
        self.drift_log.append(
            {"op": "retype", "field": cf.id, "from": old_kind, "to": kind, "values": converted}
        )
        return cf

    def change_values(
        self,
        world: JiraWorld,
        field_ref: str,
        fraction: float,
        rng: random.Random,
        t: int | None = None,
    ) -> int:
        """Give ``fraction`` of the issues holding a value of the field a new random value."""
        cf = self._find(field_ref)
        holders = sorted(i for i, v in self.values.items() if cf.id in v and i in world.issues)
        chosen = rng.sample(holders, k=min(len(holders), max(1, int(len(holders) * fraction))))
        for issue_id in chosen:
            self.set_value(world, issue_id, cf.id, self.random_value(world, cf, rng), t)
        self.drift_log.append({"op": "values", "field": cf.id, "values": len(chosen)})
        return len(chosen)

    def set_value(
        self, world: JiraWorld, issue_id: int, field_id: str, value: Any, t: int | None = None
    ) -> None:
        if value is None:
            self.values.get(issue_id, {}).pop(field_id, None)
        else:
            self.values.setdefault(issue_id, {})[field_id] = value
        self._touch(world, issue_id, t)

    def random_value(self, world: JiraWorld, cf: CustomField, rng: random.Random) -> Any:
        if cf.kind in ("text", "textarea"):
            return rng.choice(MITIGATIONS)
        if cf.kind == "number":
            return float(rng.randrange(1, 500)) * 100
        if cf.kind == "date":
            return (world.now.date() + timedelta(days=rng.randrange(-60, 120))).isoformat()
        if cf.kind == "datetime":
            return world.now_ms - rng.randrange(0, 90) * DAY_MS
        if cf.kind == "select":
            return rng.choice(cf.options).id
        if cf.kind == "multiselect":
            k = rng.randrange(1, min(3, len(cf.options)) + 1)
            return tuple(sorted(o.id for o in rng.sample(cf.options, k=k)))
        if cf.kind == "user":
            return rng.choice([u.account_id for u in world.users if u.account_type == "atlassian"])
        if cf.kind == "labels":
            return tuple(sorted(rng.sample(("q1", "q2", "audit", "capex", "opex"), k=2)))
        raise AssertionError(cf.kind)

    def _find(self, ref: str) -> CustomField:
        cf = self.fields.get(ref) or self.field_by_name(ref)
        if cf is None:
            raise ValueError(f"no custom field {ref!r} on the sandbox site")
        return cf

    def _touch(self, world: JiraWorld, issue_id: int, t: int | None) -> None:
        issue = world.issues.get(issue_id)
        if issue is None or t is None:
            return
        issue.updated_ms = max(issue.updated_ms, t)
        world._dirty.add(issue_id)

    # ---- tick hooks ---------------------------------------------------------------------

    def on_tick(
        self,
        world: JiraWorld,
        rng: random.Random,
        touched: set[int],
        created: list[int],
        when: Callable[[int], int],
    ) -> dict[str, int]:
        """Comments on some edited issues, values and links on new ones (bumping ``updated``)."""
        counts = {"comments_created": 0, "comments_updated": 0, "links_created": 0}
        for issue_id in sorted(touched):
            if rng.random() < 0.5 and issue_id in world.issues:
                issue = world.issues[issue_id]
                t = when(issue.updated_ms)
                self._add_comment(world, issue, rng, t, t)
                self._touch(world, issue_id, t)
                counts["comments_created"] += 1
        editable = sorted(c.id for c in self.comments.values() if c.issue_id in world.issues)
        for cid in rng.sample(editable, k=min(len(editable), max(1, len(touched) // 4))):
            comment = self.comments[cid]
            issue = world.issues[comment.issue_id]
            t = when(issue.updated_ms)
            comment.text += " (edited)"
            comment.updated_ms = t
            self._touch(world, issue.id, t)
            counts["comments_updated"] += 1
        for issue_id in created:
            issue = world.issues[issue_id]
            _fill_values(self, world, issue, rng)
            others = [i for i in world.issues_by_project[issue.project_id] if i != issue_id]
            if others and rng.random() < 0.5:
                other = rng.choice(others)
                self.add_link(BLOCKS, issue_id, other)
                self._touch(world, other, issue.updated_ms)
                counts["links_created"] += 1
        return counts

    def on_delete(self, issue_id: int) -> None:
        self.values.pop(issue_id, None)
        for cid in self.comments_by_issue.pop(issue_id, []):
            self.comments.pop(cid, None)
        for lid in self.links_by_issue.pop(issue_id, []):
            link = self.links.pop(lid, None)
            if link is None:
                continue
            other = link.inward_id if link.outward_id == issue_id else link.outward_id
            if other in self.links_by_issue:
                self.links_by_issue[other].remove(lid)

    def _add_comment(
        self, world: JiraWorld, issue: Issue, rng: random.Random, created: int, updated: int
    ) -> Comment:
        project = world.project_by_id[issue.project_id]
        author = rng.choice(project.members) if project.members else None
        comment = Comment(
            self.next_comment, issue.id, author, rng.choice(COMMENT_TEXTS), created, updated
        )
        self.next_comment += 1
        self.comments[comment.id] = comment
        self.comments_by_issue.setdefault(issue.id, []).append(comment.id)
        return comment


# ---- value conversion (type changes) ---------------------------------------------------------


def _as_text(value: Any, kind: str, options: dict[int, str]) -> str:
    if kind == "select":
        return options.get(value, "")
    if kind == "multiselect":
        return ", ".join(options.get(v, "") for v in value)
    if kind == "labels":
        return ", ".join(value)
    return str(value)


def _from_text(text: str, kind: str, cf: CustomField) -> Any:
    if kind in ("text", "textarea"):
        return text
    if kind == "number":
        digits = "".join(ch for ch in text.split(" ")[0] if ch.isdigit() or ch == ".")
        return float(digits) if digits else 0.0
    if kind in OPTION_KINDS:
        match = next((o for o in cf.options if o.value == text), None)
        if match is None:
            match = FieldOption(max([o.id for o in cf.options] + [20000]) + 1, text)
            cf.options.append(match)
        return match.id if kind == "select" else (match.id,)
    if kind == "labels":
        return tuple(text.replace(",", " ").split())
    return text


# ---- generation -----------------------------------------------------------------------------


def _field(fid: int, name: str, kind: str, options: tuple[str, ...] = (), desc: str = "") -> Any:
    cf = CustomField(f"customfield_{fid}", name, kind, 30000 + fid, description=desc)
    for index, value in enumerate(options):
        cf.options.append(FieldOption(fid * 10 + index, value))
    return cf


def site_fields() -> dict[str, CustomField]:
    """The PMO's custom fields of the sandbox site (ids are this site's, not Jira defaults)."""
    fields = [
        _field(12001, "Project Code", "text", desc="Finance project code (budget line key)"),
        _field(12002, "Cost Center", "select", COST_CENTERS),
        _field(12003, "Risk Probability", "select", PROBABILITY),
        _field(12004, "Risk Impact", "select", IMPACT),
        _field(12005, "Target start", "date"),
        _field(12006, "Target end", "date"),
        _field(12007, "Decision Owner", "user"),
        _field(12008, "Mitigation", "textarea"),
        _field(12009, "RAID Category", "select", RAID_CATEGORIES),
        _field(12010, "Affected Regions", "multiselect", REGIONS),
        _field(12011, "Budget Impact", "number", desc="Cost impact if the risk occurs (EUR)"),
    ]
    return {f.id: f for f in fields}


def _fill_values(site: JiraSite, world: JiraWorld, issue: Issue, rng: random.Random) -> None:
    """Values a PMO's issue carries; kinds follow :func:`site_fields` (types may drift later)."""
    from sandbox.jira.world import EPIC, ISSUE, RISK, STORY, TASK

    f = {cf.name: cf for cf in site.fields.values()}
    values: dict[str, Any] = {}
    project = world.project_by_id[issue.project_id]

    def put(name: str, value: Any) -> None:
        if name in f and value is not None:
            values[f[name].id] = value

    def opt(name: str, index: int) -> int | None:
        cf = f.get(name)
        return cf.options[index].id if cf and cf.options else None

    # Finance code on almost every issue of a mapped project (a few were never filled in).
    if project.project_code and rng.random() < 0.97:
        put("Project Code", project.project_code)
        put("Cost Center", opt("Cost Center", project.id % len(COST_CENTERS)))
    if issue.type_id == RISK:
        if rng.random() < 0.9:
            put("Risk Probability", opt("Risk Probability", rng.randrange(5)))
            put("Risk Impact", opt("Risk Impact", rng.randrange(5)))
        if rng.random() < 0.7:
            put("Mitigation", rng.choice(MITIGATIONS))
        if rng.random() < 0.5:
            put("Budget Impact", float(rng.randrange(5, 200)) * 500)
    if issue.type_id == ISSUE and rng.random() < 0.8:
        put("Risk Impact", opt("Risk Impact", rng.randrange(5)))
    if issue.type_id in (EPIC, STORY) and rng.random() < 0.4:
        start = date.fromtimestamp(issue.created_ms / 1000) + timedelta(days=rng.randrange(0, 14))
        put("Target start", start.isoformat())
        put("Target end", (start + timedelta(days=rng.randrange(14, 90))).isoformat())
    # Only on assigned or finished tasks at generation, so the manifest's GV-08 (open RAID item
    # without owner), planted before the site exists, stays exact; ticks re-derive it.
    if (
        issue.type_id == TASK
        and (issue.assignee is not None or issue.is_done)
        and rng.random() < 0.06
    ):
        category = rng.randrange(len(RAID_CATEGORIES))
        put("RAID Category", opt("RAID Category", category))
        if RAID_CATEGORIES[category] == "Decision" and project.members:
            put("Decision Owner", rng.choice(project.members))
    if rng.random() < 0.15:
        k = rng.randrange(1, 3)
        put(
            "Affected Regions",
            tuple(sorted(o.id for o in rng.sample(f["Affected Regions"].options, k=k))),
        )
    if values:
        site.values[issue.id] = values


def generate_site(world: JiraWorld) -> JiraSite:
    """Custom field values, comments and links for every issue of ``world`` (own random stream)."""
    from sandbox.jira.world import RISK, TASK

    rng = world.portfolio.rng("jira-site")
    site = JiraSite(site_fields(), {}, {}, {}, {})
    for issue in sorted(world.live_issues(), key=lambda i: i.id):
        _fill_values(site, world, issue, rng)
        # Comments: most issues have a few, some a long thread (beyond an embedded page).
        n = rng.choice((0, 0, 1, 1, 2, 3)) if rng.random() > 0.01 else rng.randrange(25, 40)
        span = max(1, issue.updated_ms - issue.created_ms)
        times = sorted(issue.created_ms + rng.randrange(span) for _ in range(n))
        for created in times:
            edited = created + rng.randrange(span) if rng.random() < 0.1 else created
            site._add_comment(world, issue, rng, created, min(edited, issue.updated_ms))
    # Links within a project: blockers, relations, duplicates; risks relate to a mitigating task.
    for _project_id, ids in sorted(world.issues_by_project.items()):
        if len(ids) < 2:
            continue
        for issue_id in ids:
            issue = world.issues[issue_id]
            if rng.random() < 0.08 or (issue.type_id == RISK and rng.random() < 0.6):
                other = rng.choice(ids)
                if other == issue_id:
                    continue
                if issue.type_id == RISK:
                    type_id = RELATES
                    tasks = [i for i in ids if world.issues[i].type_id == TASK]
                    other = rng.choice(tasks) if tasks else other
                else:
                    type_id = rng.choice((BLOCKS, BLOCKS, RELATES, DUPLICATE, CLONERS))
                site.add_link(type_id, issue_id, other)
    return site
