"""Reading the store for reports: streaming queries, money from the integer minor-unit columns.

Nothing here computes a figure; it hands rows to the pure code in `ledger.py` and `kpis.py`.
Memory stays proportional to customers and reminders, never to the history of invoices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, select

from connector.models import Invoice, from_minor
from connector.store import tables as t
from connector.store.store import Store, invoice_from_row

BATCH = 2000


@dataclass(frozen=True)
class Document:
    """One invoice or credit note as the source knows it now, with its dated payments."""

    tenant: str
    source: str
    invoice: Invoice
    payments: tuple[tuple[dt.date, Decimal], ...] = ()


@dataclass(frozen=True)
class Reminded:
    """One chased item at one level, and the day the reminder went out (its plan's `today`)."""

    item_id: str
    level: str
    day: dt.date


def documents(store: Store, tenant: str, source: str) -> Iterator[Document]:
    """Every invoice and credit note with its payments, customer by customer (one streamed join)."""
    inv, pay = t.invoices, t.payments
    joined = inv.outerjoin(pay, and_(pay.c.tenant == inv.c.tenant, pay.c.source == inv.c.source,
                                     pay.c.invoice_id == inv.c.external_id))
    query = (select(inv, pay.c.date.label("pay_date"), pay.c.amount_minor.label("pay_minor"),
                    pay.c.currency.label("pay_currency"))
             .select_from(joined)
             .where(inv.c.tenant == tenant, inv.c.source == source)
             .order_by(inv.c.customer_id, inv.c.external_id, pay.c.date, pay.c.external_id))
    with store.engine.connect() as conn:
        current: Invoice | None = None
        paid: list[tuple[dt.date, Decimal]] = []
        for row in conn.execution_options(yield_per=BATCH).execute(query).mappings():
            if current is None or row["external_id"] != current.external_id:
                if current is not None:
                    yield Document(tenant, source, current, tuple(paid))
                current, paid = invoice_from_row(row), []
            # A payment in another currency than its invoice cannot be matched by amount: skipped.
            if row["pay_date"] is not None and row["pay_currency"] == current.currency:
                paid.append((row["pay_date"], from_minor(row["pay_minor"], row["pay_currency"])))
        if current is not None:
            yield Document(tenant, source, current, tuple(paid))


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

    An item reminded at one level by email and task counts once, on the earliest day.
    """
    items, box = t.outbox_items, t.outbox
    query = (select(items.c.invoice_id, items.c.item_id, items.c.level, box.c.planned_for)
             .select_from(items.join(box, box.c.key == items.c.outbox_key))
             .where(items.c.tenant == tenant, items.c.source == source, box.c.status == "sent"))
    first: dict[tuple[str, str, str], dt.date] = {}
    with store.engine.connect() as conn:
        for invoice_id, item_id, level, day in conn.execute(query):
            key = (invoice_id, item_id, level)
            if key not in first or day < first[key]:
                first[key] = day
    by_invoice: dict[str, list[Reminded]] = {}
    for (invoice_id, item_id, level), day in sorted(first.items()):
        by_invoice.setdefault(invoice_id, []).append(Reminded(item_id, level, day))
    return by_invoice
