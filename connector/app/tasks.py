"""Tasks for a person (call the customer, send the registered letter): list, assign, close.

Plain functions over the store, shared by `relance tasks` and a future web page. Closing a task
that was pushed to the source (an Odoo activity) closes it there too where the adapter can; after
each sync, `settle` closes what the books or the source say is over (README, Odoo section).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from connector.adapters.base import BaseAdapter
from connector.errors import ConnectorError
from connector.store import tables as t
from connector.store.store import Store

log = logging.getLogger(__name__)
SETTLED = ("paid", "cancelled")
PAID_FEEDBACK = "Clôturée par relance : facture réglée ou créditée, plus rien à relancer."
PAID_NOTE = "factures réglées ou créditées : plus rien à relancer"
SIBLING_FEEDBACK = "Clôturée par relance : la tâche a été faite dans {source} sur une autre facture."


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
        feedback = f"Faite dans relance par {by}" + (f" : {note}" if note else "") + "."
        try:
            in_source = adapter.close_task(str(row.remote_id), feedback=feedback)
        except ConnectorError as exc:
            in_source, problem = False, str(exc)
    with store.transaction() as conn:
        conn.execute(update(t.tasks).where(t.tasks.c.tenant == tenant, t.tasks.c.id == task_id)
                     .values(status="done", done_at=now, done_by=by, note=note))
    return Closed(True, in_source, problem)


def settle(store: Store, tenant: str, source: str, adapter: BaseAdapter, *,
           now: dt.datetime) -> int:
    """After a sync: close each open task whose invoices are all paid or credited, and each one
    a person has done in the source; in the source, close the activities of paid invoices (and
    the rest of a task done there). Returns how many tasks closed. A source that fails here
    only delays this to the next sync."""
    with store.engine.connect() as conn:
        open_rows = conn.execute(select(t.tasks.c.id, t.tasks.c.key, t.tasks.c.remote_id).where(
            t.tasks.c.tenant == tenant, t.tasks.c.source == source,
            t.tasks.c.status == "open")).all()
        covers = _invoices_of(conn, tenant, source, [r.key for r in open_rows])
        settled = _settled(conn, tenant, source, {i for ids in covers.values() for i in ids})
    pushed = adapter.capabilities.tasks
    remotes = [str(r.remote_id) for r in open_rows if r.remote_id]
    done_there: set[str] = set()
    if pushed and remotes:
        try:
            done_there = adapter.tasks_done(remotes, settled=settled)
        except ConnectorError as exc:
            log.warning("could not read back the tasks pushed to %s: %s", source, exc)
    closed = 0
    for row in open_rows:
        covered = covers.get(row.key, set())
        paid = covered & settled
        over = bool(covered) and covered <= settled
        remote = str(row.remote_id) if row.remote_id else None
        done_in_source = remote in done_there and not over
        if pushed and remote and (paid or done_in_source):
            try:
                if done_in_source:
                    adapter.close_task(remote, feedback=SIBLING_FEEDBACK.format(
                        source=source.capitalize()))
                else:
                    adapter.close_task(remote, invoice_ids=paid, feedback=PAID_FEEDBACK)
            except ConnectorError as exc:
                log.warning("could not close task #%s in %s: %s", row.id, source, exc)
        if over or done_in_source:
            by, note = ("relance", PAID_NOTE) if over else (
                source, f"faite dans {source.capitalize()}")
            with store.transaction() as conn:
                conn.execute(update(t.tasks).where(t.tasks.c.id == row.id,
                                                   t.tasks.c.status == "open")
                             .values(status="done", done_at=now, done_by=by, note=note))
            closed += 1
    return closed


def _invoices_of(conn: Connection, tenant: str, source: str, keys: list[str]) -> dict[str, set[str]]:
    """The invoices each task's reminder covered (its outbox items)."""
    items = t.outbox_items.c
    found: dict[str, set[str]] = {}
    if not keys:
        return found
    for key, invoice in conn.execute(select(items.outbox_key, items.invoice_id).where(
            items.tenant == tenant, items.source == source, items.outbox_key.in_(keys))):
        found.setdefault(key, set()).add(str(invoice))
    return found


def _settled(conn: Connection, tenant: str, source: str, ids: Collection[str]) -> set[str]:
    """Those of `ids` paid, credited or cancelled in the store, as the last sync left it."""
    if not ids:
        return set()
    inv = t.invoices.c
    return set(conn.execute(select(inv.external_id).where(
        inv.tenant == tenant, inv.source == source, inv.external_id.in_(list(ids)),
        (inv.status.in_(SETTLED)) | (inv.residual_minor <= 0))).scalars())
