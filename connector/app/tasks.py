"""Tasks for a person (call the customer, send the registered letter): list, assign, close.

Plain functions over the store, shared by `relance tasks` and a future web page. Closing a task
that was pushed to the source (an Odoo activity) closes it there too where the adapter can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from connector.adapters.base import BaseAdapter
from connector.errors import ConnectorError
from connector.store import tables as t
from connector.store.store import Store


@dataclass(frozen=True)
class Closed:
    found: bool
    in_source: bool | None
    """True: closed in the source too; False: the source cannot close it (or refused, see
    `problem`); None: it was never pushed there."""
    problem: str | None = None


def list_tasks(store: Store, tenant: str, *, every: bool = False) -> list[dict[str, Any]]:
    """Open tasks (every task with `every`), soonest first, each with its customer's name."""
    query = (select(t.tasks.c.id, t.tasks.c.customer_id, t.customers.c.name.label("customer"),
                    t.tasks.c.title, t.tasks.c.body, t.tasks.c.due_date, t.tasks.c.status,
                    t.tasks.c.owner, t.tasks.c.remote_id, t.tasks.c.done_at, t.tasks.c.done_by,
                    t.tasks.c.note)
             .select_from(t.tasks.outerjoin(t.customers, (t.customers.c.tenant == t.tasks.c.tenant)
                                            & (t.customers.c.source == t.tasks.c.source)
                                            & (t.customers.c.external_id
                                               == t.tasks.c.customer_id)))
             .where(t.tasks.c.tenant == tenant))
    if not every:
        query = query.where(t.tasks.c.status == "open")
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            query.order_by(t.tasks.c.due_date, t.tasks.c.id)).mappings()]


def assign(store: Store, tenant: str, task_id: int, user: str) -> bool:
    with store.transaction() as conn:
        moved = conn.execute(update(t.tasks).where(
            t.tasks.c.tenant == tenant, t.tasks.c.id == task_id).values(owner=user))
    return moved.rowcount == 1


def done(store: Store, tenant: str, task_id: int, *, by: str, now: dt.datetime,
         note: str | None = None, adapter: BaseAdapter | None = None) -> Closed:
    """Close a task here, and in the source when it was pushed there and the adapter can."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.tasks.c.remote_id, t.tasks.c.status).where(
            t.tasks.c.tenant == tenant, t.tasks.c.id == task_id)).first()
    if row is None:
        return Closed(False, None)
    in_source: bool | None = None
    problem = None
    if row.remote_id and adapter is not None and row.status == "open":
        try:
            in_source = adapter.close_task(str(row.remote_id))
        except ConnectorError as exc:
            in_source, problem = False, str(exc)
    with store.transaction() as conn:
        conn.execute(update(t.tasks).where(t.tasks.c.tenant == tenant, t.tasks.c.id == task_id)
                     .values(status="done", done_at=now, done_by=by, note=note))
    return Closed(True, in_source, problem)
