"""The invoices behind a figure: the open items of one aging bucket (the dashboard's drill-down).

Same documents (data.documents), same exclusions (`counted`: report currency, cancelled pairs) and
same items (ledger.open_items) as build_report, so a bar's rows add up to the bar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from connector.reports import data, kpis
from connector.reports.ledger import counted, open_items
from connector.store.store import Store


@dataclass(frozen=True)
class Item:
    customer_id: str
    customer: str
    number: str
    item_id: str
    due_date: dt.date
    days_late: int
    amount: Decimal
    disputed: bool


def aging_items(store: Store, tenant: str, source: str, today: dt.date, bucket: str | None,
                currency: str = "EUR") -> list[Item]:
    """Open items in `bucket` (every bucket when None), the latest first."""
    names = data.customer_names(store, tenant, source)
    cancelled = data.cancelled_invoice_ids(store, tenant, source)
    found = []
    for doc in data.documents(store, tenant, source):
        inv = doc
        if inv.currency != currency or inv.kind != "invoice" or not counted(inv, cancelled):
            continue
        for item_id, due, amount in open_items(inv):
            late = (today - due).days
            if bucket is None or kpis.bucket(late) == bucket:
                found.append(Item(inv.customer_id, names.get(inv.customer_id, inv.customer_id),
                                  inv.number, item_id, due, late, amount,
                                  inv.status == "disputed"))
    return sorted(found, key=lambda i: (-i.days_late, i.customer, i.item_id))
