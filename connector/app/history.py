"""One customer's story, in order: every message, note, task, pause and payment seen, and every
action a person took on it in the web cockpit.

Read from the store only (`relance history`, and a web page later). Each event is a plain dict
with at least date, kind, level, channel, status and invoices (invoice numbers).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connector.models import from_minor
from connector.store import outbox
from connector.store import tables as t
from connector.store.store import Store


@dataclass(frozen=True)
class Lookup:
    customer_id: str | None
    suggestions: list[str]
    """Near misses ("did you mean"), as "name (id)", when nothing matched exactly."""


def find_customer(store: Store, tenant: str, source: str, query: str) -> Lookup:
    """A customer by id, name (case-insensitive) or one of its invoice numbers."""
    with store.engine.connect() as conn:
        people = conn.execute(select(t.customers.c.external_id, t.customers.c.name).where(
            t.customers.c.tenant == tenant, t.customers.c.source == source)).all()
        owner = conn.execute(select(t.invoices.c.customer_id).where(
            t.invoices.c.tenant == tenant, t.invoices.c.source == source,
            t.invoices.c.number == query)).scalar()
    wanted = query.strip().casefold()
    for cid, name in people:
        if cid == query or name.casefold() == wanted:
            return Lookup(cid, [])
    if owner is not None:
        return Lookup(str(owner), [])
    keys = [(key, f"{name} ({cid})") for cid, name in people
            for key in (name.casefold(), cid.casefold())]
    close = difflib.get_close_matches(wanted, [key for key, _label in keys], n=3, cutoff=0.6)
    labels = [label for key, label in keys if key in close]
    return Lookup(None, list(dict.fromkeys(labels))[:3])


def events(store: Store, tenant: str, source: str,
           customer_id: str | None = None) -> list[dict[str, Any]]:
    """Every event of one customer (all customers when None), oldest first."""
    found: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        names = dict(conn.execute(select(t.customers.c.external_id, t.customers.c.name).where(
            t.customers.c.tenant == tenant, t.customers.c.source == source)).all())
        numbers = dict(conn.execute(select(t.invoices.c.external_id, t.invoices.c.number).where(
            t.invoices.c.tenant == tenant, t.invoices.c.source == source)).all())
        owners = dict(conn.execute(select(t.invoices.c.external_id, t.invoices.c.customer_id)
                                   .where(t.invoices.c.tenant == tenant,
                                          t.invoices.c.source == source)).all())
        query = select(t.outbox).where(t.outbox.c.tenant == tenant, t.outbox.c.source == source)
        if customer_id is not None:
            query = query.where(t.outbox.c.customer_id == customer_id)
        for row in conn.execute(query.order_by(t.outbox.c.id)).mappings():
            payload = outbox.payload(dict(row))
            when = row["sent_at"] or row["planned_for"]
            found.append(_event(
                when, row["customer_id"], "note" if row["channel"] == "note" else "message",
                level=row["level"], channel=row["channel"], status=row["status"],
                invoices=[i.number for i in payload.all_items], currency=payload.currency,
                amount=str(payload.amount_to_pay), text=row["reason"], key=row["key"],
                by=row.get("reviewed_by")))
        query = select(t.tasks).where(t.tasks.c.tenant == tenant, t.tasks.c.source == source)
        if customer_id is not None:
            query = query.where(t.tasks.c.customer_id == customer_id)
        for row in conn.execute(query).mappings():
            found.append(_event(row["created_at"], row["customer_id"], "task",
                                status=row["status"], text=row["title"], by=row["owner"],
                                key=row["key"]))
            if row["done_at"] is not None:
                found.append(_event(row["done_at"], row["customer_id"], "task_done",
                                    status="done", text=row["note"] or row["title"],
                                    by=row["done_by"], key=row["key"]))
        for row in conn.execute(select(t.pauses).where(
                t.pauses.c.tenant == tenant, t.pauses.c.source == source)).mappings():
            target = row["target_id"] if row["scope"] == "customer" else owners.get(
                row["target_id"])
            if target is None or (customer_id is not None and target != customer_id):
                continue
            invoices = [numbers.get(row["target_id"], row["target_id"])] \
                if row["scope"] == "invoice" else []
            found.append(_event(row["created_at"], target, row["kind"], invoices=invoices,
                                status="resolved" if row["resolved_at"] else "active",
                                text=row["reason"], by=row["created_by"]))
        query = select(t.payments).where(t.payments.c.tenant == tenant,
                                         t.payments.c.source == source)
        for row in conn.execute(query).mappings():
            target = row["customer_id"] or owners.get(row["invoice_id"] or "")
            if target is None or (customer_id is not None and target != customer_id):
                continue
            found.append(_event(row["date"], target, "payment", status="seen",
                                invoices=[numbers.get(row["invoice_id"], row["invoice_id"])]
                                if row["invoice_id"] else [],
                                amount=str(from_minor(row["amount_minor"], row["currency"])),
                                currency=row["currency"]))
        query = select(t.actions).where(t.actions.c.tenant == tenant,
                                        t.actions.c.customer_id.is_not(None))
        if customer_id is not None:
            query = query.where(t.actions.c.customer_id == customer_id)
        for row in conn.execute(query).mappings():  # what people did in the web cockpit
            found.append(_event(row["at"], row["customer_id"], "action", status=row["action"],
                                text=row["detail"], by=row["by"]))
    for event in found:
        event["customer"] = names.get(event["customer_id"], event["customer_id"])
    return sorted(found, key=lambda e: (e["date"], e["customer_id"]))


def _event(when: dt.date | dt.datetime, customer_id: str, kind: str, *,
           level: str | None = None, channel: str | None = None, status: str | None = None,
           invoices: list[str] | None = None, **more: Any) -> dict[str, Any]:
    day = when.date().isoformat() if isinstance(when, dt.datetime) else when.isoformat()
    return {"date": day, "customer_id": customer_id, "kind": kind, "level": level,
            "channel": channel, "status": status, "invoices": invoices or [], **more}
