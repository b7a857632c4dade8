"""Sandbox vendor payments and grant-funded expenses, with their planted faults.

``write_payment_files(portfolio, directory)`` runs after :func:`sandbox.finance.files.write_finance_files`
and reads the invoice and purchase-order files it wrote, so the payments pay invoices that exist:

| file | system | dialect |
|---|---|---|
| ``payments.csv`` | AP payment run export | cp1252, ``;``, ``1.234,56``, ``dd.mm.yyyy`` (``erp_de``) |
| ``invoices_expenses.csv`` | AP export of small expense invoices on PO lines | as the other invoices |
| ``change_log.csv`` | PMO change log (``change_requests``) | UTF-8 with BOM, ``,``, ISO dates |

Vendor payment terms (:func:`vendor_terms`) and project funding types
(:func:`project_funding_type`) are functions of the ids, so the vendor master and project registry
writers and this module agree without sharing state.

Planted (manifest, system ``finance``):

- AP-15 late payment: paid after the invoice date + the vendor's net days (key: payment id).
- AP-16 paid without approval: no approval, or approval dated after the payment (payment id).
- AP-17 early-payment discount missed: paid after the discount window of a vendor offering one,
  still within net terms (payment id).
- AP-18 unallowable cost: an expense line whose text names alcohol, entertainment or first-class
  travel on a grant-funded project (invoice line ``<vendor>|<number>|<line>``). The same texts on
  client-funded projects are written too, and are allowed.

Every clean payment is approved before it is paid, within terms, and within the discount window
when the vendor offers a discount (taking the discount), so the manifest is the exact ground truth.
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from sandbox.portfolio import Manifest, Portfolio

PAYMENT_RULES = ("AP-15", "AP-16", "AP-17", "AP-18")
CENT = Decimal("0.01")
# Net days cycle through common terms; every third vendor offers 2 % for payment within 10 days.
_NET_DAYS = (30, 45, 60, 14)
_DISCOUNT = (Decimal("0.0200"), 10)
_FUNDING = ("grant", "client", "internal")


def _ordinal(identifier: str) -> int:
    digits = re.sub(r"\D", "", identifier)
    return int(digits) if digits else sum(map(ord, identifier))


def vendor_terms(vendor_id: str) -> tuple[int, Decimal | None, int | None]:
    """Payment terms of a sandbox vendor: (net days, discount fraction or None, discount days)."""
    n = _ordinal(vendor_id)
    if n % 3 == 0:
        return _NET_DAYS[n % 4], _DISCOUNT[0], _DISCOUNT[1]
    return _NET_DAYS[n % 4], None, None


def project_funding_type(project_code: str) -> str:
    """Funding type of a sandbox project: grant, client or internal."""
    return _FUNDING[_ordinal(project_code) % 3]


@dataclass
class _Invoice:
    vendor_id: str
    number: str
    invoice_date: date
    currency: str
    total: Decimal
    source: str


def _de_amount(text: str) -> Decimal | None:
    negative = text.startswith("(") and text.endswith(")")
    cleaned = text.strip("()").replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return -value if negative else value


def _de_date(text: str) -> date | None:
    for fmt in ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _de(value: Decimal) -> str:
    return (
        f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}".replace(",", "X")
        .replace(".", ",")
        .replace("X", ".")
    )


def _read_invoices(directory: Path) -> list[_Invoice]:
    """Invoices (vendor + number) of the AP exports with their first date and total."""
    invoices: dict[tuple[str, str], _Invoice] = {}
    for name in ("invoices_2026h1.csv", "invoices_2026h2.csv"):
        path = directory / name
        if not path.exists():
            continue
        rows = csv.reader(io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";")
        next(rows, None)
        for row in rows:
            if len(row) != 11 or not row[1] or row[1].startswith("RE-DEF"):
                continue
            amount, day = _de_amount(row[8]), _de_date(row[3])
            if amount is None or day is None:
                continue
            key = (row[0], row[1])
            if key in invoices:
                invoices[key].total += amount
                invoices[key].invoice_date = min(invoices[key].invoice_date, day)
            else:
                invoices[key] = _Invoice(row[0], row[1], day, row[9], amount, name)
    return list(invoices.values())


def _read_po_lines(directory: Path) -> list[dict]:
    path = directory / "purchase_orders.csv"
    rows = csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=",")
    next(rows, None)
    lines = []
    for row in rows:
        if len(row) < 8:
            continue
        lines.append(
            {
                "po": row[0].strip(),
                "po_line": row[1],
                "vendor_id": row[2],
                "project": row[3],
                "po_date": datetime.strptime(row[4], "%m/%d/%Y").date(),
                "amount": Decimal(row[5].replace(",", "")),
                "currency": row[6],
            }
        )
    return lines


class _PaymentWriter:
    def __init__(self, portfolio: Portfolio, directory: Path) -> None:
        self.p = portfolio
        self.dir = directory
        self.as_of = portfolio.as_of
        self.rng: random.Random = portfolio.rng("finance-payments")
        self.planted = Manifest()
        self.vendors = {v.vendor_id: v for v in portfolio.vendors}
        self.approvers = sorted(
            {portfolio.person(pr.manager_id).email for pr in portfolio.projects if pr.manager_id}
        )

    def plant(self, rule: str, entity: str, key: str, detail: str) -> None:
        self.planted.plant(rule, "finance", entity, key, detail)

    def payments(self) -> Path:
        invoices = sorted(
            _read_invoices(self.dir), key=lambda i: (i.invoice_date, i.vendor_id, i.number)
        )
        eligible = [
            i
            for i in invoices
            if i.total > 0
            and i.vendor_id in self.vendors
            and self.vendors[i.vendor_id].status == "active"
        ]
        # Planted cases come from the first half-year file: the finance tick re-issues only the
        # second one, so a planted payment always keeps its invoice.
        h1 = [i for i in eligible if i.source == "invoices_2026h1.csv"]
        plain = [i for i in h1 if vendor_terms(i.vendor_id)[1] is None]
        discounted = [i for i in h1 if vendor_terms(i.vendor_id)[1] is not None]
        late = set(map(id, self.rng.sample(plain, min(2, len(plain)))))
        missed = set(map(id, self.rng.sample(discounted, min(1, len(discounted)))))
        rest = [i for i in h1 if id(i) not in late | missed]
        unapproved = [id(i) for i in self.rng.sample(rest, min(2, len(rest)))]
        no_approval = unapproved[0] if unapproved else None
        approved_late = unapproved[1] if len(unapproved) > 1 else None
        kept_open_never = late | missed | set(unapproved)

        lines = [
            [
                "Zahlungsnummer",
                "Kreditor",
                "Rechnungsnummer",
                "Zahlungsdatum",
                "Betrag",
                "Währung",
                "Zahlweg",
                "Freigabe durch",
                "Freigabedatum",
            ]
        ]
        number = 0
        for invoice in eligible:
            net, pct, discount_days = vendor_terms(invoice.vendor_id)
            due = invoice.invoice_date + timedelta(days=net)
            amount = invoice.total
            if id(invoice) in late:
                paid = due + timedelta(days=self.rng.randint(5, 25))
            elif id(invoice) in missed and discount_days is not None:
                paid = invoice.invoice_date + timedelta(
                    days=self.rng.randint(discount_days + 2, net - 1)
                )
            elif pct is not None and discount_days is not None:
                paid = invoice.invoice_date + timedelta(days=self.rng.randint(1, discount_days))
                amount = (invoice.total * (1 - pct)).quantize(CENT, ROUND_HALF_UP)
            else:
                paid = invoice.invoice_date + timedelta(
                    days=self.rng.randint(max(1, net - 10), net)
                )
            # Invoices not yet due stay open (accounts-payable ageing), and so does one in
            # fifteen of the rest: overdue but unpaid is an ageing fact, not a payment fault.
            if paid > self.as_of or (
                id(invoice) not in kept_open_never and self.rng.random() < 1 / 15
            ):
                continue
            approved = invoice.invoice_date + timedelta(
                days=self.rng.randint(0, max(0, min(3, (paid - invoice.invoice_date).days)))
            )
            approver = self.rng.choice(self.approvers)
            number += 1
            payment_id = f"PAY-{700000 + number}"
            approved_by, approved_on = approver, approved.strftime("%d.%m.%Y")
            if id(invoice) == no_approval:
                approved_by, approved_on = "", ""
                self.plant("AP-16", "payment", payment_id, "no approval recorded")
            elif id(invoice) == approved_late:
                approved_on = (paid + timedelta(days=3)).strftime("%d.%m.%Y")
                self.plant("AP-16", "payment", payment_id, "approved 3 days after payment")
            if id(invoice) in late:
                self.plant("AP-15", "payment", payment_id, f"paid {(paid - due).days} days late")
            if id(invoice) in missed:
                self.plant("AP-17", "payment", payment_id, f"{pct} discount missed")
            lines.append(
                [
                    payment_id,
                    invoice.vendor_id,
                    invoice.number,
                    paid.strftime("%d.%m.%Y"),
                    _de(amount),
                    invoice.currency,
                    "direct_debit" if number % 9 == 0 else "bank_transfer",
                    approved_by,
                    approved_on,
                ]
            )
        return self._save("payments.csv", lines)

    def expenses(self) -> Path:
        projects = {pr.project_code: pr for pr in self.p.projects}
        po_lines = [
            line
            for line in _read_po_lines(self.dir)
            if line["project"] in projects
            and projects[line["project"]].status == "active"
            and projects[line["project"]].is_chargeable
            and line["amount"] >= 20_000
            and line["vendor_id"] in self.vendors
            and self.vendors[line["vendor_id"]].status == "active"
            and line["po_date"] < self.as_of - timedelta(days=30)
        ]
        grant = [line for line in po_lines if project_funding_type(line["project"]) == "grant"]
        client = [line for line in po_lines if project_funding_type(line["project"]) == "client"]
        texts = (
            "Bewirtung Projektabschluss: Wein und Champagner",
            "Team entertainment event (Konzertkarten)",
            "Bahnfahrt 1. Klasse Berlin-München",
            "Flug First Class Frankfurt-New York",
        )
        lines = [
            [
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
        ]
        plan = [
            (line, text, True)
            for line, text in zip(self.rng.sample(grant, min(3, len(grant))), texts, strict=False)
        ]
        plan += [(line, texts[0], False) for line in self.rng.sample(client, min(1, len(client)))]
        plan += [
            (line, "Reisekosten 2. Klasse", False)
            for line in self.rng.sample(grant, min(1, len(grant)))
        ]
        for n, (line, text, unallowable) in enumerate(plan, start=1):
            number = f"EX-{line['vendor_id'][1:]}-{n:04d}"
            day = self.as_of - timedelta(days=self.rng.randint(3, 20))
            amount = Decimal(self.rng.randrange(4_500, 18_000)) / 100
            lines.append(
                [
                    line["vendor_id"],
                    number,
                    "1",
                    day.strftime("%d.%m.%Y"),
                    line["po"],
                    line["po_line"],
                    line["project"],
                    "travel" if "Klasse" in text or "Flug" in text else "other",
                    _de(amount),
                    line["currency"],
                    text,
                ]
            )
            if unallowable:
                self.plant("AP-18", "invoice_line", f"{line['vendor_id']}|{number}|1", text)
        return self._save("invoices_expenses.csv", lines)

    def change_log(self) -> Path:
        """The PMO's change log: one change request per decision kind on open projects."""
        header = [
            "CR ID",
            "Project",
            "Title",
            "Requested",
            "Requester",
            "status",
            "Decided",
            "Approver",
            "Cost impact",
            "currency",
            "Schedule impact",
            "RAID",
        ]
        lines = [header]
        open_projects = [pr for pr in self.p.projects if pr.status == "active" and pr.manager_id]
        kinds = (
            ("approved", "Additional interface to the billing system", 1),
            ("implemented", "Replace on-premise test servers by cloud instances", -1),
            ("rejected", "Extend scope to the second country", 1),
            ("proposed", "Add accessibility audit before go-live", 1),
        )
        for n, (status, title, sign) in enumerate(kinds, start=1):
            pr = open_projects[(n * 3) % len(open_projects)]
            manager = self.p.person(pr.manager_id).email
            requested = self.as_of - timedelta(days=self.rng.randint(40, 120))
            decided = requested + timedelta(days=self.rng.randint(5, 20))
            cost = Decimal(self.rng.randrange(2_000, 40_000)) * sign
            lines.append(
                [
                    f"CR-{n:03d}",
                    pr.project_code,
                    title,
                    requested.isoformat(),
                    manager,
                    status,
                    decided.isoformat() if status != "proposed" else "",
                    self.rng.choice(self.approvers) if status != "proposed" else "",
                    f"{cost:.2f}",
                    pr.currency,
                    str(self.rng.randint(3, 30) * sign),
                    f"RISK-{self.rng.randint(1, 40)}" if n % 2 else "",
                ]
            )
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=",", lineterminator="\n").writerows(lines)
        path = self.dir / "change_log.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
        return path

    def _save(self, name: str, lines: list[list[str]]) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(lines)
        path = self.dir / name
        path.write_bytes(buffer.getvalue().encode("cp1252"))
        return path


def write_payment_files(portfolio: Portfolio, directory: str | Path) -> list[Path]:
    """Write ``payments.csv``, ``invoices_expenses.csv`` and ``change_log.csv`` next to the
    finance files.

    Args:
        portfolio: the portfolio whose finance files are already in ``directory``.
        directory: the finance landing folder :func:`write_finance_files` wrote.

    Returns:
        The written files (payments, grant expenses, change log).
    """
    directory = Path(directory)
    writer = _PaymentWriter(portfolio, directory)
    paths = [writer.payments(), writer.expenses(), writer.change_log()]
    # Re-writing replaces this module's faults in place (never duplicated, never stale).
    portfolio.manifest.replace("finance", PAYMENT_RULES, writer.planted.faults)
    return paths
