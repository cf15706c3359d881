"""The outbox: one row per reminder, with a UNIQUE idempotency key, moved through its states.

    planned → sending → sent | failed | skipped | uncertain

`planned → sending` is committed before the side effect and `sending → sent` right after it. A row
still `sending` after its lease is a crash survivor: the dispatcher reconciles it (see dispatch.py).
Transient failures reschedule the row (`next_attempt_at`); nothing sleeps in-process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from connector.clock import DEFAULT_TIMEZONE, local_day
from connector.models import to_minor
from connector.rules.channels import NOT_CONTACT
from connector.rules.engine import History, ReminderIntent
from connector.rules.payload import ReminderPayload
from connector.store import tables as t
from connector.store.candidates import CONTACTED
from connector.store.store import CHUNK, Store

STATES = ("planned", "sending", "sent", "failed", "skipped", "uncertain")
MAX_ATTEMPTS = 8


def history(store: Store, tenant: str, source: str, timezone: str = DEFAULT_TIMEZONE,
            only: Sequence[str] | None = None) -> History:
    """Levels already planned per item (whatever became of the message) with the day each was
    first planned, and the last day each customer was contacted: the day a message left (in the
    tenant's time zone) or, not yet sent, the day it was planned for. `only`: the customer ids
    whose history is needed (all when None), read in chunks."""
    levels: dict[str, set[str]] = {}
    dates: dict[str, dict[str, dt.date]] = {}
    last_contact: dict[str, dt.date] = {}
    ids = sorted(set(only)) if only is not None else None
    chunks = [None] if ids is None else [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
    with store.engine.connect() as conn:
        for chunk in chunks:
            items = (select(t.outbox_items.c.item_id, t.outbox_items.c.level,
                            func.min(t.outbox.c.planned_for))
                     .join(t.outbox, t.outbox.c.key == t.outbox_items.c.outbox_key)
                     .where(t.outbox_items.c.tenant == tenant, t.outbox_items.c.source == source)
                     .group_by(t.outbox_items.c.item_id, t.outbox_items.c.level))
            contacts = (select(t.outbox.c.customer_id, t.outbox.c.planned_for, t.outbox.c.sent_at)
                        .where(t.outbox.c.tenant == tenant, t.outbox.c.source == source,
                               t.outbox.c.status.in_(CONTACTED),
                               t.outbox.c.channel.notin_(NOT_CONTACT)))
            if chunk is not None:
                items = items.where(t.outbox.c.customer_id.in_(chunk))
                contacts = contacts.where(t.outbox.c.customer_id.in_(chunk))
            for item_id, level, planned in conn.execute(items):
                levels.setdefault(item_id, set()).add(level)
                dates.setdefault(item_id, {})[level] = planned
            for customer, planned, sent_at in conn.execute(contacts):
                day = local_day(sent_at, timezone) if sent_at is not None else planned
                if customer not in last_contact or day > last_contact[customer]:
                    last_contact[customer] = day
    return History(levels=levels, last_contact=last_contact, dates=dates)


def enqueue(store: Store, intents: Iterable[ReminderIntent], *, now: dt.datetime) -> int:
    """Insert new intents; an intent whose key or (item, level, channel) exists is ignored.

    Intents go in batches, each in one savepoint: a first run over a large ledger plans tens of
    thousands at once, and a savepoint per intent made that minutes long. Only a batch that hits
    an existing key (a rerun after a crash) is redone one intent at a time.
    """
    pending = list(intents)
    added = 0
    with store.transaction() as conn:
        for start in range(0, len(pending), CHUNK):
            batch = pending[start:start + CHUNK]
            savepoint = conn.begin_nested()
            try:
                _insert_many(conn, batch, now)
            except IntegrityError:
                savepoint.rollback()
                added += sum(_insert_one(conn, intent, now) for intent in batch)
                continue
            savepoint.commit()
            added += len(batch)
    return added


def _insert_one(conn: Connection, intent: ReminderIntent, now: dt.datetime) -> bool:
    savepoint = conn.begin_nested()
    try:
        _insert_many(conn, [intent], now)
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _insert_many(conn: Connection, intents: Sequence[ReminderIntent], now: dt.datetime) -> None:
    conn.execute(t.outbox.insert(), [
        {"key": i.key, "tenant": i.tenant, "source": i.source, "customer_id": i.customer_id,
         "channel": i.channel, "level": i.level, "status": "planned",
         "payload": i.to_json(), "attempts": 0, "planned_for": i.planned_for,
         "next_attempt_at": now, "created_at": now, "updated_at": now} for i in intents])
    items = [{"outbox_key": i.key, "tenant": i.tenant, "source": i.source,
              "item_id": item.item_id, "invoice_id": item.invoice_id, "level": item.level,
              "channel": i.channel, "amount_minor": to_minor(item.residual, item.currency),
              "currency": item.currency} for i in intents for item in i.items]
    if items:  # an empty list would be one INSERT of defaults, not none
        conn.execute(t.outbox_items.insert(), items)


def enqueue_follow_up(conn: Connection, parent: Mapping[str, Any], channel: str,
                      now: dt.datetime, payload: ReminderPayload) -> None:
    """A row that depends on a sent one (the note left in the source after an email). It
    carries the payload as sent (after the freshness gate), not as planned."""
    key = f"{parent['key'][:28]}{channel[:4]}"
    exists = conn.execute(select(t.outbox.c.id).where(t.outbox.c.key == key)).first()
    if exists:
        return
    conn.execute(t.outbox.insert().values(
        key=key, tenant=parent["tenant"], source=parent["source"],
        customer_id=parent["customer_id"], channel=channel, level=parent["level"],
        status="planned", payload=payload.to_json(), attempts=0,
        planned_for=parent["planned_for"], next_attempt_at=now, created_at=now, updated_at=now))


def due(store: Store, tenant: str, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
    """Planned rows whose time has come, oldest first (read only: nothing is claimed yet)."""
    query = (select(t.outbox).where(t.outbox.c.tenant == tenant, t.outbox.c.status == "planned",
                                    t.outbox.c.next_attempt_at <= now)
             .order_by(t.outbox.c.id).limit(limit))
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def claim_one(store: Store, row: Mapping[str, Any], now: dt.datetime,
              lease: dt.timedelta) -> dict[str, Any] | None:
    """planned → sending for ONE row, committed, right before its side effect.

    One row at a time, so that a crash leaves at most one reminder in doubt. Returns the claimed
    row, or None when another worker took it first.
    """
    with store.transaction() as conn:
        moved = conn.execute(update(t.outbox).where(
            t.outbox.c.key == row["key"], t.outbox.c.status == "planned").values(
            status="sending", lease_until=now + lease, attempts=row["attempts"] + 1,
            updated_at=now))
    if moved.rowcount != 1:
        return None
    return {**row, "status": "sending", "attempts": row["attempts"] + 1}


def stale_sending(store: Store, tenant: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Rows left in `sending` past their lease: the process that claimed them died."""
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.outbox).where(
            t.outbox.c.tenant == tenant, t.outbox.c.status == "sending",
            t.outbox.c.lease_until < now)).mappings()]


def mark(conn: Connection, key: str, status: str, now: dt.datetime, *, reason: str | None = None,
         remote_id: str | None = None, payload: ReminderPayload | None = None,
         next_attempt_at: dt.datetime | None = None) -> None:
    if status not in STATES:
        raise ValueError(status)
    values: dict[str, Any] = {"status": status, "updated_at": now, "lease_until": None,
                              "reason": reason}
    if status == "sent":
        values["sent_at"] = now
    if remote_id is not None:
        values["remote_id"] = remote_id
    if payload is not None:
        values["payload"] = payload.to_json()
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    conn.execute(update(t.outbox).where(t.outbox.c.key == key).values(**values))


def counts(store: Store, tenant: str) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.outbox.c.status, func.count()).where(
            t.outbox.c.tenant == tenant).group_by(t.outbox.c.status)).all()
    return {status: int(n) for status, n in rows}


def payload(row: Mapping[str, Any]) -> ReminderPayload:
    """The typed payload of an outbox row."""
    return ReminderPayload.from_json(str(row["payload"]))


def rows(store: Store, tenant: str, status: str | None = None,
         limit: int = 100) -> list[dict[str, Any]]:
    query = select(t.outbox).where(t.outbox.c.tenant == tenant)
    if status:
        query = query.where(t.outbox.c.status == status)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            query.order_by(t.outbox.c.id.desc()).limit(limit)).mappings()]


def resolve_uncertain(store: Store, tenant: str, key: str, sent: bool, *,
                      now: dt.datetime) -> bool:
    """A human's answer for an `uncertain` row: it was delivered (sent) or not (planned again)."""
    with store.transaction() as conn:
        result = conn.execute(update(t.outbox).where(
            t.outbox.c.tenant == tenant, t.outbox.c.key == key,
            t.outbox.c.status == "uncertain").values(
            status="sent" if sent else "planned", updated_at=now, next_attempt_at=now,
            sent_at=now if sent else None,
            reason="confirmed delivered by a person" if sent else "re-sent after review"))
        return result.rowcount == 1
