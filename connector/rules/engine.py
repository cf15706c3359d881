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
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from decimal import Decimal

from connector.models import Customer, Invoice
from connector.rules.calendar import BusinessCalendar
from connector.rules.channels import CHANNELS
from connector.rules.ladder import (
    ItemState,
    Stage,
    choose_message,
    level_date,
    paced_due_date,
    reached_index,
)
from connector.rules.pauses import Pause, PauseIndex
from connector.rules.payload import CreditLine, DueItem, ReminderPayload
from connector.rules.policy import Level, Policy
from connector.rules.sections import merge_currencies
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
    stages: Mapping[tuple[str, str], Stage] = field(default_factory=dict)
    """The last message per (customer id, currency): the customer's stage on the ladder."""
    awaiting: frozenset[str] = frozenset()
    """Customers with a message waiting for approval: nothing more is planned for them until a
    person decides (so that no message overtakes one under review)."""


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
    memo: dict[tuple[int, dt.date], int] = {}  # the level reached by an item never planned
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
        if cid in history.awaiting:
            _note(trace, cid, None, "pause", "a message waits for approval (relance review)")
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
                                         calendar, tenant, source, trace, memo))
        if chosen.grouping == "customer":
            intents = merge_currencies(
                intents, chosen.rank,
                lambda channel, items: reminder_key(tenant, source, cid, channel, items))
        if blocked and last is not None:
            _note(trace, cid, None, "gap", f"last contacted on {last.isoformat()}, under the "
                  f"minimum gap of {gap} day(s): {len(intents)} message(s) wait")
            continue
        for intent in intents if trace is not None else ():
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
                      trace: list[Decision] | None, memo: dict[tuple[int, dt.date], int],
                      ) -> Iterator[ReminderIntent]:
    cid = customer.external_id
    credits_by_currency: dict[str, list[CreditLine]] = {}
    statement_by_currency: dict[str, list[DueItem]] = {}
    groups: dict[tuple[str, ...], list[DueItem]] = {}
    still_open: set[str] = set()
    tolerance = policy.tolerance
    for invoice in invoices:
        is_open, chased = invoice.is_open, invoice.due_items()
        if is_open and invoice.kind == "invoice":
            still_open.add(invoice.external_id)
        if not is_open:
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
        for item_id, due_date, residual in chased:
            if residual <= tolerance:
                _note(trace, cid, item_id, "amount",
                      f"residual {residual} is within the tolerance {tolerance}")
                continue
            if policy.start_date is not None and due_date < policy.start_date:
                _note(trace, cid, item_id, "level", f"due before start_date "
                      f"{policy.start_date.isoformat()}: left alone")
                continue
            item = DueItem.of(invoice, item_id, due_date, residual, today)
            statement_by_currency.setdefault(invoice.currency, []).append(item)
            group: tuple[str, ...] = (invoice.currency,) if policy.grouping == "customer" \
                else (invoice.currency, item_id)
            groups.setdefault(group, []).append(item)
    for group, due_items in sorted(groups.items()):
        currency = group[0]
        stage = history.stages.get((cid, currency))
        active = stage is not None and not stage.items.isdisjoint(
            unpaid_items(invoices, tolerance))
        stage_index = policy.rank(stage.level) if stage is not None and active else -1
        # Own pace in an active escalation: a new invoice climbs by its lateness to meet the stage.
        # A courtesy note before the due date is no escalation: after one, the first overdue
        # reminder is still the first level (a skip to the second otherwise).
        escalating = stage_index >= max(policy.first_overdue(), 0)
        gentle = policy.onboarding != "resume" and not (
            escalating and policy.new_invoices == "own_pace")
        pairs = [(item, _item_state(policy, item, history, paused, today, calendar, trace, cid,
                                    gentle, memo)) for item in due_items]
        index, listed = choose_message(policy, [s for _i, s in pairs], stage_index, today)
        if index < 0:
            continue
        level = policy.levels[index]
        chosen = set(listed)
        items = [_listed(policy, item, level, state, today) for item, state in pairs
                 if item.item_id in chosen]
        # Issue 14: a credit note linked to an invoice of this message goes against it only; one
        # linked to another open invoice waits for that invoice's message.
        items, credits = applicable_credits(items, list(credits_by_currency.get(currency, ())),
                                            still_open)
        if not items:
            _note(trace, cid, None, "amount", "credit notes linked to the invoices cover them")
            continue
        asked = sum((i.residual for i in items), Decimal(0))
        others = sum((i.residual for i, _s in pairs if i.item_id not in chosen and i.days_late > 0),
                     Decimal(0))
        credit_used = min(asked, max(sum((c.residual for c in credits), Decimal(0)) - others,
                                     Decimal(0)))
        if asked - credit_used <= policy.min_amount:
            _note(trace, cid, None, "amount", f"{asked - credit_used} to ask is at or under the "
                  f"minimum {policy.min_amount} (credit notes deducted once per customer)")
            continue  # open credit notes cover it, or too small to chase
        dated = [s.dates for _i, s in pairs if s.dates and s.item_id in chosen]
        earlier = bool(dated) and not {lv.name for lv in policy.levels if lv.overdue}.isdisjoint(
            name for dates in dated for name in dates)
        previous = earlier or (active and stage is not None
                                     and policy.levels[max(stage_index, 0)].overdue)
        review = level.needs_review or (policy.onboarding == "hold"
                                        and cid not in history.last_contact)
        yield from _channel_intents(level, policy, book, customer, tuple(items), credits,
                                    tuple(statement_by_currency.get(currency, ())), currency,
                                    today, tenant, source, previous=previous,
                                    credit_used=credit_used, review=review)


def unpaid_items(invoices: Iterable[Invoice], tolerance: Decimal) -> Iterator[str]:
    """The items still owed (a disputed invoice is still owed): asked only of a customer with a
    stage on the ladder."""
    for invoice in invoices:
        if invoice.is_open and invoice.kind == "invoice" or invoice.status == "disputed":
            yield from (i for i, _due, residual in invoice.due_items() if residual > tolerance)


def applicable_credits(items: list[DueItem], credits: list[CreditLine], still_open: set[str]
                       ) -> tuple[list[DueItem], tuple[CreditLine, ...]]:
    """The credit notes a message deducts, and the items still worth asking for.

    A credit note linked to an invoice of the message is deducted from that invoice only (an item
    it covers entirely is not asked for); one linked to another open invoice belongs to that
    invoice's message, not this one; one linked to nothing still open is a credit on the account,
    deducted from the total."""
    if not credits:  # most customers
        return items, ()
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


def _listed(policy: Policy, item: DueItem, level: Level, state: ItemState,
            today: dt.date) -> DueItem:
    """The item as the message records it: at the message's level, noticed from a letter on."""
    letters = policy.steps.letter_levels
    dates = state.dates
    noticed = min((dates[n] for n in letters if n in dates), default=None) if dates else None
    if noticed is None and level.name in letters:
        noticed = today
    return item.listed_at(level.name, noticed)


def _item_state(policy: Policy, item: DueItem, history: History, paused: PauseIndex,
                today: dt.date, calendar: BusinessCalendar, trace: list[Decision] | None,
                cid: str, gentle: bool, memo: dict[tuple[int, dt.date], int]) -> ItemState:
    """Where the item stands on the ladder (with the reason in the trace)."""
    dates = history.dates.get(item.item_id, {})
    done: Set[str] = history.levels.get(item.item_id) or frozenset()
    top_done = max(map(policy.rank, done)) if done else -1
    if dates:
        due = paced_due_date(policy, item.due_date, dates, calendar) \
            if policy.onboarding != "resume" else item.due_date
        index = reached_index(policy, due, dates, today, calendar)
    else:  # never planned: the level depends on the due date alone (~120 days for 100k items)
        memo_key = (id(policy), item.due_date)
        found = memo.get(memo_key)
        if found is None:
            found = memo[memo_key] = reached_index(policy, item.due_date, dates, today, calendar)
        index = found
    first = policy.first_overdue()
    chased = top_done >= first >= 0
    if gentle and not chased and index > first >= 0:
        if trace is not None:
            _note(trace, cid, item.item_id, "level", f"never chased: starts gently at "
                  f"{policy.levels[first].name!r} instead of {policy.levels[index].name!r}")
        index = first
    promised = paused.broken.get(item.invoice_id)
    if promised is not None and top_done >= 0 and max(dates.values(), default=dt.date.min) \
            <= promised and top_done + 1 < len(policy.levels):
        # The customer promised to pay by `promised` and did not: go on to the next level now
        # rather than waiting for its date (and never repeat the level sent before the promise).
        index = max(index, top_done + 1)
        _note(trace, cid, item.item_id, "pause", f"payment promised by {promised.isoformat()} "
              f"and not received: next level")
    if trace is None:
        pass
    elif index < 0:
        when = level_date(policy, 0, item.due_date, dates, calendar)
        _note(trace, cid, item.item_id, "level", f"no level reached yet (first on "
              f"{when.isoformat() if when else '?'}), {item.days_late} day(s) late")
    elif top_done >= index:
        _note(trace, cid, item.item_id, "history", f"level {policy.levels[index].name!r} "
              f"reached; already planned: {', '.join(sorted(done, key=policy.rank))}")
    else:
        _note(trace, cid, item.item_id, "level", f"level {policy.levels[index].name!r} reached "
              f"({item.days_late} day(s) late); already planned: "
              f"{', '.join(sorted(done, key=policy.rank)) or 'nothing'}")
    return ItemState(item.item_id, item.days_late, index, top_done, dates)


def _channel_intents(level: Level, policy: Policy, book: Rulebook, customer: Customer,
                     items: tuple[DueItem, ...], credits: tuple[CreditLine, ...],
                     statement: tuple[DueItem, ...], currency: str, today: dt.date, tenant: str,
                     source: str, *, previous: bool, credit_used: Decimal,
                     review: bool) -> Iterator[ReminderIntent]:
    recipients = tuple(customer.billing_emails())
    channels = list(level.channel)
    task_title = level.task_title
    if not recipients and any(CHANNELS[c].addressed for c in channels):
        # No address to write to: a person has to call or write instead.
        channels = [c for c in channels if not CHANNELS[c].addressed]
        if "task" not in channels:
            channels.append("task")
        invalid = ", ".join(bad.value for bad in customer.invalid_emails())
        if invalid:  # a free-text field where the address should be: say so in the task
            invalid = invalid.replace("{", "{{").replace("}", "}}")
            task_title = f"Adresse e-mail invalide ({invalid}) : relance {{level}} à faire"
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
            task_title=task_title, planned_for=today,
            cc=cc if spec.copies else (), level_channels=tuple(channels),
            policy=policy.name, customer_address=book.address(customer.external_id)
            or (customer.address.text() if customer.address else None),
            task=level.task, previous_reminders=previous, credit_used=credit_used,
            review=review, attach=level.attach if spec.addressed else ())


def limit_messages(intents: list[ReminderIntent], limit: int | None
                   ) -> tuple[list[ReminderIntent], int]:
    """At most `limit` messages (one customer's level in one currency, whatever its channels),
    the largest amounts first; returns those kept and how many messages wait for a later run."""
    if limit is None:
        return intents, 0
    groups: dict[tuple[str, str, str], list[ReminderIntent]] = {}
    for intent in intents:
        groups.setdefault((intent.customer_id, intent.currency, intent.level), []).append(intent)
    ranked = sorted(groups.values(), key=lambda g: (-g[0].amount_to_pay, g[0].customer_id))
    kept = {id(i) for group in ranked[:limit] for i in group}
    return [i for i in intents if id(i) in kept], max(len(ranked) - limit, 0)
