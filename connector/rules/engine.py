"""evaluate(): which reminders are due today. A pure function: no I/O, no clock.

Given the policy, each customer's open items, the levels already planned for each item (history)
and `today`, it returns reminder intents. Each intent has a deterministic key; the outbox refuses a
key it already has and refuses an (item, level, channel) it already covered, so evaluating again,
the same day or later, never duplicates a reminder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from connector.models import Customer, Invoice
from connector.rules.policy import Level, Policy


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
    residual: Decimal
    days_late: int
    level: str | None = None


@dataclass(frozen=True)
class CreditLine:
    invoice_id: str
    number: str
    issue_date: dt.date
    currency: str
    residual: Decimal


@dataclass(frozen=True)
class ReminderIntent:
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
    task_title: str | None = None
    planned_for: dt.date = dt.date.min

    @property
    def amount_due(self) -> Decimal:
        return sum((i.residual for i in self.items), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((c.residual for c in self.credit_notes), Decimal(0))

    @property
    def amount_to_pay(self) -> Decimal:
        """What the customer is asked to pay: reminded items less the open credit notes."""
        return max(self.amount_due - self.credits, Decimal(0))

    @property
    def invoice_ids(self) -> list[str]:
        return sorted({i.invoice_id for i in self.items})


@dataclass(frozen=True)
class History:
    """What was already planned: levels per chased item, and the last day each customer was contacted."""

    levels: Mapping[str, set[str]] = field(default_factory=dict)
    last_contact: Mapping[str, dt.date] = field(default_factory=dict)


def reminder_key(tenant: str, source: str, customer_id: str, channel: str,
                 items: Iterable[DueItem]) -> str:
    """hash(tenant, source, customer, channel, items@levels): the same plan gives the same key."""
    parts = [tenant, source, customer_id, channel] + sorted(f"{i.item_id}@{i.level}" for i in items)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def due_level(policy: Policy, days_late: int) -> Level | None:
    """The highest level whose offset is reached. On the due date days_late is 0: not late."""
    reached = [level for level in policy.levels if level.days <= days_late]
    return reached[-1] if reached else None


def evaluate(
    policy: Policy,
    ledger: Iterable[tuple[Customer, list[Invoice]]],
    history: History,
    today: dt.date,
    *,
    tenant: str,
    source: str,
) -> Iterator[ReminderIntent]:
    """Yield the reminders due on `today`, customer by customer (streaming, memory-flat)."""
    gap = max(policy.min_gap_days, 1)  # whatever the policy: at most one message a day
    for customer, invoices in ledger:
        if customer.do_not_dun:
            continue
        last = history.last_contact.get(customer.external_id)
        if last is not None and (today - last).days < gap:
            continue
        yield from _customer_intents(policy, customer, invoices, history.levels, today, tenant,
                                     source)


def _customer_intents(policy: Policy, customer: Customer, invoices: list[Invoice],
                      history: Mapping[str, set[str]], today: dt.date,
                      tenant: str, source: str) -> Iterator[ReminderIntent]:
    credits_by_currency: dict[str, list[CreditLine]] = {}
    statement_by_currency: dict[str, list[DueItem]] = {}
    due_by_group: dict[tuple[str, ...], list[DueItem]] = {}
    for invoice in invoices:
        if not invoice.is_open:
            continue  # paid, cancelled, disputed: nothing to ask
        if invoice.kind == "credit_note":
            credits_by_currency.setdefault(invoice.currency, []).append(CreditLine(
                invoice.external_id, invoice.number, invoice.issue_date, invoice.currency,
                invoice.residual))
            continue
        for item_id, due_date, residual in invoice.due_items():
            days_late = (today - due_date).days
            item = DueItem(item_id, invoice.external_id, invoice.number, invoice.issue_date,
                           due_date, invoice.currency, invoice.total, residual, days_late)
            statement_by_currency.setdefault(invoice.currency, []).append(item)
            level = due_level(policy, days_late)
            if level is None or _already_at_or_above(policy, history.get(item_id), level):
                continue
            group = (invoice.currency,) if policy.grouping == "customer" \
                else (invoice.currency, item_id)
            due_by_group.setdefault(group, []).append(
                DueItem(**{**item.__dict__, "level": level.name}))
    for group, items in sorted(due_by_group.items()):
        currency = group[0]
        credits = tuple(credits_by_currency.get(currency, ()))
        lead = max(items, key=lambda i: (policy.rank(i.level or ""), i.days_late))
        level = next(lv for lv in policy.levels if lv.name == lead.level)
        if level.days > 0:
            # A message about late invoices does not also ask for ones not yet due: those stay in
            # the statement ("other open invoices") and get their own courtesy note later.
            items = [i for i in items if i.days_late > 0]
        if sum((i.residual for i in items), Decimal(0)) - sum(
                (c.residual for c in credits), Decimal(0)) <= policy.min_amount:
            continue  # open credit notes cover it, or too small to chase
        yield from _channel_intents(level, customer, tuple(items), credits,
                                    tuple(statement_by_currency.get(currency, ())), currency,
                                    today, tenant, source)


def _already_at_or_above(policy: Policy, done: set[str] | None, level: Level) -> bool:
    if not done:
        return False
    target = policy.rank(level.name)
    return any(policy.rank(name) >= target for name in done)


def _channel_intents(level: Level, customer: Customer, items: tuple[DueItem, ...],
                     credits: tuple[CreditLine, ...], statement: tuple[DueItem, ...],
                     currency: str, today: dt.date, tenant: str,
                     source: str) -> Iterator[ReminderIntent]:
    recipients = tuple(customer.billing_emails())
    channels = list(level.channel)
    if "email" in channels and not recipients:
        # No address to write to: a person has to call or write instead.
        channels = [c for c in channels if c != "email"]
        if "task" not in channels:
            channels.append("task")
    for channel in channels:
        yield ReminderIntent(
            key=reminder_key(tenant, source, customer.external_id, channel, items),
            tenant=tenant, source=source, customer_id=customer.external_id,
            customer_name=customer.name, customer_kind=customer.kind,
            language=customer.language, level=level.name, channel=channel,
            template=level.template, recipients=recipients if channel == "email" else (),
            currency=currency, items=items, credit_notes=credits, statement=statement,
            task_title=level.task_title, planned_for=today)
