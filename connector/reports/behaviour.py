"""Payment-behaviour scores per customer, for the rules engine and for reports.

`behaviour_scores(store, tenant, source, today)` reads the store once (streamed) and returns a
`Score` per customer id with settled items. Rules use it as a condition, e.g. a firmer policy
segment for customers whose `score.value` is under 50 (see docs/kpis.md, "Using the score in
rules"). The formula is `kpis.behaviour_score`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from connector.reports import data
from connector.reports.kpis import Lateness, Score, behaviour_score
from connector.reports.ledger import (
    counted,
    open_items,
    paid_lateness,
    schedule,
    settled_days,
    settlements,
)
from connector.store.store import Store


def lateness_by_customer(documents: Iterable[data.Document], cancelled: set[str],
                         today: dt.date) -> dict[str, Lateness]:
    """Days late of every settled invoice item, per customer id. Pure over rows."""
    stats: dict[str, Lateness] = {}
    for doc in documents:
        inv = doc
        if inv.kind != "invoice" or not counted(inv, cancelled):
            continue
        items = schedule(inv)
        settled = settled_days(items, settlements(inv, doc.payments, today))
        for days_late in paid_lateness(items, settled, today):
            stats.setdefault(inv.customer_id, Lateness()).add(days_late)
        for _item_id, due, _amount in open_items(inv):  # unpaid and late: counts too
            if (today - due).days > 0:
                stats.setdefault(inv.customer_id, Lateness()).add_open((today - due).days)
    return stats


def behaviour_scores(store: Store, tenant: str, source: str, today: dt.date) -> dict[str, Score]:
    """Score of each customer with a settled item or an unpaid late one (others: absent)."""
    cancelled = data.cancelled_invoice_ids(store, tenant, source)
    stats = lateness_by_customer(data.documents(store, tenant, source), cancelled, today)
    return {customer: behaviour_score(s) for customer, s in sorted(stats.items())}
