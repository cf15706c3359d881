"""evaluate(): which reminders are due today. A pure function: no I/O, no clock.

Given the policy (or a Rulebook of policies), each customer's open items, the levels already planned
for each item and when (history), the pauses people asked for and `today`, it returns reminder
intents. Each intent has a deterministic key; the outbox refuses a
key it already has and refuses an (item, level, channel) it already covered, so evaluating again,
the same day or later, never duplicates a reminder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from connector.models import Customer, Invoice
from connector.rules.calendar import BusinessCalendar, end_of_month
from connector.rules.channels import CHANNELS
from connector.rules.pauses import Pause, PauseIndex
from connector.rules.payload import CreditLine, DueItem, ReminderPayload
from connector.rules.policy import Level, Policy
from connector.rules.segments import Rulebook

__all__ = ["CreditLine", "Decision", "DueItem", "History", "ReminderIntent", "evaluate"]

ReminderIntent = ReminderPayload
"""What evaluate() yields is the payload the outbox stores (connector/rules/payload.py)."""


@dataclass(frozen=True)
class History:
    """What was already planned: levels per chased item (and the day each was planned, needed by
    levels based on the previous reminder), and the last day each customer was contacted."""

    levels: Mapping[str, set[str]] = field(default_factory=dict)
    last_contact: Mapping[str, dt.date] = field(default_factory=dict)
    dates: Mapping[str, Mapping[str, dt.date]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """One reason why something is or is not planned; collected only when a trace is asked for."""

    customer_id: str
    item_id: str | None
    topic: str  # calendar | segment | pause | gap | level | history | amount | planned
    text: str


def reminder_key(tenant: str, source: str, customer_id: str, channel: str,
                 items: Iterable[DueItem]) -> str:
    """hash(tenant, source, customer, channel, items@levels): the same plan gives the same key."""
    parts = [tenant, source, customer_id, channel] + sorted(f"{i.item_id}@{i.level}" for i in items)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def due_level(policy: Policy, days_late: int) -> Level | None:
    """The highest due-date level whose offset is reached (calendar days, no history)."""
    reached = [level for level in policy.levels
               if level.basis == "due_date" and level.days <= days_late]
    return reached[-1] if reached else None


def level_date(policy: Policy, index: int, due_date: dt.date, dates: Mapping[str, dt.date],
               calendar: BusinessCalendar) -> dt.date | None:
    """The day level `index` is reached for an item; None while its previous reminder is missing."""
    level = policy.levels[index]
    if level.basis == "due_date":
        anchor = due_date
    elif level.basis == "end_of_month":
        anchor = end_of_month(due_date)
    else:
        prior = [dates[lv.name] for lv in policy.levels[:index] if lv.name in dates]
        if not prior:
            return None
        anchor = max(prior)
    if level.business_days:
        return calendar.add_business_days(anchor, level.days)
    return anchor + dt.timedelta(days=level.days)


def reached_index(policy: Policy, due_date: dt.date, dates: Mapping[str, dt.date],
                  today: dt.date, calendar: BusinessCalendar) -> int:
    """Index of the highest level reached on `today`, -1 if none."""
    best = -1
    for index in range(len(policy.levels)):
        when = level_date(policy, index, due_date, dates, calendar)
        if when is not None and when <= today:
            best = index
    return best


def evaluate(
    policy: Policy | Rulebook,
    ledger: Iterable[tuple[Customer, list[Invoice]]],
    history: History,
    today: dt.date,
    *,
    tenant: str,
    source: str,
    pauses: Iterable[Pause] = (),
    scores: Mapping[str, float] | None = None,
    trace: list[Decision] | None = None,
) -> Iterator[ReminderIntent]:
    """Yield the reminders due on `today`, customer by customer (streaming, memory-flat).

    `trace`, when given, receives the reasons behind every decision (`relance rules explain`).
    """
    book = policy if isinstance(policy, Rulebook) else Rulebook(policy)
    calendar = BusinessCalendar(book.default.calendar)
    closed = calendar.why_not(today)
    if closed:
        _note(trace, "*", None, "calendar", f"nothing is sent today: {closed}")
        return
    paused = PauseIndex(pauses, today)
    for raw, invoices in ledger:
        customer = book.customer(raw)
        cid = customer.external_id
        if customer.do_not_dun:
            _note(trace, cid, None, "pause", "customer marked do-not-dun")
            continue
        hold = paused.customers.get(cid)
        if hold is not None:
            _note(trace, cid, None, "pause", f"customer on hold: {hold.describe()}")
            continue
        choice = book.choose(customer, invoices, today, (scores or {}).get(cid))
        _note(trace, cid, None, "segment", choice.why)
        chosen = choice.policy
        gap = max(chosen.min_gap_days, 1)  # whatever the policy: at most one message a day
        last = history.last_contact.get(cid)
        blocked = last is not None and (today - last).days < gap
        if blocked and trace is None:
            continue
        intents = list(_customer_intents(chosen, book, customer, invoices, history, paused, today,
                                         calendar, tenant, source, trace))
        if blocked and last is not None:
            _note(trace, cid, None, "gap", f"last contacted on {last.isoformat()}, under the "
                  f"minimum gap of {gap} day(s): {len(intents)} message(s) wait")
            continue
        for intent in intents:
            _note(trace, cid, None, "planned", f"{intent.level} by {intent.channel}: "
                  + ", ".join(i.number for i in intent.items))
        yield from intents


def _note(trace: list[Decision] | None, customer_id: str, item_id: str | None, topic: str,
          text: str) -> None:
    if trace is not None:
        trace.append(Decision(customer_id, item_id, topic, text))


def _customer_intents(policy: Policy, book: Rulebook, customer: Customer,
                      invoices: list[Invoice], history: History, paused: PauseIndex,
                      today: dt.date, calendar: BusinessCalendar, tenant: str, source: str,
                      trace: list[Decision] | None) -> Iterator[ReminderIntent]:
    cid = customer.external_id
    credits_by_currency: dict[str, list[CreditLine]] = {}
    statement_by_currency: dict[str, list[DueItem]] = {}
    due_by_group: dict[tuple[str, ...], list[DueItem]] = {}
    letters = [lv.name for lv in policy.levels if "letter" in lv.channel]
    for invoice in invoices:
        if not invoice.is_open:
            _note(trace, cid, invoice.external_id, "level", f"nothing to ask: {invoice.status}")
            continue  # paid, cancelled, disputed: nothing to ask
        if invoice.kind == "credit_note":
            credits_by_currency.setdefault(invoice.currency, []).append(CreditLine(
                invoice.external_id, invoice.number, invoice.issue_date, invoice.currency,
                invoice.residual, invoice.credited_invoice_id))
            continue
        hold = paused.invoices.get(invoice.external_id)
        if hold is not None:
            _note(trace, cid, invoice.external_id, "pause", hold.describe())
            continue  # neither reminded nor listed as "other open invoices"
        for item_id, due_date, residual in invoice.due_items():
            if residual <= policy.tolerance:
                _note(trace, cid, item_id, "amount",
                      f"residual {residual} is within the tolerance {policy.tolerance}")
                continue
            dates = history.dates.get(item_id, {})
            noticed = min((dates[n] for n in letters if n in dates), default=None)
            item = DueItem(item_id, invoice.external_id, invoice.number, invoice.issue_date,
                           due_date, invoice.currency, invoice.total, residual,
                           (today - due_date).days, noticed_on=noticed)
            statement_by_currency.setdefault(invoice.currency, []).append(item)
            level = _item_level(policy, item, history, paused, today, calendar, trace, cid)
            if level is None:
                continue
            if level.name in letters and noticed is None:
                item = DueItem(**{**item.__dict__, "noticed_on": today})
            group: tuple[str, ...] = (invoice.currency,) if policy.grouping == "customer" \
                else (invoice.currency, item_id)
            due_by_group.setdefault(group, []).append(
                DueItem(**{**item.__dict__, "level": level.name}))
    still_open = {i.external_id for i in invoices if i.is_open and i.kind == "invoice"}
    for group, items in sorted(due_by_group.items()):
        currency = group[0]
        lead = max(items, key=lambda i: (policy.rank(i.level or ""), i.days_late))
        level = next(lv for lv in policy.levels if lv.name == lead.level)
        if level.days > 0 or level.basis != "due_date":
            # A message about late invoices does not also ask for ones not yet due: those stay in
            # the statement ("other open invoices") and get their own courtesy note later.
            items = [i for i in items if i.days_late > 0]
        items, credits = applicable_credits(items, credits_by_currency.get(currency, []),
                                            still_open)
        if not items:
            _note(trace, cid, None, "amount", "credit notes linked to the invoices cover them")
            continue
        asked = sum((i.residual for i in items), Decimal(0)) - sum(
            (c.residual for c in credits), Decimal(0))
        if asked <= policy.min_amount:
            _note(trace, cid, None, "amount", f"{asked} to ask is at or under the minimum "
                  f"{policy.min_amount} (credit notes deducted)")
            continue  # open credit notes cover it, or too small to chase
        yield from _channel_intents(level, policy, book, customer, tuple(items), credits,
                                    tuple(statement_by_currency.get(currency, ())), currency,
                                    today, tenant, source)


def applicable_credits(items: list[DueItem], credits: list[CreditLine], still_open: set[str]
                       ) -> tuple[list[DueItem], tuple[CreditLine, ...]]:
    """The credit notes a message deducts, and the items still worth asking for.

    A credit note linked to an invoice of the message is deducted from that invoice only (an item
    it covers entirely is not asked for); one linked to another open invoice belongs to that
    invoice's message, not this one; one linked to nothing still open is a credit on the account,
    deducted from the total."""
    asked = {i.invoice_id for i in items}
    kept: list[CreditLine] = []
    for credit in credits:
        target = credit.credited_invoice_id
        if target is not None and target in still_open and target not in asked:
            continue
        kept.append(credit if target is None or target in asked
                    else replace(credit, credited_invoice_id=None))
    linked: dict[str, Decimal] = {}
    for credit in kept:
        if credit.credited_invoice_id is not None:
            linked[credit.credited_invoice_id] = linked.get(
                credit.credited_invoice_id, Decimal(0)) + credit.residual
    owed = {invoice: sum((i.residual for i in items if i.invoice_id == invoice), Decimal(0))
            for invoice in asked}
    covered = {invoice for invoice, credit in linked.items() if credit >= owed[invoice]}
    return ([i for i in items if i.invoice_id not in covered],
            tuple(c for c in kept if c.credited_invoice_id not in covered))


def _item_level(policy: Policy, item: DueItem, history: History, paused: PauseIndex,
                today: dt.date, calendar: BusinessCalendar, trace: list[Decision] | None,
                cid: str) -> Level | None:
    """The level to plan for this item today, or None (with the reason in the trace)."""
    dates = history.dates.get(item.item_id, {})
    index = reached_index(policy, item.due_date, dates, today, calendar)
    done = history.levels.get(item.item_id) or set()
    top_done = max((policy.rank(name) for name in done), default=-1)
    promised = paused.broken.get(item.invoice_id)
    if promised is not None and top_done >= 0 and max(dates.values(), default=dt.date.min) \
            <= promised and top_done + 1 < len(policy.levels):
        # The customer promised to pay by `promised` and did not: go on to the next level now
        # rather than waiting for its date (and never repeat the level sent before the promise).
        index = max(index, top_done + 1)
        _note(trace, cid, item.item_id, "pause", f"payment promised by {promised.isoformat()} "
              f"and not received: next level")
    if index < 0:
        first = level_date(policy, 0, item.due_date, dates, calendar)
        _note(trace, cid, item.item_id, "level", f"no level reached yet (first on "
              f"{first.isoformat() if first else '?'}), {item.days_late} day(s) late")
        return None
    level = policy.levels[index]
    if top_done >= index:
        _note(trace, cid, item.item_id, "history", f"level {level.name!r} reached; already "
              f"planned: {', '.join(sorted(done, key=policy.rank))}")
        return None
    _note(trace, cid, item.item_id, "level", f"level {level.name!r} reached "
          f"({item.days_late} day(s) late); already planned: "
          f"{', '.join(sorted(done, key=policy.rank)) or 'nothing'}")
    return level


def _channel_intents(level: Level, policy: Policy, book: Rulebook, customer: Customer,
                     items: tuple[DueItem, ...], credits: tuple[CreditLine, ...],
                     statement: tuple[DueItem, ...], currency: str, today: dt.date, tenant: str,
                     source: str) -> Iterator[ReminderIntent]:
    recipients = tuple(customer.billing_emails())
    channels = list(level.channel)
    if not recipients and any(CHANNELS[c].addressed for c in channels):
        # No address to write to: a person has to call or write instead.
        channels = [c for c in channels if not CHANNELS[c].addressed]
        if "task" not in channels:
            channels.append("task")
    cc = book.cc(customer.external_id)
    for channel in channels:
        spec = CHANNELS[channel]
        yield ReminderIntent(
            key=reminder_key(tenant, source, customer.external_id, channel, items),
            tenant=tenant, source=source, customer_id=customer.external_id,
            customer_name=customer.name, customer_kind=customer.kind,
            language=customer.language, level=level.name, channel=channel,
            template=level.template, recipients=recipients if spec.addressed else (),
            currency=currency, items=items, credit_notes=credits, statement=statement,
            task_title=level.task_title, planned_for=today,
            cc=cc if spec.copies else (), level_channels=tuple(channels),
            policy=policy.name, customer_address=book.address(customer.external_id)
            or (customer.address.text() if customer.address else None),
            task=level.task, attach=level.attach if spec.addressed else ())
