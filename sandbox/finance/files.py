"""Finance files of the sandbox world, written in the dialects finance systems really export.

``write_finance_files(portfolio, directory)`` writes, deterministically from
``portfolio.rng("finance")``:

| file | from | dialect |
|---|---|---|
| ``projects.csv`` | PPM registry | UTF-8 with BOM, ``,``, thousands ``,``, ISO dates |
| ``people.csv`` | HR export | cp1252, ``;``, decimal comma, ``dd.mm.yyyy``, ja/nein |
| ``vendors.csv`` | vendor master | UTF-8, ``,`` |
| ``budget_original.xlsx`` | budget workbook (sheet ``Budget``), original versions | XLSX |
| ``budget_current.csv`` | ERP budget export, current approved versions | cp1252, ``;``, ``1.234,56`` |
| ``purchase_orders.csv`` | US ERP | UTF-8 with BOM, ``,``, ``"12,345.00"``, ``mm/dd/yyyy`` |
| ``invoices_2026h1.csv``, ``invoices_2026h2.csv`` | AP export | cp1252, ``;``, ``(99,00)`` credits, € and curly quotes |
| ``timesheets_2026.csv`` | time tracking (people outside Jira) | UTF-8, ``,``, ``dd/mm/yyyy`` |
| ``fx_rates.csv`` | rates to the reporting currency (EUR) | UTF-8, ISO |

Planted faults go to ``portfolio.manifest`` with keys found in the files: invoice lines as
``<vendor_id>|<invoice_number>|<invoice_line>``, timesheet entries by ``entry_id`` (TS-03 as
``<person_email>|<work_date>``), projects by code, data defects (DEF-01 bad number, DEF-02 bad
date, DEF-03 wrong column count, DEF-04 missing required value) as ``<file name>:<line number>``.
Clean rows never trip a planted rule by accident, so the manifest is the exact ground truth.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sandbox.finance.payments import project_funding_type, vendor_terms, write_payment_files
from sandbox.portfolio import (
    JIRA_LABOUR_SHARE,
    Manifest,
    Portfolio,
    Project,
    expected_progress,
    labour_cost_to_date,
)

_TERMS_HEADER = ["payment_terms_days", "discount_pct", "discount_days"]

COST_TYPES = ("labour", "external", "hardware", "software", "travel", "other")
REPORTING_CURRENCY = "EUR"
FX_BASE = {"EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.16")}
CENT = Decimal("0.01")
# Rules this module plants (GV-01/02/03 come from the portfolio itself and are left alone).
PLANTED_RULES = frozenset(
    {"AP-03", "AP-04", "AP-08", "AP-10", "AP-12", "AP-13", "AP-14", "GV-11"}
    | {"TS-03", "TS-04", "TS-05", "TS-08", "TS-10", "DEF-01", "DEF-02", "DEF-03", "DEF-04"}
)


@dataclass
class _Csv:
    """A CSV file built line by line, so every planted key knows its physical line number."""

    name: str
    delimiter: str
    encoding: str
    lines: list[str] = field(default_factory=list)
    newline: str = "\n"

    def _quote(self, value: str) -> str:
        if self.delimiter in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    def add(self, fields: list[str]) -> int:
        self.lines.append(self.delimiter.join(self._quote(f) for f in fields))
        return len(self.lines)

    def add_raw(self, text: str) -> int:
        self.lines.append(text)
        return len(self.lines)

    def key(self, line: int) -> str:
        return f"{self.name}:{line}"

    def save(self, directory: Path) -> Path:
        path = directory / self.name
        path.write_bytes((self.newline.join(self.lines) + self.newline).encode(self.encoding))
        return path


def _money(value: Decimal, *, decimal: str, thousands: str, parentheses: bool = False) -> str:
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    text = (
        f"{abs(value):,.2f}".replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    )
    if value < 0:
        return f"({text})" if parentheses else f"-{text}"
    return text


def _de(value: Decimal) -> str:
    return _money(value, decimal=",", thousands=".", parentheses=True)


def _us(value: Decimal) -> str:
    return _money(value, decimal=".", thousands=",", parentheses=True)


def _months(start: date, end: date, limit: int) -> list[str]:
    periods, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month) and len(periods) < limit:
        periods.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return periods


def _days_per_month(start: date, end: date, periods: list[str]) -> dict[str, int]:
    """Calendar days of ``start``..``end`` in each ``YYYY-MM`` period (at least one each)."""
    days: dict[str, int] = {}
    for period in periods:
        first = date(int(period[:4]), int(period[5:]), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        overlap = (min(end + timedelta(days=1), following) - max(start, first)).days
        days[period] = max(1, overlap)
    return days


def _weekday_between(rng: random.Random, start: date, end: date) -> date:
    for _ in range(20):
        day = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
        if day.weekday() < 5:
            return day
    return start


# Share of a project's budget bought from vendors (PO lines); the rest is labour.
EXTERNAL_SHARE = Decimal("0.35")


def _invoiceable_share(pr: Project, as_of: date) -> Decimal:
    """How much of a PO line may be invoiced by ``as_of``: vendors bill as the work goes, so the
    project's share of the work done (portfolio.expected_progress) times its cost overrun, at
    most 95 %."""
    done = max(0.05, expected_progress(pr, as_of))
    return Decimal(str(round(min(0.95, done * pr.cost_overrun_factor), 4)))


def write_finance_files(portfolio: Portfolio, directory: str | Path) -> list[Path]:
    """Write the world's finance files into ``directory`` and plant their faults in the manifest.

    Args:
        portfolio: the seeded portfolio (tier volumes from ``portfolio.size``).
        directory: target folder (created when missing).

    Returns:
        The written files, in a stable order.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    writer = _Writer(portfolio, directory)
    paths = writer.write()
    # Writing again (another folder, or after the clock moved) re-plants the faults: they replace
    # the earlier ones in place, so the manifest never holds a fault twice or a stale key.
    faults = portfolio.manifest.faults
    mine = {i for i, f in enumerate(faults) if f.system == "finance" and f.rule_id in PLANTED_RULES}
    position = min(mine) if mine else len(faults)
    before = [f for i, f in enumerate(faults[:position]) if i not in mine]
    after = [f for i, f in enumerate(faults) if i >= position and i not in mine]
    faults[:] = before + writer.planted.faults + after
    # Payments and grant expenses read the invoice and PO files just written.
    paths.extend(write_payment_files(portfolio, directory))
    return paths


def _save_deterministic_xlsx(workbook: object, path: Path, as_of: date) -> None:
    """Save a workbook whose bytes depend only on its content and the world clock.

    openpyxl stamps the save time into docProps/core.xml and every zip entry; the same world written
    twice must give the same file, or the landing ledger would see a corrected re-issue.
    """
    import io
    import re
    import zipfile

    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    stamp = f"{as_of.isoformat()}T00:00:00Z"
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    lambda m: m.group(1) + stamp.encode() + m.group(2),
                    data,
                )
            info = zipfile.ZipInfo(
                item.filename, date_time=(as_of.year, as_of.month, as_of.day, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


class _Writer:
    def __init__(self, portfolio: Portfolio, directory: Path) -> None:
        self.p = portfolio
        self.dir = directory
        self.rng = portfolio.rng("finance")
        self.as_of = portfolio.as_of
        self.manifest = portfolio.manifest
        self.planted = Manifest()
        self.projects = {p.project_code: p for p in portfolio.projects}

    def plant(self, rule: str, entity: str, key: str, detail: str = "") -> None:
        self.planted.plant(rule, "finance", entity, key, detail)

    def write(self) -> list[Path]:
        paths = [
            self._projects(),
            self._people(),
            self._vendors(),
            *self._budgets(),
        ]
        po_lines = self._purchase_orders(paths)
        paths.extend(self._invoices(po_lines))
        paths.append(self._timesheets())
        paths.append(self._fx_rates())
        return paths

    # -- registries --------------------------------------------------------------------------
    def _email(self, person_id: str | None) -> str:
        return self.p.person(person_id).email if person_id else ""

    def _projects(self) -> Path:
        out = _Csv("projects.csv", ",", "utf-8-sig")
        out.add(
            "project_code,project_name,program_code,program_name,portfolio_code,portfolio_name,"
            "manager_email,sponsor_email,status,stage,start_date,finish_date,closed_date,"
            "is_chargeable,has_baseline,currency,budget_total,reported_rag,last_status_date,"
            "funding_type".split(",")
        )
        programs = {g.program_id: g for g in self.p.programs}
        portfolios = {f.portfolio_id: f for f in self.p.portfolios}
        for pr in self.p.projects:
            out.add(
                [
                    pr.project_code,
                    pr.name,
                    pr.program_id,
                    programs[pr.program_id].name,
                    pr.portfolio_id,
                    portfolios[pr.portfolio_id].name,
                    self._email(pr.manager_id),
                    self._email(pr.sponsor_id),
                    pr.status,
                    pr.stage,
                    pr.start_date.isoformat(),
                    pr.finish_date.isoformat(),
                    pr.closed_date.isoformat() if pr.closed_date else "",
                    "true" if pr.is_chargeable else "false",
                    "true" if pr.has_baseline else "false",
                    pr.currency,
                    _money(pr.budget_total, decimal=".", thousands=","),
                    pr.reported_rag,
                    pr.last_status_date.isoformat(),
                    project_funding_type(pr.project_code),
                ]
            )
        return out.save(self.dir)

    def _people(self) -> Path:
        out = _Csv("people.csv", ";", "cp1252", newline="\r\n")
        out.add(
            "Personalnummer;E-Mail;Name;Abteilung;employment_type;Vertragsende;Stundensatz;"
            "std_hours_per_day;fte;Aktiv;Bemerkung".split(";")
        )
        for i, person in enumerate(self.p.people):
            out.add(
                [
                    person.person_id,
                    person.email,
                    person.display_name,
                    person.department,
                    person.employment_type,
                    person.contract_end_date.strftime("%d.%m.%Y")
                    if person.contract_end_date
                    else "",
                    _de(person.cost_rate),
                    _de(person.std_hours_per_day),
                    _de(person.fte),
                    "ja" if person.is_active else "nein",
                    "Satz in € „intern“" if i % 7 == 0 else "",
                ]
            )
        return out.save(self.dir)

    def _vendors(self) -> Path:
        out = _Csv("vendors.csv", ",", "utf-8")
        out.add(["vendor_id", "vendor_name", "tax_id", "status", "currency"] + _TERMS_HEADER)
        for vendor in self.p.vendors:
            net, pct, days = vendor_terms(vendor.vendor_id)
            out.add(
                [vendor.vendor_id, vendor.name, vendor.tax_id, vendor.status, vendor.currency]
                + [str(net), str(pct) if pct is not None else "", str(days or "")]
            )
        return out.save(self.dir)

    # -- budgets -----------------------------------------------------------------------------
    def _budgets(self) -> list[Path]:
        from openpyxl import Workbook  # only the budget workbook needs it

        active = [p for p in self.p.projects if p.status == "active"]
        planted = {f.key for f in self.manifest.faults if f.rule_id in ("GV-01", "GV-02")}
        no_budget = next((p for p in active if p.project_code not in planted), None)
        if no_budget is not None:
            self.plant(
                "GV-11", "project", no_budget.project_code, "active project without budget lines"
            )
        funded = [p for p in self.p.projects if p is not no_budget]
        per_project = max(4, self.p.size.budget_lines // max(1, 2 * len(funded)))

        workbook = Workbook()
        info = workbook.active
        info.title = "Info"
        info.append(["Budget workbook exported by the PPM tool", self.as_of.isoformat()])
        sheet = workbook.create_sheet("Budget")
        sheet.append(["Project", "Period", "Cost type", "Version", "Amount", "Currency"])
        current = _Csv("budget_current.csv", ";", "cp1252", newline="\r\n")
        current.add(["Projekt", "Periode", "Kostenart", "Version", "Betrag", "Währung"])
        for pr in funded:
            periods = _months(pr.start_date, pr.finish_date, limit=36)
            # Every month of the plan gets its lines: a budget that stops early would make the
            # time-phased baseline (PV) reach BAC long before the project finishes.
            n_types = max(1, min(len(COST_TYPES), per_project // len(periods)))
            types = COST_TYPES[:n_types]
            cells = [(period, ct) for period in periods for ct in types]
            # Each month gets the share of the plan's days that fall in it: a full month's budget
            # in a month the project starts on the 25th put planned value ahead of any work.
            days = _days_per_month(pr.start_date, pr.finish_date, periods)
            total_days = Decimal(sum(days.values()) or 1)
            for period, cost_type in cells:
                share = pr.budget_total * days[period] / total_days / len(types)
                # +-10 %: phasing noise that leaves the plan curve (PV) close to the work.
                original = (share * Decimal(self.rng.uniform(0.9, 1.1))).quantize(CENT)
                revised = (original * Decimal(pr.cost_overrun_factor)).quantize(CENT)
                if pr.has_baseline:
                    sheet.append(
                        [
                            pr.project_code,
                            period,
                            cost_type,
                            "original",
                            float(original),
                            pr.currency,
                        ]
                    )
                month, year = period[5:], period[:4]
                current.add(
                    [
                        pr.project_code,
                        f"{month}.{year}",
                        cost_type,
                        "current",
                        _de(revised),
                        pr.currency,
                    ]
                )
        xlsx = self.dir / "budget_original.xlsx"
        _save_deterministic_xlsx(workbook, xlsx, self.as_of)
        return [xlsx, current.save(self.dir)]

    # -- purchase orders ---------------------------------------------------------------------
    def _chargeable_window(self, pr: Project) -> tuple[date, date]:
        end = min(self.as_of, pr.closed_date or self.as_of)
        start = max(pr.start_date, end - timedelta(days=330))
        return start, max(start, end)

    def _purchase_orders(self, paths: list[Path]) -> list[dict]:
        out = _Csv("purchase_orders.csv", ",", "utf-8-sig", newline="\r\n")
        out.add(
            [
                "PO",
                "PO Item",
                "Vendor",
                "Project",
                "Order Date",
                "Net Value",
                "Currency",
                "Status",
                "Text",
            ]
        )
        vendors = [v for v in self.p.vendors if v.status == "active"]
        lines: list[dict] = []
        n_lines = self.p.size.po_lines
        po_no = 0
        while len(lines) < n_lines:
            po_no += 1
            # Projects take turns: a random draw gave one project three times another's orders,
            # so its invoices (actual cost) had nothing to do with its budget.
            pr = self.p.projects[(po_no - 1) % len(self.p.projects)]
            vendor = self.rng.choice(vendors)
            start, end = self._chargeable_window(pr)
            po_date = _weekday_between(self.rng, start, max(start, end - timedelta(days=20)))
            for item in range(1, self.rng.randint(1, 3) + 1):
                # Orders are sized to the project: about EXTERNAL_SHARE of its budget is bought in,
                # spread over its share of the PO lines (a credible portfolio, issue 10).
                per_line = pr.budget_total * EXTERNAL_SHARE * len(self.p.projects) / n_lines
                amount = max(
                    Decimal(500),
                    (per_line * Decimal(self.rng.uniform(0.5, 1.5))).quantize(Decimal(1)),
                )
                record = {
                    "po_number": f"PO-{400000 + po_no}",
                    "po_line": item,
                    "vendor": vendor,
                    "project": pr,
                    "po_date": po_date,
                    "amount": amount,
                    "currency": pr.currency,
                    "invoiced": Decimal(0),
                }
                status = "closed" if pr.status == "closed" else "open"
                line_text = f"{self.rng.choice(COST_TYPES).title()} services, item {item}"
                # Some exports pad cells with spaces: the contract trims them.
                po_text = f" {record['po_number']} " if po_no % 17 == 0 else record["po_number"]
                out.add(
                    [
                        po_text,
                        str(item),
                        vendor.vendor_id,
                        pr.project_code,
                        po_date.strftime("%m/%d/%Y"),
                        _us(amount),
                        pr.currency,
                        status,
                        line_text,
                    ]
                )
                lines.append(record)
        out.add_raw("")
        paths.append(out.save(self.dir))
        return lines

    # -- invoices ----------------------------------------------------------------------------
    def _invoices(self, po_lines: list[dict]) -> list[Path]:
        files = [
            _Csv("invoices_2026h1.csv", ";", "cp1252", newline="\r\n"),
            _Csv("invoices_2026h2.csv", ";", "cp1252", newline="\r\n"),
        ]
        header = [
            "Kreditor",
            "Rechnungsnummer",
            "Position",
            "Rechnungsdatum",
            "Bestellung",
            "Bestellposition",
            "Projekt",
            "Kostenart",
            "Betrag",
            "Währung",
            "Buchungstext",
        ]
        for f in files:
            f.add(header)
        rng = self.rng
        target = self.p.size.invoice_lines
        blocked = next(v for v in self.p.vendors if v.status == "blocked")
        active_vendors = [v for v in self.p.vendors if v.status == "active"]
        chargeable = [p for p in self.p.projects if p.status != "closed"]
        closed = [p for p in self.p.projects if p.status == "closed" and p.closed_date]
        written: list[tuple[_Csv, int, list[str], dict | None]] = []
        counters: dict[str, int] = defaultdict(int)
        texts = (
            "Beratung € Festpreis",
            "Lizenz „Premium“ – Jahresgebühr",
            "Reisekosten",
            "Wartung ‘Basis’",
            "Hardware",
        )

        def emit(vendor_id: str, inv_date: date, rows: list[dict]) -> list[str]:
            counters[vendor_id] += 1
            number = f"RE-{vendor_id[1:]}-{counters[vendor_id]:05d}"
            out = files[0] if inv_date.month <= 6 and inv_date.year <= 2026 else files[1]
            keys = []
            fmt = "%d.%m.%y" if counters[vendor_id] % 11 == 0 else "%d.%m.%Y"
            for i, row in enumerate(rows, start=1):
                fields = [
                    vendor_id,
                    number,
                    str(i),
                    inv_date.strftime(fmt),
                    row.get("po", ""),
                    str(row["po_line"]) if row.get("po_line") else "",
                    row["project"],
                    row["cost_type"],
                    _de(row["amount"]),
                    row["currency"],
                    rng.choice(texts),
                ]
                line = out.add(fields)
                written.append((out, line, fields, row.get("po_ref")))
                keys.append(f"{vendor_id}|{number}|{i}")
            return keys

        def po_invoice(po: dict, share: float) -> list[str] | None:
            pr: Project = po["project"]
            start = max(po["po_date"], pr.start_date)
            end = min(self.as_of, pr.closed_date or self.as_of)
            if end < start:
                return None
            amount = (po["amount"] * Decimal(share)).quantize(CENT)
            if po["invoiced"] + amount > po["amount"] * _invoiceable_share(pr, self.as_of):
                return None
            po["invoiced"] += amount
            po.setdefault("line_amounts", []).append(amount)
            return emit(
                po["vendor"].vendor_id,
                _weekday_between(rng, start, end),
                [
                    {
                        "po": po["po_number"],
                        "po_line": po["po_line"],
                        "project": pr.project_code,
                        "cost_type": rng.choice(COST_TYPES),
                        "amount": amount,
                        "currency": po["currency"],
                        "po_ref": po,
                    }
                ],
            )

        n_planted = max(2, target // 250)
        # Regular traffic: invoices against PO lines, within the PO balance.
        attempts = 0
        while len(written) < target - 8 * n_planted and attempts < target * 20:
            attempts += 1
            po = rng.choice(po_lines)
            po_invoice(po, rng.uniform(0.05, 0.3))
        # Credit notes: negative amounts, written in parentheses by the ERP.
        for _ in range(n_planted):
            po = rng.choice([p for p in po_lines if p["invoiced"] > 100])
            credit = -(po["invoiced"] * Decimal("0.1")).quantize(CENT)
            po["invoiced"] += credit
            last_day = min(self.as_of, po["project"].closed_date or self.as_of)
            emit(
                po["vendor"].vendor_id,
                _weekday_between(rng, min(po["po_date"], last_day), last_day),
                [
                    {
                        "po": po["po_number"],
                        "po_line": po["po_line"],
                        "project": po["project"].project_code,
                        "cost_type": "other",
                        "amount": credit,
                        "currency": po["currency"],
                    }
                ],
            )
        # AP-08: spend without a purchase order.
        for _ in range(n_planted):
            pr = rng.choice(chargeable)
            vendor = rng.choice(active_vendors)
            start, end = self._chargeable_window(pr)
            for key in emit(
                vendor.vendor_id,
                _weekday_between(rng, start, end),
                [
                    {
                        "project": pr.project_code,
                        "cost_type": "travel",
                        "amount": Decimal(rng.randrange(200, 9_000)),
                        "currency": pr.currency,
                    }
                ],
            ):
                self.plant("AP-08", "invoice_line", key, "invoice line without purchase order")
        # AP-12: an invoice that takes a PO line over its balance.
        for po in rng.sample([p for p in po_lines if p["project"].status != "closed"], n_planted):
            # The overage exceeds every earlier line of the PO: AP-12 flags each line that alone
            # accounts for the overage, so only the planted line does (exact ground truth).
            excess = Decimal(rng.randrange(500, 5_000))
            if po.get("line_amounts"):
                excess = max(excess, max(po["line_amounts"]) + Decimal(1))
            over = (po["amount"] - po["invoiced"]) + excess
            po["invoiced"] += over
            pr = po["project"]
            keys = emit(
                po["vendor"].vendor_id,
                _weekday_between(rng, max(po["po_date"], pr.start_date), self.as_of),
                [
                    {
                        "po": po["po_number"],
                        "po_line": po["po_line"],
                        "project": pr.project_code,
                        "cost_type": "external",
                        "amount": over,
                        "currency": po["currency"],
                    }
                ],
            )
            self.plant(
                "AP-12",
                "invoice_line",
                keys[0],
                f"exceeds {po['po_number']}/{po['po_line']} balance",
            )
        # AP-10: invoice dated after the project closed.
        for pr in closed[:n_planted]:
            vendor = rng.choice(active_vendors)
            day = min(self.as_of, pr.closed_date + timedelta(days=rng.randint(3, 30)))
            for key in emit(
                vendor.vendor_id,
                day,
                [
                    {
                        "project": pr.project_code,
                        "cost_type": "external",
                        "amount": Decimal(rng.randrange(500, 20_000)),
                        "currency": pr.currency,
                    }
                ],
            ):
                self.plant(
                    "AP-10", "invoice_line", key, f"project closed {pr.closed_date.isoformat()}"
                )
                self.plant("AP-08", "invoice_line", key, "invoice line without purchase order")
        # AP-13: the blocked vendor invoices anyway.
        pr = rng.choice(chargeable)
        start, end = self._chargeable_window(pr)
        for key in emit(
            blocked.vendor_id,
            _weekday_between(rng, start, end),
            [
                {
                    "project": pr.project_code,
                    "cost_type": "software",
                    "amount": Decimal("4800.00"),
                    "currency": pr.currency,
                }
            ],
        ):
            self.plant("AP-13", "invoice_line", key, "vendor is blocked")
            self.plant("AP-08", "invoice_line", key, "invoice line without purchase order")
        # AP-14: project codes the registry does not know.
        for i in range(n_planted):
            vendor = rng.choice(active_vendors)
            code = f"FIN-{9001 + i}" if i % 2 == 0 else f"FIN{1001 + i}"
            for key in emit(
                vendor.vendor_id,
                _weekday_between(rng, self.as_of - timedelta(days=200), self.as_of),
                [
                    {
                        "project": code,
                        "cost_type": "other",
                        "amount": Decimal(rng.randrange(100, 3_000)),
                        "currency": "EUR",
                    }
                ],
            ):
                self.plant("AP-14", "invoice_line", key, f"unknown project code {code}")
                self.plant("AP-08", "invoice_line", key, "invoice line without purchase order")
        # AP-03 exact duplicates (the same line sent twice) and AP-04 near duplicates (same
        # normalized invoice number, amount within 1 %, date a few days later).
        candidates = [
            w
            for w in written
            if w[3] is not None
            and w[3]["project"].status != "closed"
            and not w[2][8].startswith("(")
            and w[3]["invoiced"]
            + Decimal(w[2][8].replace(".", "").replace(",", ".")) * Decimal("1.01")
            <= w[3]["amount"]
        ]
        sources = []
        for w in rng.sample(candidates, len(candidates)):
            amount = Decimal(w[2][8].replace(".", "").replace(",", "."))
            # A duplicate must not push its PO line over the balance (that would be AP-12 too).
            if (
                w[3]["invoiced"] + amount * Decimal("1.01") <= w[3]["amount"]
                and len(sources) < 2 * n_planted
            ):
                w[3]["invoiced"] += amount * Decimal("1.01")
                sources.append(w)
        for out, _, fields, _ in sources[:n_planted]:
            out.add(list(fields))
            self.plant(
                "AP-03", "invoice_line", f"{fields[0]}|{fields[1]}|{fields[2]}", "sent twice"
            )
        for out, _, fields, _ in sources[n_planted:]:
            near = list(fields)
            near[1] = fields[1].replace("-", " ", 1)
            original_date = datetime.strptime(
                fields[3], "%d.%m.%Y" if len(fields[3]) == 10 else "%d.%m.%y"
            ).date()
            near[3] = min(self.as_of, original_date + timedelta(days=rng.randint(1, 9))).strftime(
                "%d.%m.%Y"
            )
            amount = Decimal(fields[8].strip("()").replace(".", "").replace(",", "."))
            near[8] = _de(
                -(amount * Decimal("1.004"))
                if fields[8].startswith("(")
                else amount * Decimal("1.004")
            )
            out.add(near)
            self.plant(
                "AP-04",
                "invoice_line",
                f"{near[0]}|{near[1]}|{near[2]}",
                f"near duplicate of {fields[1]}",
            )
        # Data defects: rows the contract must quarantine, one of each kind per file.
        for out in files:
            vendor = active_vendors[0].vendor_id
            base = [
                vendor,
                "RE-DEF-1",
                "1",
                "15.03.2026",
                "",
                "",
                "FIN-1001",
                "other",
                "100,00",
                "EUR",
                "x",
            ]
            bad_number = list(base)
            bad_number[1], bad_number[8] = "RE-DEF-1", "12,3x"
            self.plant("DEF-01", "csv_row", out.key(out.add(bad_number)), "amount 12,3x")
            bad_date = list(base)
            bad_date[1], bad_date[3] = "RE-DEF-2", "31.02.2026"
            self.plant("DEF-02", "csv_row", out.key(out.add(bad_date)), "31.02.2026")
            short = list(base)[:-2]
            short[1] = "RE-DEF-3"
            self.plant("DEF-03", "csv_row", out.key(out.add(short)), "9 of 11 columns")
            missing = list(base)
            missing[1] = ""
            self.plant("DEF-04", "csv_row", out.key(out.add(missing)), "invoice number missing")
            out.add_raw("")
            out.add_raw("")
        return [f.save(self.dir) for f in files]

    # -- timesheets --------------------------------------------------------------------------
    def _timesheets(self) -> Path:
        out = _Csv("timesheets_2026.csv", ",", "utf-8")
        out.add(
            [
                "entry_id",
                "email",
                "project",
                "date",
                "hours",
                "comment",
                "status",
                "submitted",
                "approved by",
            ]
        )
        rng = self.rng
        people = [p for p in self.p.people if not p.uses_jira and p.is_active]
        if not people:
            return out.save(self.dir)
        team_of: dict[str, list[Project]] = defaultdict(list)
        for pr in self.p.projects:
            for pid in pr.team:
                team_of[pid].append(pr)
        day_hours: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        # The tier's timesheet volume sets how many faults are planted.
        target = max(50, int(self.p.size.worklog_rows * 0.3))
        seq = 0

        def add(
            person, pr: Project, day: date, hours: Decimal, approver: str, comment: str = ""
        ) -> str:
            nonlocal seq
            seq += 1
            entry_id = f"TS-{seq:07d}"
            submitted = datetime.combine(
                min(day + timedelta(days=rng.randint(0, 3)), self.as_of), time(17, 30)
            )
            if day > self.as_of:
                submitted = datetime.combine(self.as_of, time(9, 15))
            out.add(
                [
                    entry_id,
                    person.email,
                    pr.project_code,
                    day.strftime("%d/%m/%Y"),
                    f"{hours:.2f}",
                    comment,
                    "approved" if rng.random() < 0.85 else "submitted",
                    submitted.strftime("%Y-%m-%dT%H:%M:%S"),
                    approver,
                ]
            )
            day_hours[(person.email, day)] += hours
            return entry_id

        def approver_for(person, pr: Project) -> str:
            manager = pr.manager_id if pr.manager_id and pr.manager_id != person.person_id else None
            fallback = next(
                p for p in self.p.people if p.person_id != person.person_id and p.is_active
            )
            return self._email(manager) if manager else fallback.email

        def window(person, pr: Project) -> tuple[date, date] | None:
            end = min(self.as_of, pr.closed_date or self.as_of)
            if person.employment_type == "contractor" and person.contract_end_date:
                end = min(end, person.contract_end_date)
            start = pr.start_date
            return (start, end) if start <= end else None

        # Each project's timesheets add up to its share of the labour its plan has consumed
        # (portfolio.labour_cost_to_date; Jira projects book most of theirs in Jira), so actual
        # cost follows the plan. Team members first; when their days are full, anyone who does
        # not use Jira helps out. On projects without Jira everyone books here, Jira users too
        # (a different project from their Jira time, so no TS-12 double booking arises).
        # Projects take turns, so a shortage of free days is shared.
        everyone = [p for p in self.p.people if p.is_active]
        budgets: dict[str, Decimal] = {}
        teams: dict[str, list] = {}
        pools: dict[str, list] = {}
        for pr in self.p.projects:
            uses_jira = "jira" in pr.tools
            jira_share = Decimal(str(JIRA_LABOUR_SHARE)) if uses_jira else Decimal(0)
            budgets[pr.project_code] = labour_cost_to_date(pr, self.as_of) * (1 - jira_share)
            pool = people if uses_jira else everyone
            pools[pr.project_code] = pool
            teams[pr.project_code] = [p for p in pool if pr in team_of.get(p.person_id, ())] or pool
        # The planted TS-12 double bookings come later: their days keep room for them, so they
        # push nobody over 8 h (Jira users now book here too, on projects without Jira).
        reserved: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        for overlap in self.p.labour_overlaps:
            reserved[(self.p.person(overlap.person_id).email, overlap.work_date)] += overlap.hours
        misses: dict[str, int] = defaultdict(int)
        pending = [pr for pr in self.p.projects if budgets[pr.project_code] > 0]
        while pending:
            for pr in pending:
                code = pr.project_code
                team = teams[code] if rng.random() < 0.8 and misses[code] < 20 else pools[code]
                person = rng.choice(team)
                span = window(person, pr)
                day = _weekday_between(rng, *span) if span else None
                hours = Decimal(rng.choice((1, 2, 2.5, 3, 4, 4, 6, 8))).quantize(CENT)
                if (
                    day is None
                    or day_hours[(person.email, day)] + reserved[(person.email, day)] + hours > 8
                ):
                    misses[code] += 1
                    continue
                misses[code] = 0
                add(
                    person,
                    pr,
                    day,
                    hours,
                    approver_for(person, pr),
                    rng.choice(("", "", "dev", "meeting, review")),
                )
                budgets[code] -= hours * person.cost_rate
            pending = [
                p for p in pending if budgets[p.project_code] > 0 and misses[p.project_code] < 100
            ]
        n = max(2, target // 500)

        def free(person, day: date, hours: Decimal, step: int) -> date:
            # Move the day until the planted entry cannot push the person over 8 h by accident.
            while day_hours[(person.email, day)] + hours > 8:
                day += timedelta(days=step)
            return day

        employees = [p for p in people if p.employment_type == "employee"]
        open_projects = [p for p in self.p.projects if p.status != "closed"]
        # TS-03: a day with more than 8 hours.
        for person in rng.sample(employees, min(n, len(employees))):
            pr = rng.choice(open_projects)
            day = _weekday_between(
                rng, self.as_of - timedelta(days=60), self.as_of - timedelta(days=1)
            )
            while day_hours[(person.email, day)] > 0:
                day -= timedelta(days=1)
            add(person, pr, day, Decimal("6.00"), approver_for(person, pr), "release")
            add(person, pr, day, Decimal("5.50"), approver_for(person, pr), "")
            self.plant(
                "TS-03", "timesheet_entry", f"{person.email}|{day.isoformat()}", "11.5 h in one day"
            )
        # TS-04: future-dated entries.
        for person in rng.sample(employees, min(n, len(employees))):
            pr = rng.choice(open_projects)
            day = self.as_of + timedelta(days=rng.randint(3, 20))
            self.plant(
                "TS-04",
                "timesheet_entry",
                add(person, pr, day, Decimal("4.00"), approver_for(person, pr), "planned"),
            )
        # TS-05: time on a closed project after it closed.
        for pr in [p for p in self.p.projects if p.status == "closed" and p.closed_date][:n]:
            person = rng.choice(employees)
            day = free(person, pr.closed_date + timedelta(days=rng.randint(1, 4)), Decimal(3), 1)
            if day <= pr.closed_date or day > self.as_of:
                continue
            self.plant(
                "TS-05",
                "timesheet_entry",
                add(person, pr, day, Decimal("3.00"), approver_for(person, pr)),
                f"closed {pr.closed_date.isoformat()}",
            )
        # TS-08: self-approval.
        for person in rng.sample(employees, min(n, len(employees))):
            pr = rng.choice(open_projects)
            day = _weekday_between(
                rng, self.as_of - timedelta(days=40), self.as_of - timedelta(days=2)
            )
            day = free(person, day, Decimal(2), -1)
            self.plant(
                "TS-08",
                "timesheet_entry",
                add(person, pr, day, Decimal("2.00"), person.email),
                "approver = owner",
            )
        # TS-10: contractors booking after their contract ended.
        ended = [
            p
            for p in people
            if p.employment_type == "contractor"
            and p.contract_end_date
            and p.contract_end_date < self.as_of - timedelta(days=2)
        ]
        for person in ended[:n]:
            pr = rng.choice(open_projects)
            day = person.contract_end_date + timedelta(days=1)
            self.plant(
                "TS-10",
                "timesheet_entry",
                add(person, pr, day, Decimal("4.00"), approver_for(person, pr)),
                f"contract ended {person.contract_end_date.isoformat()}",
            )
        # TS-12 (planted by the portfolio): Jira users who also put their Jira day in a timesheet.
        by_code = {pr.project_code: pr for pr in self.p.projects}
        for overlap in self.p.labour_overlaps:
            person = self.p.person(overlap.person_id)
            pr = by_code[overlap.project_code]
            add(person, pr, overlap.work_date, overlap.hours, approver_for(person, pr), "dev")
        # Data defects.
        someone = people[0]
        row = [
            "TS-DEF-1",
            someone.email,
            self.p.projects[0].project_code,
            "12/03/2026",
            "7,5",
            "",
            "approved",
            "2026-03-13T09:00:00",
            "",
        ]
        self.plant("DEF-01", "csv_row", out.key(out.add(row)), "hours 7,5 in a dot-decimal file")
        row = [*row[:3], "2026/03/32", "2.00", *row[5:]]
        row[0] = "TS-DEF-2"
        self.plant("DEF-02", "csv_row", out.key(out.add(row)), "date 2026/03/32")
        self.plant(
            "DEF-03",
            "csv_row",
            out.key(out.add_raw("TS-DEF-3," + someone.email + ",FIN-1001,12/03/2026")),
            "4 of 9 columns",
        )
        row = [
            "TS-DEF-4",
            "",
            self.p.projects[0].project_code,
            "12/03/2026",
            "2.00",
            "",
            "approved",
            "",
            "",
        ]
        self.plant("DEF-04", "csv_row", out.key(out.add(row)), "email missing")
        return out.save(self.dir)

    def _fx_rates(self) -> Path:
        out = _Csv("fx_rates.csv", ",", "utf-8")
        out.add(["currency", "rate_date", "rate_to_reporting"])
        y, m = self.as_of.year - 2, self.as_of.month
        while (y, m) <= (self.as_of.year, self.as_of.month):
            for currency, base in FX_BASE.items():
                rate = (
                    base
                    if currency == REPORTING_CURRENCY
                    else base * Decimal(1 + self.rng.uniform(-0.03, 0.03))
                )
                out.add([currency, date(y, m, 1).isoformat(), f"{rate:.6f}"])
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out.save(self.dir)


def write_finance_tick(portfolio: Portfolio, directory: str | Path, tick: int = 1) -> list[Path]:
    """The world moves on: a corrected re-issue of the second invoice file and new timesheets.

    Writes ``invoices_2026h2_v<tick + 1>.csv`` (the latest version with one clean line removed
    and one clean amount lowered, so no planted fault changes) and ``timesheets_tick<tick>.csv``
    (a few entries on person-days still free, so no new fault appears). Deterministic per tick.

    Args:
        portfolio: the portfolio the files were written from.
        directory: the folder :func:`write_finance_files` wrote.
        tick: 1, 2, ... (each tick re-issues the previous version).

    Returns:
        The two new files.
    """
    directory = Path(directory)
    rng = portfolio.rng(f"finance-tick-{tick}")
    previous = directory / ("invoices_2026h2.csv" if tick == 1 else f"invoices_2026h2_v{tick}.csv")
    lines = previous.read_bytes().decode("cp1252").split("\r\n")
    planted = {f.key for f in portfolio.manifest.faults if f.system == "finance"}
    planted_invoices = {k.rsplit("|", 1)[0] for k in planted if k.count("|") == 2}
    safe = [
        i
        for i, line in enumerate(lines[1:], start=1)
        if line.count(";") == 10
        and f"{line.split(';')[0]}|{line.split(';')[1]}" not in planted_invoices
        and not line.split(";")[8].startswith("(")
        and f"{previous.name}:{i + 1}" not in planted
    ]
    drop, lower = rng.sample(safe, 2)
    fields = lines[lower].split(";")
    amount = Decimal(fields[8].replace(".", "").replace(",", "."))
    fields[8] = _de((amount * Decimal("0.9")).quantize(CENT))
    lines[lower] = ";".join(fields)
    reissue = [line for i, line in enumerate(lines) if i != drop]
    reissue_path = directory / f"invoices_2026h2_v{tick + 1}.csv"
    reissue_path.write_bytes("\r\n".join(reissue).encode("cp1252"))
    # The re-issue supersedes the file: its data defects now live there, one line up when the
    # dropped line was above them.
    faults = portfolio.manifest.faults
    for index, fault in enumerate(faults):
        if fault.key.startswith(f"{previous.name}:"):
            line_no = int(fault.key.rsplit(":", 1)[1])
            new_no = line_no - 1 if line_no - 1 > drop else line_no
            faults[index] = dataclasses.replace(fault, key=f"{reissue_path.name}:{new_no}")

    booked: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for name in ["timesheets_2026.csv", *(f"timesheets_tick{t}.csv" for t in range(1, tick))]:
        path = directory / name
        if path.exists():
            for row in path.read_text(encoding="utf-8").splitlines()[1:]:
                parts = row.split(",")
                if len(parts) >= 5:
                    try:
                        booked[(parts[1], parts[3])] += Decimal(parts[4])
                    except ArithmeticError:
                        continue
    out = _Csv(f"timesheets_tick{tick}.csv", ",", "utf-8")
    out.add(
        [
            "entry_id",
            "email",
            "project",
            "date",
            "hours",
            "comment",
            "status",
            "submitted",
            "approved by",
        ]
    )
    people = [
        p
        for p in portfolio.people
        if not p.uses_jira and p.is_active and p.employment_type == "employee"
    ]
    open_projects = [p for p in portfolio.projects if p.status != "closed" and p.manager_id]
    day = portfolio.as_of - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    for i, person in enumerate(rng.sample(people, min(5, len(people)))):
        key = (person.email, day.strftime("%d/%m/%Y"))
        if booked[key] > 4:
            continue
        pr = rng.choice([p for p in open_projects if p.manager_id != person.person_id])
        out.add(
            [
                f"TS-T{tick}-{i + 1:03d}",
                person.email,
                pr.project_code,
                key[1],
                "4.00",
                "tick",
                "submitted",
                datetime.combine(portfolio.as_of, time(8, 0)).strftime("%Y-%m-%dT%H:%M:%S"),
                portfolio.person(pr.manager_id).email,
            ]
        )
    return [reissue_path, out.save(directory)]
