"""The reminder payload: what evaluate() decides and what the outbox row keeps, typed.

One model from the rules to the channels: the engine yields it, the outbox stores it as JSON
(`to_json`/`from_json`, the same JSON rows have always held), the freshness gate brings its amounts
up to date (`refreshed`), and every channel renders or pushes it. It owns the amounts: "amount to
pay = reminded items − open credit notes" is computed here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.models import Invoice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueItem:
    """One chased amount: a whole invoice, or one instalment of it."""

    item_id: str
    invoice_id: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    total: Decimal
    """What this item amounts to: the invoice's total, or the instalment's amount."""
    residual: Decimal
    days_late: int
    level: str | None = None
    noticed_on: dt.date | None = None
    """When a formal notice (a level with a letter) was first planned for it. Not when interest
    starts: a planned letter may be posted late, or never (see `notice_posted`)."""
    instalment: int = 0
    """1-based number of the instalment ("échéance 1/2"), 0 for a whole invoice."""
    instalments: int = 0
    """How many instalments the invoice has (0 for a whole invoice)."""
    paid_before: Decimal | None = None
    """For an instalment: what the source says is paid on the invoice's earlier instalments
    (by due date), where this one's share of the invoice's payments starts
    (rules/imputation.py). None: not known (a whole invoice, an older payload)."""
    notice_posted: dt.date | None = None
    """The day a formal notice naming this item was recorded as posted (`relance letters
    posted`); set when the message is rendered, never planned: a consumer's interest runs from
    its receipt."""
    notice_received: dt.date | None = None
    """The recorded day that notice was received (the avis de réception), when known."""

    @classmethod
    def of(cls, invoice: Invoice, item_id: str, due_date: dt.date, residual: Decimal,
           today: dt.date) -> DueItem:
        """One of `invoice.due_items()` as the rules list it on `today`."""
        if not invoice.instalments:  # a whole invoice: most items (100k in a first plan)
            return cls(item_id, invoice.external_id, invoice.number, invoice.issue_date,
                       due_date, invoice.currency, invoice.total, residual,
                       (today - due_date).days)
        number, amount = item_share(invoice, item_id)
        return cls(item_id, invoice.external_id, invoice.number, invoice.issue_date, due_date,
                   invoice.currency, amount, residual, (today - due_date).days,
                   instalment=number, instalments=len(invoice.instalments) if number else 0,
                   paid_before=invoice.paid_before(item_id))

    def listed_at(self, level: str, noticed_on: dt.date | None) -> DueItem:
        """The item as a message lists it: at the message's level (the statement keeps it
        without one); what is paid on earlier instalments is left to the freshness gate, which
        sets it at send time."""
        return DueItem(self.item_id, self.invoice_id, self.number, self.issue_date,
                       self.due_date, self.currency, self.total, self.residual, self.days_late,
                       level, noticed_on, self.instalment, self.instalments)

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "invoice_id": self.invoice_id, "number": self.number,
                "issue_date": self.issue_date.isoformat(),
                "due_date": self.due_date.isoformat(), "currency": self.currency,
                "total": str(self.total), "residual": str(self.residual),
                "days_late": self.days_late, "level": self.level,
                "noticed_on": self.noticed_on.isoformat() if self.noticed_on else None,
                "instalment": self.instalment, "instalments": self.instalments,
                "paid_before": None if self.paid_before is None else str(self.paid_before),
                "notice_posted": _iso(self.notice_posted),
                "notice_received": _iso(self.notice_received)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DueItem:
        return cls(item_id=str(data["item_id"]), invoice_id=str(data["invoice_id"]),
                   number=str(data["number"]),
                   issue_date=dt.date.fromisoformat(data["issue_date"]),
                   due_date=dt.date.fromisoformat(data["due_date"]),
                   currency=str(data["currency"]), total=Decimal(data["total"]),
                   residual=Decimal(data["residual"]), days_late=int(data["days_late"]),
                   level=data.get("level"),
                   noticed_on=dt.date.fromisoformat(data["noticed_on"])
                   if data.get("noticed_on") else None,
                   instalment=int(data.get("instalment") or 0),
                   instalments=int(data.get("instalments") or 0),
                   paid_before=Decimal(str(data["paid_before"]))
                   if data.get("paid_before") is not None else None,
                   notice_posted=_day(data.get("notice_posted")),
                   notice_received=_day(data.get("notice_received")))


@dataclass(frozen=True)
class CreditLine:
    invoice_id: str
    number: str
    issue_date: dt.date
    currency: str
    residual: Decimal
    credited_invoice_id: str | None = None
    """The invoice this credit note reduces (Odoo `reversed_entry_id`, Pennylane
    `credited_invoice`; Sage links only by allocation, which settles both): deducted from that
    invoice only. None: a credit on the account, shown apart and deducted from the total."""

    def to_dict(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice_id, "number": self.number,
                "issue_date": self.issue_date.isoformat(), "currency": self.currency,
                "residual": str(self.residual), "credited_invoice_id": self.credited_invoice_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreditLine:
        credited = data.get("credited_invoice_id")
        return cls(invoice_id=str(data["invoice_id"]), number=str(data["number"]),
                   issue_date=dt.date.fromisoformat(data["issue_date"]),
                   currency=str(data["currency"]), residual=Decimal(data["residual"]),
                   credited_invoice_id=str(credited) if credited else None)


@dataclass(frozen=True)
class ReminderPayload:
    """One reminder to one customer by one channel, with every figure it states."""

    key: str
    tenant: str
    source: str
    customer_id: str
    customer_name: str
    customer_kind: str
    language: str
    level: str
    channel: str
    template: str
    recipients: tuple[str, ...]
    currency: str
    items: tuple[DueItem, ...]
    credit_notes: tuple[CreditLine, ...]
    statement: tuple[DueItem, ...] = field(default=())
    """Every open item of the customer in this currency ("other open invoices"). Not stored:
    a row keeps `statement_refs`, and the lines are built again from the invoices as they are
    at send time (`with_statement`; the freshness gate re-reads those invoices anyway)."""
    task_title: str | None = None
    planned_for: dt.date = dt.date.min
    cc: tuple[str, ...] = ()
    level_channels: tuple[str, ...] = ()
    """All channels of the level (an email of a level that also sends a letter attaches it)."""
    policy: str = "standard"
    customer_address: str | None = None
    task: str = "todo"
    """For a task: "call" or "todo" (the level's `task`)."""
    previous_reminders: bool = True
    """Whether the customer already had an overdue reminder for what this message lists (the
    wording "despite our reminders" is only used then)."""
    credit_used: Decimal | None = None
    """The part of the open credit notes deducted here: they go first against the customer's other
    late invoices, so one credit note is deducted once per customer, not in every message.
    None (older payloads): all of them."""
    review: bool = False
    """True: waits in the outbox as `pending_approval` until a person approves it."""
    attach: tuple[str, ...] = ()
    """For an email: what it carries besides its words ("invoices", "statement")."""
    statement_refs: tuple[tuple[str, str], ...] = ()
    """(invoice id, item id) of each statement line, as a stored row holds them until
    `with_statement` builds the lines; empty once built (or for a payload never stored)."""
    others: tuple[ReminderPayload, ...] = ()
    """The customer's other currencies in the same message (one message per customer per day):
    each a section with its own level, items and totals, never summed with this one's."""

    # -- the amounts ---------------------------------------------------------------------------
    @property
    def amount_due(self) -> Decimal:
        return sum((i.residual for i in self.items), Decimal(0))

    @property
    def credits(self) -> Decimal:
        """The credit deducted here: the open credit notes, at most the planned share."""
        every = sum((c.residual for c in self.credit_notes), Decimal(0))
        return every if self.credit_used is None else min(every, self.credit_used)

    @property
    def amount_to_pay(self) -> Decimal:
        """What the customer is asked to pay: reminded items less the credit deducted here."""
        return max(self.amount_due - self.credits, Decimal(0))

    @property
    def sections(self) -> tuple[ReminderPayload, ...]:
        """This currency's section, then the others' (each in its own currency)."""
        return (self, *self.others)

    @property
    def all_items(self) -> tuple[DueItem, ...]:
        """The reminded items of every section (each item carries its currency)."""
        if not self.others:  # one currency: most messages
            return self.items
        return tuple(item for section in self.sections for item in section.items)

    def invoice_amounts(self) -> dict[str, Decimal]:
        """Each reminded invoice's own amount (its items' residuals, in its own currency), in
        numeric id order."""
        amounts: dict[str, Decimal] = {}
        for item in self.all_items:
            amounts[item.invoice_id] = amounts.get(item.invoice_id, Decimal(0)) + item.residual
        return {i: amounts[i] for i in sort_ids(amounts)}

    @property
    def invoice_ids(self) -> list[str]:
        """The reminded invoices, ids compared as numbers where they are ("61" before "190")."""
        return sort_ids(i.invoice_id for i in self.all_items)

    @property
    def referenced_ids(self) -> list[str]:
        """Every invoice the message names (reminded, listed as open, or deducted as credit):
        what the freshness gate re-reads."""
        ids: set[str] = set()
        for section in self.sections:
            ids |= {i.invoice_id for i in section.items} | {i.invoice_id for i in section.statement}
            ids |= {invoice_id for invoice_id, _item in section.statement_refs}
            ids |= {c.invoice_id for c in section.credit_notes}
        return sort_ids(ids)

    def refreshed(self, items: Iterable[DueItem], credit_notes: Iterable[CreditLine],
                  statement: Iterable[DueItem]) -> ReminderPayload:
        """The same reminder with the amounts the source gave right before sending."""
        return dataclasses.replace(self, items=tuple(items), credit_notes=tuple(credit_notes),
                                   statement=tuple(statement), statement_refs=())

    def with_statement(self, invoices: Mapping[str, Invoice]) -> ReminderPayload:
        """The statement lines built from `invoices` as they are now (fresh from the source, or
        the store): those still open with something left on the item, at the planned day's
        lateness. A payload that holds its lines already (planned, or an older row) keeps
        them, brought up to date the same way."""
        if not self.statement_refs:
            refs = [(i.invoice_id, i.item_id) for i in self.statement]
        else:
            refs = list(self.statement_refs)
        lines: list[DueItem] = []
        for invoice_id, item_id in refs:
            invoice = invoices.get(invoice_id)
            if invoice is None or not invoice.is_open:
                continue
            for candidate, due_date, residual in invoice.due_items():
                if candidate == item_id and residual > 0:
                    lines.append(DueItem.of(invoice, item_id, due_date, residual,
                                            self.planned_for))
        return dataclasses.replace(self, statement=tuple(lines), statement_refs=(),
                                   others=tuple(o.with_statement(invoices) for o in self.others))

    @property
    def statement_ready(self) -> bool:
        """False for a stored row whose statement lines (of any section) are still to be built."""
        return not any(section.statement_refs for section in self.sections)

    # -- JSON, as outbox rows store it -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: dates as ISO strings, money as decimal strings; the statement as
        references only (what was once ~5 KB a row of other invoices' lines)."""
        refs = self.statement_refs or tuple((i.invoice_id, i.item_id) for i in self.statement)
        return {
            "key": self.key, "tenant": self.tenant, "source": self.source,
            "customer_id": self.customer_id, "customer_name": self.customer_name,
            "customer_kind": self.customer_kind, "language": self.language,
            "level": self.level, "channel": self.channel, "template": self.template,
            "recipients": list(self.recipients), "currency": self.currency,
            "items": [i.to_dict() for i in self.items],
            "credit_notes": [c.to_dict() for c in self.credit_notes],
            "statement_refs": [list(r) for r in refs], "task_title": self.task_title,
            "planned_for": self.planned_for.isoformat(), "cc": list(self.cc),
            "level_channels": list(self.level_channels), "policy": self.policy,
            "customer_address": self.customer_address, "task": self.task,
            "previous_reminders": self.previous_reminders,
            "credit_used": str(self.credit_used) if self.credit_used is not None else None,
            "review": self.review, "attach": list(self.attach),
            "others": [o.to_dict() for o in self.others]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReminderPayload:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:  # written by a newer version: keep going with what we know
            log.debug("payload %s: ignoring unknown fields %s", data.get("key"), unknown)
        values = {k: v for k, v in data.items() if k in known}
        values["items"] = tuple(DueItem.from_dict(x) for x in data.get("items", ()))
        values["statement"] = tuple(DueItem.from_dict(x) for x in data.get("statement", ()))
        values["statement_refs"] = tuple((str(x[0]), str(x[1]))
                                         for x in data.get("statement_refs", ()))
        values["credit_notes"] = tuple(CreditLine.from_dict(x)
                                       for x in data.get("credit_notes", ()))
        for name in ("recipients", "cc", "level_channels", "attach"):
            values[name] = tuple(str(x) for x in data.get(name) or ())
        values["others"] = tuple(cls.from_dict(x) for x in data.get("others") or ())
        if data.get("credit_used") is not None:
            values["credit_used"] = Decimal(str(data["credit_used"]))
        if data.get("planned_for"):
            values["planned_for"] = dt.date.fromisoformat(str(data["planned_for"]))
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> ReminderPayload:
        return cls.from_dict(json.loads(text))


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def item_share(invoice: Invoice, item_id: str) -> tuple[int, Decimal]:
    """(instalment number, its amount) for "<id>#n" (see Invoice.due_items), (0, total) else."""
    _, hash_, number = item_id.rpartition("#")
    if not hash_ or not number.isdigit() or not 0 < int(number) <= len(invoice.instalments):
        return 0, invoice.total
    return int(number), invoice.instalments[int(number) - 1].amount


def sort_ids(ids: Iterable[str]) -> list[str]:
    """Source ids in their natural order: numbers as numbers, then the others as text."""
    unique = set(ids)
    return sorted(unique, key=lambda i: (0, int(i), "") if i.isdigit() else (1, 0, i))
