"""Review before anything goes out: list, show, approve and reject `pending_approval` messages.

Plain functions over the store, so that the CLI (commands/review.py) and a web page can share them.
An approved message becomes `planned` and leaves with the next run, through the freshness gate
like any other; a rejected one never leaves. Both record who decided and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from connector.config import Config
from connector.delivery.preview import Preview, compose
from connector.store import outbox
from connector.store import tables as t
from connector.store.store import Store

PENDING = "pending_approval"


@dataclass(frozen=True)
class Pending:
    key: str
    customer_id: str
    customer_name: str
    level: str
    channel: str
    planned_for: dt.date
    invoices: tuple[str, ...]
    amount: Decimal
    currency: str


def pending(store: Store, tenant: str, *, level: str | None = None) -> list[Pending]:
    """Messages waiting for a person, oldest first."""
    query = select(t.outbox).where(t.outbox.c.tenant == tenant, t.outbox.c.status == PENDING)
    if level is not None:
        query = query.where(t.outbox.c.level == level)
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query.order_by(t.outbox.c.id)).mappings()]
    found = []
    for row in rows:
        payload = outbox.payload(row)
        found.append(Pending(
            row["key"], row["customer_id"], payload.customer_name, row["level"], row["channel"],
            row["planned_for"], tuple(i.number for i in payload.items), payload.amount_to_pay,
            payload.currency))
    return found


def _row(store: Store, tenant: str, key: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(t.outbox).where(
            t.outbox.c.tenant == tenant, t.outbox.c.key == key)).mappings().first()
    return dict(row) if row is not None else None


def show(store: Store, config: Config, key: str, *, now: dt.datetime) -> Preview | None:
    """The message rendered exactly as it will go (text, HTML, attachments); None if unknown."""
    row = _row(store, config.tenant, key)
    if row is None:
        return None
    return compose(outbox.payload(row), config, key=row["key"], channel=row["channel"], now=now)


def approve(store: Store, tenant: str, keys: Sequence[str] = (), *, every: bool = False,
            level: str | None = None, by: str, now: dt.datetime,
            note: str | None = None) -> list[str]:
    """pending_approval → planned for the given keys (or all, optionally of one level), with the
    other channels of the same message (the formal notice's letter and its email go together).
    `note`: what the reviewer wants kept with the decision (shown in the history).
    Returns the keys approved; unknown or already decided keys are left out."""
    if not keys and not every:
        return []
    waiting = pending(store, tenant, level=level)
    chosen = [p.key for p in waiting]
    if keys:
        chosen = _with_siblings(waiting, keys)
    with store.transaction() as conn:
        done = []
        for key in chosen:
            moved = conn.execute(update(t.outbox).where(
                t.outbox.c.tenant == tenant, t.outbox.c.key == key,
                t.outbox.c.status == PENDING).values(
                status="planned", next_attempt_at=now, updated_at=now, reviewed_by=by,
                reviewed_at=now, reason=f"approved by {by}"
                + (f": {note.strip()}" if note and note.strip() else "")))
            if moved.rowcount == 1:
                done.append(key)
    return done


def _with_siblings(waiting: list[Pending], keys: Sequence[str]) -> list[str]:
    """The keys asked for and the rows of the same message on other channels."""
    wanted = set(keys)
    messages = {(p.customer_id, p.level, p.planned_for, p.invoices) for p in waiting
                if p.key in wanted}
    return [p.key for p in waiting
            if p.key in wanted or (p.customer_id, p.level, p.planned_for, p.invoices) in messages]


def reject(store: Store, tenant: str, key: str, *, reason: str, by: str,
           now: dt.datetime) -> bool:
    """pending_approval → rejected (with its other channels), with the reason; the message never
    leaves. Its invoices stay recorded at its level, so it is not planned again tomorrow."""
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    siblings = _with_siblings(pending(store, tenant), [key])
    if key not in siblings:
        return False
    with store.transaction() as conn:
        conn.execute(update(t.outbox).where(
            t.outbox.c.tenant == tenant, t.outbox.c.key.in_(siblings),
            t.outbox.c.status == PENDING).values(
            status="rejected", updated_at=now, reviewed_by=by, reviewed_at=now,
            reason=f"rejected by {by}: {reason.strip()}"))
    return True
