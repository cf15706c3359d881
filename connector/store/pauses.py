"""Pauses in the store: record, resolve, and read back the unresolved ones for the engine.

Rows are never deleted: resolving one stamps who and when, so the history of a dispute stays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select, update

from connector.errors import ConfigError
from connector.rules.pauses import Pause, PauseKind
from connector.store import bank
from connector.store import tables as t
from connector.store.store import Store


def add(store: Store, tenant: str, source: str, *, scope: str, target_id: str, kind: PauseKind,
        until: dt.date | None, reason: str | None, by: str,
        now: dt.datetime) -> int:
    with store.transaction() as conn:
        return int(conn.execute(t.pauses.insert().values(
            tenant=tenant, source=source, scope=scope, target_id=target_id, kind=kind,
            until=until, reason=reason, created_by=by,
            created_at=now)).inserted_primary_key[0])  # type: ignore[index]


def resolve(store: Store, tenant: str, source: str, target_ids: list[str], by: str,
            now: dt.datetime) -> int:
    """Close every unresolved pause on these invoices/customers; returns how many were closed."""
    with store.transaction() as conn:
        return conn.execute(update(t.pauses).where(
            t.pauses.c.tenant == tenant, t.pauses.c.source == source,
            t.pauses.c.target_id.in_(target_ids), t.pauses.c.resolved_at.is_(None)).values(
            resolved_at=now, resolved_by=by)).rowcount


def unresolved(store: Store, tenant: str, source: str) -> list[Pause]:
    """Every pause nobody resolved: active ones and expired promises (the engine tells apart),
    then the holds of bank credits matched to invoices (store/bank.py)."""
    query = (select(t.pauses).where(t.pauses.c.tenant == tenant, t.pauses.c.source == source,
                                    t.pauses.c.resolved_at.is_(None))
             .order_by(t.pauses.c.created_at.desc(), t.pauses.c.id.desc()))
    with store.engine.connect() as conn:
        found = [Pause(scope=r["scope"], target_id=r["target_id"], kind=r["kind"],
                       until=r["until"], reason=r["reason"], created_by=r["created_by"],
                       created_at=r["created_at"]) for r in conn.execute(query).mappings()]
        found += [Pause(scope="invoice", target_id=invoice_id, kind="bank",
                        until=hold["hold_until"], created_by="bank",
                        reason=f"virement du {hold['booked_on'].isoformat()}, rapprochement "
                               f"{hold['id']}")
                  for hold in bank.holds(conn, tenant, source) for invoice_id in
                  hold["invoice_ids"]]
    return found


def active(store: Store, tenant: str, source: str, today: dt.date) -> list[Pause]:
    return [p for p in unresolved(store, tenant, source) if p.active_on(today)]


def find_invoice(store: Store, tenant: str, source: str, reference: str) -> dict[str, Any]:
    """An invoice by external id or by number (what a person has in front of them)."""
    query = select(t.invoices.c.external_id, t.invoices.c.number, t.invoices.c.customer_id).where(
        t.invoices.c.tenant == tenant, t.invoices.c.source == source,
        or_(t.invoices.c.external_id == reference, t.invoices.c.number == reference))
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    if not rows:
        raise ConfigError(f"no invoice {reference!r} in the local state (number or id; run "
                          f"`relance sync` first?)")
    if len(rows) > 1:
        exact = [r for r in rows if r["external_id"] == reference]
        if len(exact) != 1:
            raise ConfigError(f"{reference!r} names several invoices; use the external id")
        rows = exact
    return rows[0]


def find_customer(store: Store, tenant: str, source: str, reference: str) -> str | None:
    query = select(t.customers.c.external_id).where(
        t.customers.c.tenant == tenant, t.customers.c.source == source,
        or_(t.customers.c.external_id == reference, t.customers.c.name == reference))
    with store.engine.connect() as conn:
        found = [r[0] for r in conn.execute(query)]
    return found[0] if len(found) == 1 else None
