"""What one document owed on a given day, and when each of its items was settled. Pure functions.

The store keeps each document as it is *now* (total, residual) plus dated payments. Past balances
are rebuilt from that: a document owed its total from its issue date, less each settlement dated on
or before the day. Settlements are the payments (oldest first, never more than what was settled),
then whatever else was settled (a credit note imputed, payments the source did not list), dated on
the document's `paid_date`, else its last update, else `today` (so, still owed on every past day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple, Protocol

from connector.models import Instalment

OWED_STATUSES = frozenset({"open", "partial", "disputed"})
ZERO = Decimal(0)


class Doc(Protocol):
    """What these functions read of a document: an `Invoice`, or the report's `data.Document`."""

    @property
    def external_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def issue_date(self) -> dt.date: ...
    @property
    def due_date(self) -> dt.date: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def residual(self) -> Decimal: ...
    @property
    def instalments(self) -> tuple[Instalment, ...]: ...
    @property
    def credited_invoice_id(self) -> str | None: ...
    @property
    def paid_date(self) -> dt.date | None: ...
    @property
    def updated_at(self) -> dt.datetime | None: ...


class Settlement(NamedTuple):
    day: dt.date
    amount: Decimal
    dated: bool  # False when the date is a stand-in (no payment, no paid_date, no update date)


class ScheduleItem(NamedTuple):
    """One due date of a document: the whole invoice, or one instalment (`INV#2`). Tuples: the
    report builds one per reminded document."""

    item_id: str
    due_date: dt.date
    amount: Decimal


def residual_now(invoice: Doc) -> Decimal:
    """What is owed today: the residual of open, partial and disputed documents, else nothing."""
    return invoice.residual if invoice.status in OWED_STATUSES else ZERO


def open_items(invoice: Doc) -> list[tuple[str, dt.date, Decimal]]:
    """What is still owed today, item by item (id, due date, amount): the aged balance's rows,
    and the invoices behind each bar of the aging chart (reports/drill.py)."""
    residual = residual_now(invoice)
    if residual <= 0:
        return []
    # Numbered like `Invoice.due_items()`: the unpaid instalments, else the whole invoice.
    items = [(f"{invoice.external_id}#{n}", inst.due_date, inst.residual)
             for n, inst in enumerate(invoice.instalments, start=1) if inst.residual > 0]
    return items or [(invoice.external_id, invoice.due_date, residual)]


def settlements(invoice: Doc, payments: Sequence[tuple[dt.date, Decimal]],
                today: dt.date) -> list[Settlement]:
    """Dated settlements adding up to exactly `total − residual_now`."""
    left = invoice.total - residual_now(invoice)
    events: list[Settlement] = []
    for day, amount in sorted(payments):
        take = min(amount, left)
        if take > 0:
            events.append(Settlement(day, take, True))
            left -= take
    if left > 0:
        fallback = invoice.paid_date or (invoice.updated_at.date() if invoice.updated_at else None)
        events.append(Settlement(fallback or today, left, fallback is not None))
    return events


def owed_on(invoice: Doc, events: Sequence[Settlement], day: dt.date) -> Decimal:
    """The document's balance at the end of `day` (0 before it was issued)."""
    if invoice.issue_date > day:
        return ZERO
    return invoice.total - sum((e.amount for e in events if e.day <= day), ZERO)


def balance_changes(invoice: Doc, events: Sequence[Settlement]) -> list[tuple[dt.date, Decimal]]:
    """The balance as dated changes: `owed_on(invoice, events, day)` is the sum of those dated on
    or before `day` (the total on the issue date; each settlement on its day, or on the issue
    date when it came before), so a whole ledger's balances on many days are one sum per day."""
    issued = invoice.issue_date
    return [(issued, invoice.total), *((max(e.day, issued), -e.amount) for e in events)]


def schedule(invoice: Doc) -> list[ScheduleItem]:
    """Due dates and amounts, numbered like `Invoice.due_items()` so outbox item ids match."""
    if not invoice.instalments:
        return [ScheduleItem(invoice.external_id, invoice.due_date, invoice.total)]
    return [ScheduleItem(f"{invoice.external_id}#{n}", inst.due_date, inst.amount)
            for n, inst in enumerate(invoice.instalments, start=1)]


def settled_days(items: Sequence[ScheduleItem],
                 events: Sequence[Settlement]) -> dict[str, tuple[dt.date, bool] | None]:
    """When each item was fully settled: settlements pay the earliest due item first.

    Value: (day, dated) of the settlement that completed the item, or None while it is owed.
    """
    ordered = sorted(items, key=lambda i: (i.due_date, i.item_id))
    result: dict[str, tuple[dt.date, bool] | None] = {i.item_id: None for i in ordered}
    queue = sorted(events, key=lambda e: e.day)
    left = [e.amount for e in queue]  # what each settlement still has to give
    position = 0
    for item in ordered:
        needed = item.amount
        while needed > 0 and position < len(queue):
            take = min(needed, left[position])
            needed -= take
            left[position] -= take
            if needed <= 0:
                result[item.item_id] = (queue[position].day, queue[position].dated)
            if left[position] <= 0:
                position += 1
        if needed > 0:
            break
    return result


def counted(invoice: Doc, cancelled: set[str]) -> bool:
    """False for a cancelled invoice and for a credit note reversing one: together they are zero."""
    if invoice.kind == "invoice":
        return invoice.status != "cancelled"
    return invoice.credited_invoice_id not in cancelled


def paid_lateness(items: Sequence[ScheduleItem],
                  settled: dict[str, tuple[dt.date, bool] | None], today: dt.date) -> list[int]:
    """Days late (negative = early) of each item settled on a known day up to today."""
    days = []
    for item in items:
        done = settled[item.item_id]
        if done is not None and done[1] and done[0] <= today:
            days.append((done[0] - item.due_date).days)
    return days
