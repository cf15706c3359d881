"""The outbox: one row per reminder, with a UNIQUE idempotency key, moved through its states.

    pending_approval → planned → sending → sent | failed | skipped | uncertain
    pending_approval → rejected

A message whose level needs review waits as `pending_approval` until a person approves it
(app/review.py); nothing claims it before.

`planned → sending` is committed before the side effect and `sending → sent` right after it. A row
still `sending` after its lease is a crash survivor: the dispatcher reconciles it (see dispatch.py).
Transient failures reschedule the row (`next_attempt_at`); nothing sleeps in-process.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, Update, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from connector.clock import DEFAULT_TIMEZONE, local_day
from connector.models import to_minor
from connector.rules.channels import NOT_CONTACT
from connector.rules.engine import History, ReminderIntent
from connector.rules.ladder import Stage
from connector.rules.payload import ReminderPayload
from connector.store import tables as t
from connector.store.candidates import CONTACTED
from connector.store.store import CHUNK, Store

STATES = ("pending_approval", "planned", "sending", "sent", "failed", "skipped", "uncertain",
          "rejected")
MAX_ATTEMPTS = 8
USED = ("pending_approval", "planned", "sending", "sent", "uncertain", "skipped")
"""Rows whose level counts as used in the history: sent, may have been sent, on its way, or
dropped by the gate for a reason the rules see as well (paid, on hold). A failed row reached nobody:
its level is due again, and `relance outbox retry` sends it under its own key. A row the gate
re-plans is `release`d: its items no longer count."""


def decode(row: Mapping[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(row["payload"])
    return payload


def history(store: Store, tenant: str, source: str, timezone: str = DEFAULT_TIMEZONE,
            only: Sequence[str] | None = None) -> History:
    """Levels already used per item (`USED`: sent, possibly sent or queued) with the day each was
    first planned, and the last day each customer was contacted: the day a message left (in the
    tenant's time zone) or, not yet sent, the day it was planned for. `only`: the customer ids
    whose history is needed (all when None), read in chunks."""
    levels: dict[str, set[str]] = {}
    dates: dict[str, dict[str, dt.date]] = {}
    last_contact: dict[str, dt.date] = {}
    stages: dict[tuple[str, str], tuple[tuple[dt.date, int], Stage]] = {}
    awaiting: set[str] = set()
    ids = sorted(set(only)) if only is not None else None
    chunks = [None] if ids is None else [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
    with store.engine.connect() as conn:
        for chunk in chunks:
            items = (select(t.outbox_items.c.item_id, t.outbox_items.c.level,
                            func.min(t.outbox.c.planned_for))
                     .join(t.outbox, t.outbox.c.key == t.outbox_items.c.outbox_key)
                     .where(t.outbox_items.c.tenant == tenant, t.outbox_items.c.source == source,
                            t.outbox.c.status.in_(USED))
                     .group_by(t.outbox_items.c.item_id, t.outbox_items.c.level))
            contacts = (select(t.outbox.c.customer_id, t.outbox.c.planned_for, t.outbox.c.sent_at,
                               t.outbox.c.status)
                        .where(t.outbox.c.tenant == tenant, t.outbox.c.source == source,
                               t.outbox.c.status.in_(CONTACTED),
                               t.outbox.c.channel.notin_(NOT_CONTACT)))
            # The customer's stage: its last message per currency that went, may go or waits.
            # (each item at its own level: a message may hold several currencies' sections)
            listed = (select(t.outbox.c.id, t.outbox.c.customer_id, t.outbox_items.c.level,
                             t.outbox.c.planned_for, t.outbox_items.c.currency,
                             t.outbox_items.c.item_id)
                      .join(t.outbox_items, t.outbox.c.key == t.outbox_items.c.outbox_key)
                      .where(t.outbox.c.tenant == tenant, t.outbox.c.source == source,
                             t.outbox.c.status.in_(CONTACTED),
                             t.outbox.c.channel.notin_(NOT_CONTACT)))
            if chunk is not None:
                items = items.where(t.outbox.c.customer_id.in_(chunk))
                contacts = contacts.where(t.outbox.c.customer_id.in_(chunk))
                listed = listed.where(t.outbox.c.customer_id.in_(chunk))
            for row_id, customer, level, planned, currency, item_id in conn.execute(listed):
                order = (planned, row_id)
                known = stages.get((customer, currency))
                if known is None or order > known[0]:
                    stages[(customer, currency)] = (order, Stage(level, planned,
                                                                 frozenset({item_id})))
                elif order == known[0]:
                    stage = known[1]
                    stages[(customer, currency)] = (order, Stage(
                        stage.level, stage.day, stage.items | {item_id}))
            for item_id, level, planned in conn.execute(items):
                levels.setdefault(item_id, set()).add(level)
                dates.setdefault(item_id, {})[level] = planned
            for customer, planned, sent_at, status in conn.execute(contacts):
                if status == "pending_approval":
                    awaiting.add(customer)
                day = local_day(sent_at, timezone) if sent_at is not None else planned
                if customer not in last_contact or day > last_contact[customer]:
                    last_contact[customer] = day
    return History(levels=levels, last_contact=last_contact, dates=dates,
                   stages={k: v[1] for k, v in stages.items()}, awaiting=frozenset(awaiting))


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


_OUTBOX_COLUMNS = ("key", "tenant", "source", "customer_id", "channel", "level", "status",
                   "payload", "attempts", "planned_for", "next_attempt_at", "created_at",
                   "updated_at")
_ITEM_COLUMNS = ("outbox_key", "tenant", "source", "item_id", "invoice_id", "level", "channel",
                 "amount_minor", "currency")


def _insert_many(conn: Connection, intents: Sequence[ReminderIntent], now: dt.datetime) -> None:
    stamp = _bound(conn, t.outbox.c.created_at)(now)  # one moment for every row of the batch
    day = _bound(conn, t.outbox.c.planned_for)
    _insert_rows(conn, t.outbox, _OUTBOX_COLUMNS, [
        (i.key, i.tenant, i.source, i.customer_id, i.channel, i.level,
         "pending_approval" if i.review else "planned", i.to_json(), 0, day(i.planned_for),
         stamp, stamp, stamp) for i in intents])
    items = [(i.key, i.tenant, i.source, item.item_id, item.invoice_id, item.level, i.channel,
              to_minor(item.residual, item.currency), item.currency)
             for i in intents for item in i.all_items]
    if items:  # an empty list would be one INSERT of defaults, not none
        _insert_rows(conn, t.outbox_items, _ITEM_COLUMNS, items)


def _bound(conn: Connection, column: Column[Any]) -> Callable[[Any], Any]:
    """A column's value as this database's driver takes it (SQLAlchemy's own processor for the
    column's type: a date or datetime is text on SQLite, itself on PostgreSQL)."""
    processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return processor if processor is not None else _same


def _same(value: Any) -> Any:
    return value


def _insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                 rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT `rows` (values in `columns` order, as the driver takes them: see `_bound`) with
    one executemany through the database driver. SQLAlchemy's own executemany builds and
    processes every parameter of every row again: for a first run's 20k reminders and 100k
    items that was a third of the enqueue. IntegrityError is raised as by `conn.execute`."""
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positiontup is None:  # named parameters (psycopg): one mapping per row
        conn.exec_driver_sql(compiled.string, [dict(zip(columns, row)) for row in rows])
        return
    order = [columns.index(name) for name in compiled.positiontup]  # sqlite3: ? in table order
    if order != list(range(len(columns))):
        rows = [tuple(row[i] for i in order) for row in rows]
    conn.exec_driver_sql(compiled.string, list(rows))


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


def waiting_retry(store: Store, tenant: str, now: dt.datetime,
                  limit: int = 200) -> list[dict[str, Any]]:
    """Planned rows rescheduled after a failed attempt and not due yet: what a run that sends
    nothing must still show."""
    query = (select(t.outbox).where(t.outbox.c.tenant == tenant, t.outbox.c.status == "planned",
                                    t.outbox.c.attempts > 0, t.outbox.c.next_attempt_at > now)
             .order_by(t.outbox.c.next_attempt_at).limit(limit))
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def due(store: Store, tenant: str, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
    """Planned rows whose time has come, oldest first (read only: nothing is claimed yet)."""
    query = (select(t.outbox).where(t.outbox.c.tenant == tenant, t.outbox.c.status == "planned",
                                    t.outbox.c.next_attempt_at <= now)
             .order_by(t.outbox.c.id).limit(limit))
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


# Built once: a delivery claims and marks thousands of rows (bind names must not be column names)
_CLAIM = update(t.outbox).where(
    t.outbox.c.key == bindparam("b_key"), t.outbox.c.status == "planned").values(
    status="sending", lease_until=bindparam("b_lease_until"), attempts=bindparam("b_attempts"),
    updated_at=bindparam("b_updated_at"))
_MARKS: dict[tuple[str, ...], Update] = {}


def _mark_statement(names: tuple[str, ...]) -> Update:
    """UPDATE outbox SET <names> WHERE key = …, one statement per set of columns."""
    statement = _MARKS.get(names)
    if statement is None:
        statement = _MARKS[names] = update(t.outbox).where(
            t.outbox.c.key == bindparam("b_key")).values({n: bindparam(f"b_{n}") for n in names})
    return statement


def claim_one(store: Store, row: Mapping[str, Any], now: dt.datetime,
              lease: dt.timedelta) -> dict[str, Any] | None:
    """planned → sending for ONE row, committed, right before its side effect.

    One row at a time, so that a crash leaves at most one reminder in doubt. Returns the claimed
    row, or None when another worker took it first.
    """
    with store.transaction() as conn:
        moved = conn.execute(_CLAIM, {"b_key": row["key"], "b_lease_until": now + lease,
                                      "b_attempts": row["attempts"] + 1, "b_updated_at": now})
    if moved.rowcount != 1:
        return None
    return {**row, "status": "sending", "attempts": row["attempts"] + 1}


def unclaim(conn: Connection, row: Mapping[str, Any], now: dt.datetime, *, reason: str,
            until: dt.datetime) -> None:
    """Give a claimed row back, planned for `until`, without counting the attempt the claim
    counted: nothing was tried (a letter waiting for a person to complete an address)."""
    conn.execute(update(t.outbox).where(t.outbox.c.key == row["key"]).values(
        status="planned", attempts=max(int(row["attempts"]) - 1, 0), lease_until=None,
        next_attempt_at=until, reason=reason, updated_at=now))


def stale_sending(store: Store, tenant: str, now: dt.datetime,
                  due_by: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Rows left in `sending` past their lease: the process that claimed them died, or a write's
    answer was lost (`defer`). `due_by`: only rows whose next look-up is due by then."""
    query = select(t.outbox).where(t.outbox.c.tenant == tenant, t.outbox.c.status == "sending",
                                   t.outbox.c.lease_until < now)
    if due_by is not None:
        query = query.where(t.outbox.c.next_attempt_at <= due_by)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def defer(conn: Connection, key: str, now: dt.datetime, until: dt.datetime, reason: str) -> None:
    """Keep a row `sending` (in doubt) until `until`: then it is looked up by key, never resent
    on a guess. Used when a write's answer was lost."""
    conn.execute(update(t.outbox).where(t.outbox.c.key == key).values(
        status="sending", lease_until=until, next_attempt_at=until, reason=reason,
        updated_at=now))


def release(conn: Connection, row: Mapping[str, Any], now: dt.datetime, reason: str,
            invoice_ids: Iterable[str] | None = None) -> None:
    """Free what a queued row holds so the next plan can plan it again: its items (all, or those
    of `invoice_ids`), and when all, its key too (the row stays, `skipped`, under a new key)."""
    items = t.outbox_items.c
    clause = items.outbox_key == row["key"]
    if invoice_ids is not None:
        clause = clause & items.invoice_id.in_(list(invoice_ids))
    conn.execute(t.outbox_items.delete().where(clause))
    if invoice_ids is None:
        conn.execute(update(t.outbox).where(t.outbox.c.key == row["key"]).values(
            key=f"{row['key'][:40]}.x{row['id']}", status="skipped", reason=reason,
            lease_until=None, updated_at=now))


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
    conn.execute(_mark_statement(tuple(values)),
                 {"b_key": key, **{f"b_{name}": value for name, value in values.items()}})


def counts(store: Store, tenant: str) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.outbox.c.status, func.count()).where(
            t.outbox.c.tenant == tenant).group_by(t.outbox.c.status)).all()
    return {status: int(n) for status, n in rows}


@functools.lru_cache(maxsize=1024)
def _decoded(text: str) -> ReminderPayload:
    """Frozen: one decoding serves the gate, the read-ahead and the delivery of the same row."""
    return ReminderPayload.from_json(text)


def payload(row: Mapping[str, Any]) -> ReminderPayload:
    """The typed payload of an outbox row."""
    return _decoded(str(row["payload"]))


def readable(store: Store, row: Mapping[str, Any]) -> ReminderPayload:
    """The stored payload with its statement lines built from the invoices in the store (what
    `relance review` shows; delivery builds them from the invoices the gate just re-read)."""
    stored = payload(row)
    if stored.statement_ready:
        return stored
    ids = sorted({invoice_id for invoice_id, _item in stored.statement_refs})
    return stored.with_statement(store.invoices_by_id(stored.tenant, stored.source, ids))


def rows(store: Store, tenant: str, status: str | None = None,
         limit: int = 100) -> list[dict[str, Any]]:
    query = select(t.outbox).where(t.outbox.c.tenant == tenant)
    if status:
        query = query.where(t.outbox.c.status == status)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            query.order_by(t.outbox.c.id.desc()).limit(limit)).mappings()]


def retry_now(store: Store, tenant: str, key: str | None, *, now: dt.datetime,
              rescheduled: bool = True) -> int:
    """After its cause is fixed (a password, a server, an address): `failed` rows are planned
    again under their own key (same Message-ID, stamp and items: nothing can go twice) with a fresh
    attempt count, and, with `rescheduled`, rows waiting for a later attempt are due now. One row
    (`key`) or all; returns how many."""
    conditions = [t.outbox.c.tenant == tenant]
    if key is not None:
        conditions.append(t.outbox.c.key == key)
    with store.transaction() as conn:
        count = int(conn.execute(update(t.outbox).where(*conditions, t.outbox.c.status == "failed")
                                 .values(status="planned", attempts=0, next_attempt_at=now,
                                         lease_until=None, updated_at=now,
                                         reason="retried by a person")).rowcount)
        if rescheduled:
            count += int(conn.execute(update(t.outbox).where(
                *conditions, t.outbox.c.status == "planned", t.outbox.c.next_attempt_at > now)
                .values(next_attempt_at=now, updated_at=now)).rowcount)
        return count


def resolve_uncertain(store: Store, tenant: str, key: str, sent: bool, *,
                      now: dt.datetime, follow_up: str | None = None) -> bool:
    """A human's answer for an `uncertain` row: it was delivered (sent) or not (planned again).
    `follow_up`: the channel of the trace a sent row leaves in the source (its note), queued in
    the same transaction, as for any sent row."""
    with store.transaction() as conn:
        result = conn.execute(update(t.outbox).where(
            t.outbox.c.tenant == tenant, t.outbox.c.key == key,
            t.outbox.c.status == "uncertain").values(
            status="sent" if sent else "planned", updated_at=now, next_attempt_at=now,
            sent_at=now if sent else None,
            reason="confirmed delivered by a person" if sent else "re-sent after review"))
        if result.rowcount != 1:
            return False
        row = dict(conn.execute(select(t.outbox).where(t.outbox.c.key == key)).mappings().one())
        if sent and follow_up and row["channel"] == "email":
            enqueue_follow_up(conn, row, follow_up, now, payload(row))
        return True
