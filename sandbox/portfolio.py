"""The shared, seeded portfolio every sandbox system is generated from.

One world: portfolios -> programs -> projects (each with a finance project code), people with one
email across tools, and vendors. Each system's generator (``sandbox/jira``, ``sandbox/microsoft``,
``sandbox/finance``) derives its own records from this object with its own seeded RNG, so adding a
record to one system never changes another system's data.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

# The sandbox clock starts here so that a seed always yields the same world, whatever today is.
DEFAULT_NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class TierSize:
    """Volumes of one tier (see shared/reference/pmo-domain.md section 5)."""

    projects: int
    jira_issues: int
    history_rows: int
    people: int
    worklog_rows: int
    po_lines: int
    invoice_lines: int
    budget_lines: int
    planner_tasks: int
    msproject_tasks: int


TIERS: dict[str, TierSize] = {
    # XS is not in the domain reference: it keeps unit and integration tests to seconds.
    "XS": TierSize(8, 400, 5_000, 30, 2_000, 60, 150, 150, 300, 300),
    "S": TierSize(50, 20_000, 250_000, 200, 100_000, 2_000, 5_000, 5_000, 4_000, 5_000),
    "M": TierSize(
        500, 1_000_000, 12_000_000, 5_000, 1_500_000, 20_000, 50_000, 50_000, 40_000, 60_000
    ),
    "L": TierSize(
        3_000, 4_000_000, 50_000_000, 20_000, 6_000_000, 150_000, 500_000, 300_000, 200_000, 300_000
    ),
    "XL": TierSize(
        7_000,
        10_000_000,
        120_000_000,
        50_000,
        15_000_000,
        500_000,
        2_000_000,
        1_000_000,
        500_000,
        700_000,
    ),
}

FIRST_NAMES = (
    "Ada Alan Anika Bea Carlos Chen Dana Elif Emeka Farah Goran Hana Ines Ivan Jonas Kai Lena Lucia "
    "Malik Mara Nadia Noah Olga Omar Priya Quinn Rafael Sana Sofia Tariq Uma Vera Wei Yara Zoe"
).split()
LAST_NAMES = (
    "Abara Berg Costa Dubois Eriksen Fischer Garcia Haddad Ito Jansen Kowalski Larsen Moreau Novak "
    "Okafor Petrov Quist Rossi Schmidt Tanaka Ulrich Varga Weber Xu Yilmaz Zimmermann"
).split()
DEPARTMENTS = ("Engineering", "Finance", "Operations", "Marketing", "IT", "PMO", "Legal")
PORTFOLIO_NAMES = ("Digital Transformation", "Operational Excellence", "Regulatory", "Growth")
PROGRAM_WORDS = ("Cloud", "Customer", "Data", "Finance", "Supply", "People", "Security", "Retail")
PROJECT_WORDS = (
    "Migration Portal Platform Rollout Upgrade Integration Analytics Automation Redesign Onboarding "
    "Consolidation Modernisation Pilot Compliance Mobile Billing Warehouse Gateway"
).split()
VENDOR_NAMES = (
    "Acme Consulting",
    "Blue Harbor IT",
    "Cobalt Systems",
    "Delta Staffing",
    "Evergreen Software",
    "Fjord Analytics",
    "Granite Cloud",
    "Helix Security",
    "Iris Design",
    "Juniper Networks Services",
    "Kestrel Hardware",
    "Lumen Training",
)
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")


@dataclass(frozen=True)
class Person:
    person_id: str
    display_name: str
    email: str
    department: str
    employment_type: str  # employee | contractor
    contract_end_date: date | None
    cost_rate: Decimal  # per hour, reporting currency
    std_hours_per_day: Decimal
    fte: Decimal
    is_active: bool
    uses_jira: bool  # people who do not use Jira log time in CSV timesheets
    jira_account_id: str
    entra_object_id: str
    msproject_resource_name: str


@dataclass(frozen=True)
class PortfolioUnit:
    portfolio_id: str
    name: str
    owner_id: str


@dataclass(frozen=True)
class Program:
    program_id: str
    name: str
    portfolio_id: str
    owner_id: str


@dataclass
class Project:
    project_code: str  # the golden key: finance project code, e.g. FIN-1001
    name: str
    program_id: str
    portfolio_id: str
    manager_id: str | None
    sponsor_id: str | None
    status: str  # active | on_hold | closed
    stage: str  # initiation | planning | delivery | closure
    start_date: date
    finish_date: date  # approved (baseline) finish
    forecast_finish_date: date
    closed_date: date | None
    currency: str
    budget_total: Decimal
    cost_overrun_factor: float  # actual cost / planned cost at the as-of date
    schedule_slip_days: int
    reported_rag: str  # Green | Amber | Red as reported by the PM
    last_status_date: date
    is_chargeable: bool
    tools: tuple[str, ...]  # subset of ("jira", "planner", "msproject")
    jira_key: str | None
    team: tuple[str, ...]  # person_ids
    has_baseline: bool

    @property
    def is_active(self) -> bool:
        return self.status != "closed"


@dataclass(frozen=True)
class LabourOverlap:
    """One planted double booking: Jira writes a worklog, finance a timesheet entry."""

    person_id: str
    project_code: str
    work_date: date
    hours: Decimal


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    name: str
    tax_id: str
    status: str  # active | blocked
    currency: str


@dataclass(frozen=True)
class PlantedFault:
    """One planted compliance exception or data defect, with the key of the offending record."""

    rule_id: str  # AP-xx, TS-xx, GV-xx from pmo-domain.md, or DEF-xx for data defects
    system: str  # jira | planner | msproject | finance
    entity: str  # e.g. invoice_line, worklog, project, csv_row
    key: str  # the offending record's natural key as the system exposes it
    detail: str = ""


@dataclass
class Manifest:
    """Machine-readable ground truth of everything planted in the world."""

    faults: list[PlantedFault] = field(default_factory=list)
    _seen: set[PlantedFault] = field(default_factory=set, repr=False)

    def plant(self, rule_id: str, system: str, entity: str, key: str, detail: str = "") -> None:
        # Idempotent: writing the same files twice must not double the ground truth.
        fault = PlantedFault(rule_id, system, entity, key, detail)
        if fault not in self._seen:
            self._seen.add(fault)
            self.faults.append(fault)

    def retract(self, rule_id: str, system: str, key: str) -> None:
        """Drop every fault of ``rule_id`` in ``system`` on ``key`` (no-op when none is listed)."""
        self.faults[:] = [
            f
            for f in self.faults
            if not (f.rule_id == rule_id and f.system == system and f.key == key)
        ]
        self._seen = set(self.faults)

    def replace(self, system: str, rule_ids: Iterable[str], faults: Iterable[PlantedFault]) -> None:
        """Replace the faults of ``rule_ids`` in ``system`` with ``faults``, deduplicated.

        The new faults take the place of the first one replaced (or go to the end), so the order
        of everything else is kept and re-deriving an unchanged world leaves the manifest equal.
        """
        rules = set(rule_ids)
        mine = [i for i, f in enumerate(self.faults) if f.system == system and f.rule_id in rules]
        position = mine[0] if mine else len(self.faults)
        dropped = set(mine)
        new = list(dict.fromkeys(faults))
        after = [f for i, f in enumerate(self.faults) if i > position and i not in dropped]
        self.faults[:] = self.faults[:position] + new + after
        # Rebuilt from the list: other writers (finance) edit ``faults`` in place too.
        self._seen = set(self.faults)

    def by_rule(self, rule_id: str) -> list[PlantedFault]:
        return [f for f in self.faults if f.rule_id == rule_id]

    def to_dict(self) -> dict:
        return {
            "faults": [
                {
                    "rule_id": f.rule_id,
                    "system": f.system,
                    "entity": f.entity,
                    "key": f.key,
                    "detail": f.detail,
                }
                for f in self.faults
            ]
        }


@dataclass
class Portfolio:
    tier: str
    seed: int
    size: TierSize
    now: datetime
    people: list[Person]
    portfolios: list[PortfolioUnit]
    programs: list[Program]
    projects: list[Project]
    vendors: list[Vendor]
    manifest: Manifest
    # Planted TS-12: the same person, project and day booked in Jira *and* finance timesheets.
    labour_overlaps: list[LabourOverlap] = field(default_factory=list)

    def rng(self, system: str) -> random.Random:
        """A generator of its own per system, so systems never shift each other's data."""
        digest = hashlib.sha256(f"{self.seed}:{self.tier}:{system}".encode()).hexdigest()
        return random.Random(int(digest[:16], 16))

    @property
    def as_of(self) -> date:
        return self.now.date()

    def person(self, person_id: str) -> Person:
        return self._people_by_id[person_id]

    def __post_init__(self) -> None:
        self._people_by_id = {p.person_id: p for p in self.people}


def _stable_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _jira_account_id(rng: random.Random) -> str:
    # Jira Cloud account ids look like "5b10ac8d82e05b22cc7d4ef5" (24 hex) or "712020:<uuid>".
    return f"{rng.getrandbits(96):024x}"


def _jira_key(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    a, b = divmod(index, 26 * 26)
    b, c = divmod(b, 26)
    return f"P{letters[a % 26]}{letters[b]}{letters[c]}"


def generate_portfolio(tier: str = "S", seed: int = 42, now: datetime = DEFAULT_NOW) -> Portfolio:
    """Build the deterministic portfolio for ``tier`` and ``seed``."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
    size = TIERS[tier]
    rng = random.Random(seed * 7919 + len(tier))
    as_of = now.date()
    manifest = Manifest()

    people: list[Person] = []
    seen_emails: set[str] = set()
    for i in range(size.people):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        email = f"{first}.{last}".lower() + "@example.com"
        if email in seen_emails:
            email = f"{first}.{last}{i}".lower() + "@example.com"
        seen_emails.add(email)
        contractor = rng.random() < 0.2
        contract_end = (
            as_of - timedelta(days=rng.randint(10, 120))
            if contractor and rng.random() < 0.3
            else (as_of + timedelta(days=rng.randint(30, 400)) if contractor else None)
        )
        people.append(
            Person(
                person_id=f"P{i + 1:05d}",
                display_name=f"{first} {last}",
                email=email,
                department=rng.choice(DEPARTMENTS),
                employment_type="contractor" if contractor else "employee",
                contract_end_date=contract_end,
                cost_rate=Decimal(rng.choice((55, 65, 75, 85, 95, 110, 130))),
                std_hours_per_day=Decimal("8.0"),
                fte=Decimal("1.0") if rng.random() < 0.9 else Decimal("0.5"),
                is_active=rng.random() > 0.03,
                uses_jira=rng.random() < 0.7,
                jira_account_id=_jira_account_id(rng),
                entra_object_id=_stable_uuid(rng),
                msproject_resource_name=f"{first} {last}",
            )
        )
    active_people = [p for p in people if p.is_active]

    portfolios = [
        PortfolioUnit(f"PF{i + 1:02d}", name, rng.choice(active_people).person_id)
        for i, name in enumerate(PORTFOLIO_NAMES)
    ]
    n_programs = max(2, size.projects // 6)
    programs = [
        Program(
            f"PG{i + 1:03d}",
            f"{PROGRAM_WORDS[i % len(PROGRAM_WORDS)]} Programme {i + 1}",
            portfolios[i % len(portfolios)].portfolio_id,
            rng.choice(active_people).person_id,
        )
        for i in range(n_programs)
    ]

    projects: list[Project] = []
    for i in range(size.projects):
        program = programs[i % len(programs)]
        code = f"FIN-{1001 + i}"
        start = as_of - timedelta(days=rng.randint(60, 540))
        finish = start + timedelta(days=rng.randint(120, 720))
        roll = rng.random()
        status = "closed" if roll < 0.12 else ("on_hold" if roll < 0.17 else "active")
        closed_date = (
            min(finish, as_of - timedelta(days=rng.randint(5, 60))) if status == "closed" else None
        )
        stage = (
            "closure"
            if status == "closed"
            else rng.choice(("initiation", "planning", "delivery", "delivery", "delivery"))
        )
        # One in eight open projects slips badly (schedule Red on purpose), a few a little.
        slip = rng.choice((0, 0, 0, 0, 5, 5, 12, 45)) if status != "closed" else 0
        if status != "closed" and finish < as_of:
            # An open project is normally still within its approved schedule; only the planted
            # big slips (30, 60 days) are past their approved finish (schedule Red on purpose).
            finish = (
                as_of - timedelta(days=slip // 2)
                if slip >= 30
                else as_of + timedelta(days=20 + (as_of - finish).days % 240)
            )
        # Mostly within 10 % of plan, one in eight a clear overrun (cost Red where the budget was
        # not re-baselined).
        overrun = rng.choice((0.9, 0.95, 0.97, 1.0, 1.0, 1.03, 1.08, 1.25))
        tools_roll = rng.random()
        if tools_roll < 0.5:
            tools: tuple[str, ...] = ("jira",)
        elif tools_roll < 0.65:
            tools = ("planner",)
        elif tools_roll < 0.8:
            tools = ("msproject",)
        elif tools_roll < 0.9:
            tools = ("jira", "msproject")
        else:
            tools = ("planner", "msproject")
        team_size = max(3, min(len(active_people), size.people // max(1, size.projects // 3)))
        team = tuple(
            p.person_id for p in rng.sample(active_people, k=min(team_size, len(active_people)))
        )
        projects.append(
            Project(
                project_code=code,
                name=f"{rng.choice(PROJECT_WORDS)} {rng.choice(PROJECT_WORDS)} {i + 1}",
                program_id=program.program_id,
                portfolio_id=program.portfolio_id,
                manager_id=team[0],
                sponsor_id=rng.choice(active_people).person_id,
                status=status,
                stage=stage,
                start_date=start,
                finish_date=finish,
                forecast_finish_date=finish + timedelta(days=slip),
                closed_date=closed_date,
                currency=rng.choice(CURRENCIES),
                # The same draw as the former random budget, so the rest of the world is unchanged.
                budget_total=_budget_total(
                    size, start, finish, 0.8 + 0.45 * (rng.randrange(50, 2_000) - 50) / 1950
                ),
                cost_overrun_factor=overrun,
                schedule_slip_days=slip,
                reported_rag=rng.choice(("Green", "Green", "Green", "Amber", "Red")),
                last_status_date=as_of
                - timedelta(days=rng.choice((1, 2, 3, 4, 5, 6, 7, 7, 7, 3, 20, 45))),
                is_chargeable=status != "closed",
                tools=tools,
                jira_key=_jira_key(i) if "jira" in tools else None,
                team=team,
                has_baseline=True,
            )
        )

    # Every tier has a closed project: AP-10 and TS-05 (spend and time after close) need one.
    if not any(p.status == "closed" for p in projects):
        last = projects[-1]
        last.status, last.stage, last.is_chargeable = "closed", "closure", False
        last.closed_date = min(last.finish_date, as_of - timedelta(days=20))
        last.schedule_slip_days, last.forecast_finish_date = 0, last.finish_date

    # Governance faults planted on the project registry itself (GV-01, GV-02, GV-03).
    active = [p for p in projects if p.status == "active"]
    if len(active) >= 4:
        no_pm = active[1]
        no_pm.manager_id = None
        manifest.plant("GV-01", "finance", "project", no_pm.project_code, "no project manager")
        no_sponsor = active[2]
        no_sponsor.sponsor_id = None
        manifest.plant("GV-01", "finance", "project", no_sponsor.project_code, "no sponsor")
        no_baseline = next((p for p in active[3:] if p.stage == "delivery"), active[3])
        no_baseline.stage = "delivery"
        no_baseline.has_baseline = False
        manifest.plant(
            "GV-02", "finance", "project", no_baseline.project_code, "in delivery, no baseline 0"
        )
    _plant_watermelons(active, as_of, manifest)
    for p in active:
        if (as_of - p.last_status_date).days > 14:
            manifest.plant(
                "GV-03",
                "finance",
                "project",
                p.project_code,
                f"last status {p.last_status_date.isoformat()}",
            )

    vendors = [
        Vendor(
            vendor_id=f"V{i + 1:04d}",
            name=VENDOR_NAMES[i % len(VENDOR_NAMES)] + ("" if i < len(VENDOR_NAMES) else f" {i}"),
            tax_id=f"DE{rng.randrange(10**8, 10**9)}",
            status="blocked" if i == 3 else "active",
            currency=rng.choice(CURRENCIES),
        )
        for i in range(max(6, min(len(VENDOR_NAMES) * 4, size.projects // 2)))
    ]

    labour_overlaps = _plant_labour_overlaps(projects, people, as_of, manifest, rng)
    return Portfolio(
        tier=tier,
        seed=seed,
        size=size,
        now=now,
        people=people,
        portfolios=portfolios,
        programs=programs,
        projects=projects,
        vendors=vendors,
        manifest=manifest,
        labour_overlaps=labour_overlaps,
    )


# Average hours of a time record (worklog or timesheet entry) and cost rate, for budget sizing.
_HOURS_PER_RECORD = 2.6
_AVERAGE_COST_RATE = 85
_EXTERNAL_SHARE = 0.35  # sandbox.finance.files.EXTERNAL_SHARE


def _budget_total(size: TierSize, start: date, finish: date, spread: float) -> Decimal:
    """A budget that fits the work the sandbox books against the project (issue 10): the labour
    the tier's time records put on an average project over its duration, plus the bought-in
    share, times a spread. Random budgets made CPIs of 0.01-0.05 on a credible-looking world."""
    records_per_year = size.worklog_rows * 1.3  # Jira worklogs + finance timesheets (30 %)
    labour_per_year = records_per_year * _HOURS_PER_RECORD * _AVERAGE_COST_RATE / size.projects
    years = max(0.25, (finish - start).days / 365)
    total = labour_per_year * years / (1 - _EXTERNAL_SHARE) * spread
    return (Decimal(str(total)) / 1000).quantize(Decimal(1)) * 1000


# Share of a Jira project's labour booked as Jira worklogs; the rest comes from finance timesheets
# of team members who do not use Jira. Projects without Jira book all their labour in timesheets.
JIRA_LABOUR_SHARE = 0.8


def planned_progress(project: Project, as_of: date) -> float:
    """Share of the approved schedule elapsed by ``as_of`` (1.0 once closed)."""
    if project.status == "closed":
        return 1.0
    span = max(1, (project.finish_date - project.start_date).days)
    return min(1.0, max(0.0, (as_of - project.start_date).days / span))


def expected_progress(project: Project, as_of: date) -> float:
    """Share of the work done by ``as_of``: the elapsed share of the schedule, less for a project
    whose schedule slips (a month's slip runs 30 % behind). Jira issues finish, and labour and
    vendor invoices are booked, at this pace."""
    return planned_progress(project, as_of) * (1 - min(0.3, project.schedule_slip_days / 100))


def labour_cost_to_date(project: Project, as_of: date) -> Decimal:
    """The labour cost, in the reporting currency, the sandbox books on ``project`` by ``as_of``:
    the labour share of its budget, as far as the work has gone, times its cost overrun. Jira
    worklogs and finance timesheets are generated up to this figure, so actual cost follows the
    plan (issue 10: a credible portfolio; time booked at random made CPIs of 0.5 to 5)."""
    from sandbox.finance.files import EXTERNAL_SHARE, FX_BASE

    rate = FX_BASE.get(project.currency, Decimal(1))
    labour = project.budget_total * rate * (1 - EXTERNAL_SHARE)
    share = expected_progress(project, as_of) * project.cost_overrun_factor
    return (labour * Decimal(str(share))).quantize(Decimal(1))


def _plant_watermelons(active: list[Project], as_of: date, manifest: Manifest) -> None:
    """GV-09 (reported Green, computed Red), exact by construction: one or two active projects
    past their approved finish by more than 10 days (schedule Red whatever their costs) report
    Green; every other active project reports at most Amber, so no unplanted GV-09 can arise."""
    late = [p for p in active if (as_of - p.finish_date).days > 20]
    if not late and len(active) > 5:
        late = [active[5]]
        late[0].finish_date = as_of - timedelta(days=30)
        late[0].forecast_finish_date = late[0].finish_date + timedelta(
            days=late[0].schedule_slip_days
        )
    watermelons = late[: max(1, len(active) // 25)]
    for p in active:
        if p in watermelons:
            p.reported_rag = "Green"
            manifest.plant(
                "GV-09",
                "finance",
                "project",
                p.project_code,
                f"reports Green, approved finish {p.finish_date.isoformat()} passed",
            )
        elif p.reported_rag == "Green":
            p.reported_rag = "Amber"


def _plant_labour_overlaps(
    projects: list[Project],
    people: list[Person],
    as_of: date,
    manifest: Manifest,
    rng: random.Random,
) -> list[LabourOverlap]:
    """TS-12: a few Jira users also put a day of Jira work into a finance timesheet.

    Only active Jira projects and active employees (so no other timesheet rule fires on the
    entry); the day is a weekday 5-30 days back, 2 hours in each system.
    """
    by_id = {p.person_id: p for p in people}
    overlaps: list[LabourOverlap] = []
    candidates = [p for p in projects if p.status == "active" and "jira" in p.tools]
    for project in candidates[: max(1, len(projects) // 10)]:
        staff = [
            by_id[pid]
            for pid in project.team
            if by_id[pid].uses_jira
            and by_id[pid].is_active
            and by_id[pid].employment_type == "employee"
        ]
        if not staff:
            continue
        person = rng.choice(staff)
        day = as_of - timedelta(days=rng.randint(5, 30))
        while day.isoweekday() > 5:
            day -= timedelta(days=1)
        overlaps.append(LabourOverlap(person.person_id, project.project_code, day, Decimal(2)))
        manifest.plant(
            "TS-12",
            "finance",
            "person_project_day",
            f"{person.email}|{project.project_code}|{day.isoformat()}",
            "2 h in a Jira worklog and in a finance timesheet",
        )
    return overlaps
