"""What people did in the web cockpit, one row per action (who, when, what), read back into each
customer's timeline (app/history.py). Rows are never changed nor deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from connector.store import tables as t
from connector.store.store import Store


def record(store: Store, tenant: str, *, by: str, action: str, detail: str,
           now: dt.datetime, customer_id: str | None = None) -> None:
    with store.transaction() as conn:
        conn.execute(t.actions.insert().values(tenant=tenant, customer_id=customer_id, by=by,
                                               at=now, action=action, detail=detail))


def listing(store: Store, tenant: str, customer_id: str | None = None) -> list[dict[str, Any]]:
    query = select(t.actions).where(t.actions.c.tenant == tenant)
    if customer_id is not None:
        query = query.where(t.actions.c.customer_id == customer_id)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(t.actions.c.id)).mappings()]
