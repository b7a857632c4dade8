"""What each compliance rule checks, as the rule catalogue states it.

Source: the PMO domain reference (``../shared/reference/pmo-domain.md`` section 2, "Compliance
rules"), copied here so an installed pmo-hub renders it without the reference files. Thresholds
are not here: they come from the seed ``compliance_rule_config`` in the warehouse.
"""

from __future__ import annotations

CATALOGUE: dict[str, tuple[str, str]] = {
    "AP-03": (
        "Exact duplicate invoice",
        "Same vendor + normalized invoice number (strip spaces, hyphens, leading zeros) + "
        "invoice date + amount.",
    ),
    "AP-04": (
        "Fuzzy duplicate",
        "Similar reference, value (± 1 %), date (30-day window) or normalized vendor name; "
        "reversal-aware.",
    ),
    "AP-08": (
        "Non-PO spend",
        "PO number null where policy requires one (category/amount above threshold, minus "
        "exemptions).",
    ),
    "AP-10": (
        "Invoice on closed project",
        "Invoice date > project close date (+ grace days), or project closed/cancelled/not "
        "chargeable.",
    ),
    "AP-12": (
        "Invoice exceeds PO balance",
        "Σ invoiced on a PO line > PO line amount × (1 + tol).",
    ),
    "AP-13": (
        "Vendor hygiene",
        "Invoice to blocked vendor; duplicate vendors (name / tax id); bank change then payment "
        "within N days.",
    ),
    "AP-14": (
        "Invalid project code",
        "Finance line's project code missing or not in the project registry/crosswalk.",
    ),
    "TS-03": (
        "Excess hours",
        "Σ hours per person per day > N (e.g. 8; hard ceiling 24) or per period > M (e.g. 40).",
    ),
    "TS-04": ("Future-dated", "work_date > submission date (or > today)."),
    "TS-05": (
        "Closed/non-chargeable project",
        "work_date > project close date, or project/task closed, cancelled or not chargeable.",
    ),
    "TS-08": (
        "Self-approval",
        "Approver = timesheet owner (or budget-accountable supervisor entering staff time).",
    ),
    "TS-10": (
        "Contractor after contract end",
        "work_date > person.contract_end_date for contractors.",
    ),
    "TS-11": ("Overtime without note", "Hours/day > 8 and comment empty."),
    "GV-01": ("No sponsor / PM", "Active project with null or inactive sponsor or manager."),
    "GV-02": ("No baseline", "In-flight project (stage ≥ delivery) with no baseline 0."),
    "GV-03": (
        "Stale status",
        "Days since last status report / status date / last publish > N (default 7; typical "
        "14–30).",
    ),
    "GV-04": (
        "Overdue milestone",
        "Milestone not complete and (baseline) finish < today; report days late and days old.",
    ),
    "GV-05": (
        "Dates passed, state not",
        "Start < today and still not started, or finish < today and not closed.",
    ),
    "GV-08": (
        "RAID hygiene",
        "Items without owner; open items past due; high-score risks without response.",
    ),
    "GV-09": (
        "RAG divergence",
        "Reported Green while computed Red (e.g. CPI < 0.9 or > 10 days late).",
    ),
    "GV-10": (
        "Unmapped source object",
        "Jira project/epic, Planner plan, MS Project project or finance code with no canonical "
        "project, or conflicting mappings.",
    ),
    "GV-11": ("No budget", "Active project with no approved budget lines."),
    "DEF-01": ("Quarantined: unparseable number", "A finance file row whose number did not parse."),
    "DEF-02": ("Quarantined: unparseable date", "A finance file row whose date did not parse."),
    "DEF-03": ("Quarantined: wrong column count", "A finance file row with too few/many columns."),
    "DEF-04": ("Quarantined: missing value", "A finance file row missing a required value."),
    "DEF-99": ("Quarantined: other", "A finance file row that broke another contract rule."),
}


def model_for_rule(rule_id: str) -> str:
    """The dq__ model holding a rule's exceptions with its evidence columns."""
    if rule_id.startswith("DEF-"):
        return "dq__def_quarantine"
    return "dq__" + rule_id.lower().replace("-", "_")
