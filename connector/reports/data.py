"""Reading the store for reports: streaming queries, money from the integer minor-unit columns.

Nothing here computes a figure; it hands rows to the pure code in `ledger.py` and `kpis.py`.
Memory stays proportional to customers and reminders, never to the history of invoices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, select

from connector.models import Instalment, currency_digits
from connector.store import tables as t
from connector.store.store import Store, _day, _instalments, _moment, ledger_columns

BATCH = 2000


class Document(NamedTuple):
    """One invoice or credit note as the source knows it now, with its dated payments: the columns
    the report reads, by position (a tuple, not a model: a report reads every document)."""

    tenant: str
    source: str
    external_id: str
    number: str
    customer_id: str
    kind: str
    status: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    total: Decimal
    residual: Decimal
    instalments: tuple[Instalment, ...]
    credited_invoice_id: str | None
    paid_date: dt.date | None
    updated_at: dt.datetime | None
    payments: tuple[tuple[dt.date, Decimal], ...] = ()


class Reminded(NamedTuple):
    """One chased item at one level, and the day the reminder went out (its plan's `today`)."""

    item_id: str
    level: str
    day: dt.date


COLUMNS = ("external_id", "number", "customer_id", "kind", "status", "issue_date", "due_date",
           "currency", "total_minor", "residual_minor", "instalments", "credited_invoice_id",
           "paid_date", "updated_at")


def documents(store: Store, tenant: str, source: str) -> Iterator[Document]:
    """Every invoice and credit note with its payments, customer by customer (one streamed join)."""
    inv, pay = t.invoices, t.payments
    stored = {c.name: c for c in ledger_columns(inv)}
    paid = {c.name: c for c in ledger_columns(pay)}
    joined = inv.outerjoin(pay, and_(pay.c.tenant == inv.c.tenant, pay.c.source == inv.c.source,
                                     pay.c.invoice_id == inv.c.external_id))
    query = (select(*(stored[name] for name in COLUMNS), paid["date"].label("pay_date"),
                    pay.c.amount_minor.label("pay_minor"), pay.c.currency.label("pay_currency"))
             .select_from(joined)
             .where(inv.c.tenant == tenant, inv.c.source == source)
             .order_by(inv.c.customer_id, inv.c.external_id, pay.c.date, pay.c.external_id))
    digits: dict[str, int] = {}
    with store.engine.connect() as conn:
        current: Document | None = None
        payments: list[tuple[dt.date, Decimal]] = []
        for row in conn.execution_options(yield_per=BATCH).execute(query):
            (external_id, number, customer_id, kind, status, issued, due, currency, total,
             residual, instalments, credited, paid_day, updated, pay_day, pay_minor,
             pay_currency) = row
            if current is None or external_id != current.external_id:
                if current is not None:
                    yield current._replace(payments=tuple(payments)) if payments else current
                if currency not in digits:
                    digits[currency] = currency_digits(currency)
                scale = -digits[currency]
                current = Document(tenant, source, external_id, number, customer_id, kind, status,
                                   _day(issued), _day(due), currency,
                                   Decimal(total).scaleb(scale), Decimal(residual).scaleb(scale),
                                   _instalments(instalments), credited, _day(paid_day),
                                   _moment(updated))
                payments = []
            # A payment in another currency than its invoice cannot be matched by amount: skipped.
            if pay_day is not None and pay_currency == currency:
                payments.append((_day(pay_day), Decimal(pay_minor).scaleb(-digits[currency])))
        if current is not None:
            yield current._replace(payments=tuple(payments)) if payments else current


def customer_names(store: Store, tenant: str, source: str) -> dict[str, str]:
    query = select(t.customers.c.external_id, t.customers.c.name).where(
        t.customers.c.tenant == tenant, t.customers.c.source == source)
    with store.engine.connect() as conn:
        return {cid: name for cid, name in conn.execute(query)}


def cancelled_invoice_ids(store: Store, tenant: str, source: str) -> set[str]:
    """Cancelled invoices: they and the credit notes reversing them are left out of every figure."""
    query = select(t.invoices.c.external_id).where(
        t.invoices.c.tenant == tenant, t.invoices.c.source == source,
        t.invoices.c.kind == "invoice", t.invoices.c.status == "cancelled")
    with store.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def sent_reminders(store: Store, tenant: str, source: str) -> dict[str, list[Reminded]]:
    """Items reminded by a message that went out (`sent`), per invoice; one per item and level.

    An item reminded at one level by email and task counts once, on the earliest day. The sent
    messages' days are read first, then their items in item order (one item's channels come one
    after the other: no dict of every item, no sort here): a join would read each message's row
    (and step over its payload) once per item. (An index covering these columns halves the
    read, 0.41 → 0.15 s at 100k, but costs the first run's enqueue ~0.2 s: not taken.)
    """
    items, box = t.outbox_items, t.outbox
    planned_for = {c.name: c for c in ledger_columns(box)}["planned_for"]
    sent = select(box.c.key, planned_for).where(box.c.tenant == tenant, box.c.source == source,
                                                box.c.status == "sent")
    query = (select(items.c.invoice_id, items.c.item_id, items.c.level, items.c.outbox_key)
             .where(items.c.tenant == tenant, items.c.source == source)
             .order_by(items.c.invoice_id, items.c.item_id, items.c.level))
    by_invoice: dict[str, list[Reminded]] = {}
    last: tuple[str, str, str] | None = None
    with store.engine.connect() as conn:
        days = {key: _day(day) for key, day in conn.execute(sent)}
        if not days:
            return {}
        for invoice_id, item_id, level, outbox_key in conn.execute(query).all():
            day = days.get(outbox_key)
            if day is None:
                continue
            if last == (invoice_id, item_id, level):  # another channel: the earliest day counts
                reminded = by_invoice[invoice_id]
                if day < reminded[-1].day:
                    reminded[-1] = Reminded(item_id, level, day)
                continue
            last = (invoice_id, item_id, level)
            by_invoice.setdefault(invoice_id, []).append(Reminded(item_id, level, day))
    return by_invoice
