"""A deterministic, realistic French ledger generated from a seed: the embedded default source.

The ledger spans the 12 months before `anchor` and the 3 months after it, and the adapter reveals
it as of `today`: invoices not yet issued are invisible and payments not yet made are not applied.
Stepping `--today` forward therefore plays the ledger like a real company's books. Payments, credit
notes and disputes can be added on top (an "overlay" file in the state directory), which is how tests
pay an invoice between `plan` and `run`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from connector import models
from connector.adapters.base import (
    AdapterContext,
    BaseAdapter,
    Capabilities,
    Cursor,
    Page,
    SourceConfig,
    SourceInfo,
)
from connector.adapters.rest import batches
from connector.adapters.trace_pdf import trace_pdf
from connector.models import Contact, Customer, Instalment, Invoice, Payment, PostalAddress

PAGE_SIZE = 100
OVERLAY_FILE = "demo-source.json"

_TRADES = ["Boulangerie", "Garage", "Plomberie", "Menuiserie", "Imprimerie", "Pharmacie",
           "Cabinet", "Transports", "Librairie", "Fromagerie", "Électricité", "Traiteur",
           "Architecture", "Paysages", "Informatique", "Hôtel", "Restaurant", "Bâtiment"]
_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
          "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
          "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier"]
_FIRST = ["Camille", "Louise", "Léa", "Hugo", "Lucas", "Chloé", "Jules", "Manon", "Arthur", "Inès"]
_FORMS = ["SARL", "SAS", "EURL", "SA", "SASU"]
_TOWNS = ["Lyon", "Nantes", "Lille", "Rennes", "Dijon", "Tours", "Metz", "Angers", "Brest", "Nîmes"]
_STREETS = ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "place du Marché",
            "boulevard Gambetta", "rue des Tilleuls", "chemin des Vignes", "rue Pasteur"]
_POSTCODES = {"Lyon": "69003", "Nantes": "44000", "Lille": "59000", "Rennes": "35000",
              "Dijon": "21000", "Tours": "37000", "Metz": "57000", "Angers": "49000",
              "Brest": "29200", "Nîmes": "30000"}
_UK = [("12 Queen Street", "Bristol", "BS1 4DJ"), ("3 Dock Road", "Liverpool", "L3 4AA"),
       ("40 High Street", "Oxford", "OX1 4AP"), ("7 Mill Lane", "Leeds", "LS1 5AB")]
_ENGLISH = ["Bristol Tea Ltd", "Harbour Logistics Ltd", "Greenfield Studio LLP",
            "Northwind Trading Ltd"]


class DemoConfig(SourceConfig):
    kind: str = "demo"
    seed: int = 42
    customers: int = Field(default=50, ge=1, le=50_000)
    invoices: int = Field(default=720, ge=0, le=2_000_000)
    anchor: dt.date | None = None
    """End of the 12 months of history; `relance init`/`demo` write today's date here."""


@dataclass
class _Plan:
    """The whole life of one invoice, known in advance; `state_on(day)` is what the books say."""

    invoice_id: str
    number: str
    customer_id: str
    kind: models.InvoiceKind
    issue_date: dt.date
    due_date: dt.date
    total: Decimal
    payments: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    credited_on: dt.date | None = None
    credited_invoice_id: str | None = None
    instalment_split: Decimal | None = None  # share of the first instalment, due on issue


class DemoLedger:
    """Generates the ledger once from the seed; the same seed always gives the same books."""

    def __init__(self, seed: int, n_customers: int, n_invoices: int, anchor: dt.date) -> None:
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.customers: list[Customer] = []
        self.behaviour: dict[str, tuple[int, float, float]] = {}
        self.plans: list[_Plan] = []
        self._make_customers(n_customers)
        self._make_invoices(n_invoices)
        self.by_id = {plan.invoice_id: plan for plan in self.plans}

    def _make_customers(self, count: int) -> None:
        rng = self.rng
        for n in range(1, count + 1):
            cid = f"C{n:05d}"
            roll = rng.random()
            contacts: tuple[Contact, ...] = ()
            kind: models.CustomerKind = "company"
            language, tags = "fr", ["pme"]
            if roll < 0.08:
                name = f"{rng.choice(_FIRST)} {rng.choice(_NAMES)}"
                kind, tags = "individual", ["particulier"]
                email = f"{name.split()[0].lower()}.{n}@exemple.fr" if rng.random() < 0.7 else None
            elif roll < 0.16:
                name = _ENGLISH[n % len(_ENGLISH)] + ("" if n < len(_ENGLISH) * 2 else f" {n}")
                language, tags = "en", ["export"]
                email = f"accounts{n}@example.co.uk"
            else:
                name = (f"{rng.choice(_FORMS)} {rng.choice(_TRADES)} {rng.choice(_NAMES)} "
                        f"{rng.choice(_TOWNS)}")
                email = f"compta{n}@exemple.fr" if rng.random() < 0.88 else None
                if email and rng.random() < 0.35:
                    contacts = (Contact(name=f"{rng.choice(_FIRST)} {rng.choice(_NAMES)}",
                                        email=f"factures{n}@exemple.fr"),)
            phone = f"+33 {rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} " \
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
            self.customers.append(Customer(
                external_id=cid, name=name, kind=kind, email=email, phone=phone,
                language=language, contacts=contacts, tags=tuple(tags),
                do_not_dun=rng.random() < 0.04, address=_address(cid, name, language)))
            # mean days late, share of partial payments, share never paid
            lateness = rng.choice([-5, 0, 2, 5, 10, 15, 25, 40, 70])
            self.behaviour[cid] = (lateness, rng.random() * 0.15, rng.choice([0, 0, 0, 0.05, 0.2]))

    def _make_invoices(self, count: int) -> None:
        rng = self.rng
        start = self.anchor - dt.timedelta(days=365)
        span = 365 + 90
        for n in range(1, count + 1):
            customer = self.customers[rng.randrange(len(self.customers))]
            issue = start + dt.timedelta(days=int(span * (n - 1) / max(count, 1)))
            terms = rng.choice([30, 30, 30, 45, 60, 0])
            due = _end_of_month(issue + dt.timedelta(days=45)) if terms == 0 \
                else issue + dt.timedelta(days=terms)
            total = Decimal(rng.randint(9_000, 1_200_000)) / 100
            plan = _Plan(f"INV{n:06d}", f"F{issue.year}-{n:05d}", customer.external_id,
                         "invoice", issue, due, total)
            if rng.random() < 0.04:
                plan.instalment_split = Decimal("0.30")
            self._plan_payments(plan, customer.external_id)
            self.plans.append(plan)
            if rng.random() < 0.05:
                self._credit_note(plan, n)

    def _plan_payments(self, plan: _Plan, customer_id: str) -> None:
        rng = self.rng
        lateness, partial_share, never_share = self.behaviour[customer_id]
        if rng.random() < never_share:
            return
        delay = max(lateness + int(rng.gauss(0, 6)), -25)
        pay_day = plan.due_date + dt.timedelta(days=delay)
        if rng.random() < partial_share:
            first = (plan.total * Decimal(rng.choice(["0.3", "0.5"]))).quantize(Decimal("0.01"))
            plan.payments.append((pay_day, first))
            if rng.random() < 0.5:
                plan.payments.append((pay_day + dt.timedelta(days=rng.randint(10, 60)),
                                      plan.total - first))
        else:
            plan.payments.append((pay_day, plan.total))

    def _credit_note(self, plan: _Plan, n: int) -> None:
        rng = self.rng
        when = plan.issue_date + dt.timedelta(days=rng.randint(3, 20))
        full = rng.random() < 0.5
        amount = plan.total if full else (plan.total * Decimal("0.2")).quantize(Decimal("0.01"))
        note = _Plan(f"CRN{n:06d}", f"AV{when.year}-{n:05d}", plan.customer_id, "credit_note",
                     when, when, amount, credited_invoice_id=plan.invoice_id)
        if full:
            plan.credited_on, plan.payments = when, []
            note.payments.append((when, amount))  # consumed by the reversal
        # a partial credit note stays open: the customer may deduct it
        self.plans.append(note)


def _address(customer_id: str, name: str, language: str) -> PostalAddress | None:
    """A postal address drawn from its own generator (the ledger's draws stay as they were);
    one customer in twenty-five has none, as in real books, so the workflow shows that case."""
    rng = random.Random(f"address:{customer_id}")
    if rng.random() < 0.04:
        return None
    if language == "en":
        street, city, postcode = _UK[rng.randrange(len(_UK))]
        return PostalAddress(street=street, city=city, postal_code=postcode, country="GB")
    town = next((t for t in _TOWNS if name.endswith(f" {t}")), _TOWNS[rng.randrange(len(_TOWNS))])
    return PostalAddress(street=f"{rng.randint(1, 120)} {rng.choice(_STREETS)}",
                         street2="Bâtiment B" if rng.random() < 0.15 else None,
                         postal_code=_POSTCODES[town], city=town, country="FR")


def _end_of_month(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


class DemoAdapter(BaseAdapter):
    kind: ClassVar[str] = "demo"
    config_model: ClassVar[type[SourceConfig]] = DemoConfig
    capabilities: Capabilities = Capabilities(payments=True, pdf=True)

    def __init__(self, config: DemoConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.today = context.today
        self.overlay_path = Path(context.state_dir) / OVERLAY_FILE

    @cached_property
    def ledger(self) -> DemoLedger:
        """Generated on first use: `status` and `plan` open the adapter without reading it."""
        config = self.config
        return DemoLedger(config.seed, config.customers, config.invoices,
                          config.anchor or self.today)

    # -- overlay: what happened in the "accounting system" besides the generated plan ----------
    def _overlay(self) -> dict[str, Any]:
        if not self.overlay_path.exists():
            return {"payments": [], "disputes": {}}
        overlay: dict[str, Any] = json.loads(self.overlay_path.read_text(encoding="utf-8"))
        return overlay

    def record_payment(self, invoice_id: str, amount: Decimal | None = None,
                       on: dt.date | None = None) -> None:
        """Pay an invoice in the demo books (whole residual by default), as a customer would."""
        overlay = self._overlay()
        invoice = self._state(self.ledger.by_id[invoice_id], self.today, overlay)
        overlay["payments"].append({"invoice": invoice_id, "date": (on or self.today).isoformat(),
                                    "amount": str(amount if amount is not None else invoice.residual)})
        self.overlay_path.parent.mkdir(parents=True, exist_ok=True)
        self.overlay_path.write_text(json.dumps(overlay, indent=1), encoding="utf-8")

    # -- the protocol ---------------------------------------------------------------------------
    def check(self) -> SourceInfo:
        return SourceInfo(kind="demo", url=None, version="1",
                          user=f"seed {self.config.seed}, anchor {self.ledger.anchor}")

    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        if since and since.get("seed") == self.config.seed:
            yield Page([], dict(since))
            return
        for chunk, last in batches(self.ledger.customers, PAGE_SIZE):
            yield Page(list(chunk), {"seed": self.config.seed} if last else None,
                       full_scan_complete=last)

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        # Intermediate pages carry no checkpoint: after a crash the window is read again,
        # which is harmless because the store upserts.
        overlay = self._overlay()
        after = self._as_of(since)
        # Overlay entries are numbered: a payment recorded on the day of the last sync is still
        # caught by the next one (a date alone could not tell).
        seen = int(since.get("overlay_seen", 0)) if since and after is not None else 0
        touched = {p["invoice"] for p in overlay["payments"][seen:]}
        changed = [plan for plan in self.ledger.plans
                   if plan.issue_date <= self.today
                   and (after is None or plan.invoice_id in touched
                        or any(after < d <= self.today for d in _event_days(plan)))]
        checkpoint = {"as_of": self.today.isoformat(), "overlay_seen": len(overlay["payments"])}
        for chunk, last in batches(changed, PAGE_SIZE):
            yield Page([self._state(plan, self.today, overlay) for plan in chunk],
                       checkpoint if last else None, full_scan_complete=last and after is None)

    def payments(self, since: Cursor | None) -> Iterator[Page[Payment]]:
        after = self._as_of(since)
        records = []
        for plan in self.ledger.plans:
            if plan.kind != "invoice":
                continue
            for n, (day, amount) in enumerate(plan.payments, start=1):
                if day <= self.today and (after is None or day > after):
                    records.append(Payment(external_id=f"{plan.invoice_id}-P{n}",
                                           customer_id=plan.customer_id,
                                           invoice_id=plan.invoice_id, date=day, amount=amount))
        overlay = self._overlay()["payments"]
        seen = int(since.get("overlay_seen", 0)) if since and after is not None else 0
        for n, extra in enumerate(overlay, start=1):
            day = dt.date.fromisoformat(extra["date"])
            if day <= self.today and n > seen:
                plan = self.ledger.by_id[extra["invoice"]]
                records.append(Payment(external_id=f"{plan.invoice_id}-X{n}",
                                       customer_id=plan.customer_id, invoice_id=plan.invoice_id,
                                       date=day, amount=Decimal(extra["amount"])))
        yield Page(records, {"as_of": self.today.isoformat(), "overlay_seen": len(overlay)})

    def _as_of(self, since: Cursor | None) -> dt.date | None:
        """The day of the last read; None (read all) without one, or if the clock went back."""
        after = dt.date.fromisoformat(since["as_of"]) if since and since.get("as_of") else None
        return after if after is not None and after <= self.today else None

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        overlay = self._overlay()
        return [self._state(self.ledger.by_id[i], self.today, overlay)
                for i in invoice_ids if i in self.ledger.by_id
                and self.ledger.by_id[i].issue_date <= self.today]

    def invoice_pdf(self, invoice_id: str) -> bytes | None:
        """The demo books print their invoices too, so attachments show in the demo."""
        plan = self.ledger.by_id.get(invoice_id)
        if plan is None or plan.issue_date > self.today:
            return None
        names = {c.external_id: c.name for c in self.ledger.customers}
        title = ("Facture " if plan.kind == "invoice" else "Avoir ") + plan.number
        return trace_pdf(title, [
            f"Client : {names.get(plan.customer_id, plan.customer_id)} ({plan.customer_id})",
            f"Date : {plan.issue_date.isoformat()}   Échéance : {plan.due_date.isoformat()}",
            f"Total TTC : {plan.total} EUR",
            "Document de démonstration (source demo de relance)."])

    # -- what the books say about one invoice on one day ---------------------------------------
    def _state(self, plan: _Plan, day: dt.date, overlay: dict[str, Any]) -> Invoice:
        paid = [(d, a) for d, a in plan.payments if d <= day]
        extra = [(dt.date.fromisoformat(p["date"]), Decimal(p["amount"]))
                 for p in overlay["payments"] if p["invoice"] == plan.invoice_id]
        paid += [(d, a) for d, a in extra if d <= day]
        paid_total = sum((a for _, a in paid), Decimal(0))
        residual = max(plan.total - paid_total, Decimal(0))
        status: models.InvoiceStatus
        if plan.credited_on is not None and plan.credited_on <= day:
            status, residual = "cancelled", Decimal(0)
        elif residual == 0:
            status = "paid"
        elif paid_total > 0:
            status = "partial"
        else:
            status = "open"
        if plan.invoice_id in overlay.get("disputes", {}) and status in ("open", "partial"):
            status = "disputed"
        paid_date = max(d for d, _ in paid) if status == "paid" and paid else None
        return Invoice(
            external_id=plan.invoice_id, number=plan.number, customer_id=plan.customer_id,
            kind=plan.kind, status=status, issue_date=plan.issue_date, due_date=plan.due_date,
            total=plan.total, residual=residual, credited_invoice_id=plan.credited_invoice_id,
            instalments=self._instalments(plan, paid_total), paid_date=paid_date,
            pdf_url=None)

    @staticmethod
    def _instalments(plan: _Plan, paid_total: Decimal) -> tuple[Instalment, ...]:
        if plan.instalment_split is None:
            return ()
        first = (plan.total * plan.instalment_split).quantize(Decimal("0.01"))
        second = plan.total - first
        # payments settle the earliest instalment first
        first_left = max(first - paid_total, Decimal(0))
        second_left = max(second - max(paid_total - first, Decimal(0)), Decimal(0))
        return (Instalment(due_date=plan.issue_date, amount=first, residual=first_left),
                Instalment(due_date=plan.due_date, amount=second, residual=second_left))


def _event_days(plan: _Plan) -> list[dt.date]:
    days = [plan.issue_date] + [d for d, _ in plan.payments]
    if plan.credited_on:
        days.append(plan.credited_on)
    return days
