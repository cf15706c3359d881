"""Formal notices to post: which file each letter row wrote, and whether it went by registered mail.

A letter is `to_post` from the moment its PDF is written (the outbox row is then `sent`: the
channel's side effect, the file, is done) until a person records its posting with
`relance letters posted KEY --date D [--tracking N]`. The email of the same level says a registered
letter "was sent" only once it is posted. The file name is for people; the key → file mapping here
is what crash reconciliation reads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from connector.store import tables as t
from connector.store.store import Store

ADDRESS_REASON = "no postal address for the formal notice: waiting for it (task created)"
"""The outbox reason of a letter row that waits for a person to complete the address."""


@dataclass(frozen=True)
class Letter:
    key: str
    customer_id: str
    level: str
    file: str
    status: str  # to_post | posted
    planned_for: dt.date
    posted_on: dt.date | None
    tracking: str | None
    received_on: dt.date | None = None


def _letter(row: Any) -> Letter:
    return Letter(row["key"], row["customer_id"], row["level"], row["file"], row["status"],
                  row["planned_for"], row["posted_on"], row["tracking"], row["received_on"])


def record(conn: Connection, *, key: str, tenant: str, source: str, customer_id: str, level: str,
           file: str, planned_for: dt.date, now: dt.datetime) -> None:
    """The letter is written: to post. Idempotent (a reconciled crash records it again)."""
    try:
        with conn.begin_nested():
            conn.execute(t.letters.insert().values(
                key=key, tenant=tenant, source=source, customer_id=customer_id, level=level,
                file=file, status="to_post", planned_for=planned_for, created_at=now,
                updated_at=now))
    except IntegrityError:
        pass


def file_of(store: Store, key: str) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(select(t.letters.c.file).where(t.letters.c.key == key)).scalar()


def taken(store: Store, file: str, key: str) -> bool:
    """True when another letter already owns this file name."""
    with store.engine.connect() as conn:
        return conn.execute(select(t.letters.c.key).where(
            t.letters.c.file == file, t.letters.c.key != key)).first() is not None


def listing(store: Store, tenant: str, *, status: str | None = None,
            day: dt.date | None = None) -> list[Letter]:
    query = select(t.letters).where(t.letters.c.tenant == tenant)
    if status:
        query = query.where(t.letters.c.status == status)
    if day:
        query = query.where(t.letters.c.planned_for == day)
    with store.engine.connect() as conn:
        return [_letter(r) for r in conn.execute(
            query.order_by(t.letters.c.planned_for, t.letters.c.file)).mappings()]


@dataclass(frozen=True)
class Waiting:
    """A letter not written yet: its recipient has no postal address (delivery/postal.py)."""

    key: str
    customer_id: str
    customer_name: str
    level: str
    planned_for: dt.date


def waiting_for_address(store: Store, tenant: str) -> list[Waiting]:
    """Letter rows planned but held until a person completes the address: what `relance letters`
    shows, so that they are not mistaken for letters about to be written."""
    out = t.outbox.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(out.key, out.customer_id, out.level, out.planned_for,
                                   out.payload).where(
            out.tenant == tenant, out.channel == "letter", out.status == "planned",
            out.reason == ADDRESS_REASON).order_by(out.planned_for, out.key)).all()
    return [Waiting(key, customer, str(json.loads(payload).get("customer_name") or customer),
                    level, planned) for key, customer, level, planned, payload in rows]


def find(store: Store, tenant: str, key: str) -> Letter | None:
    """By outbox key, or by a unique prefix of it (people type the first characters)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.letters).where(
            t.letters.c.tenant == tenant, t.letters.c.key.startswith(key, autoescape=True))
            .limit(2)).mappings().all()
    return _letter(rows[0]) if len(rows) == 1 else None


def counts(store: Store, tenant: str) -> dict[str, int]:
    """Letters by status (`to_post`, `posted`): what `status` shows."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.letters.c.status, func.count()).where(
            t.letters.c.tenant == tenant).group_by(t.letters.c.status)).all()
    return {status: int(n) for status, n in rows}


def mark_posted(store: Store, tenant: str, key: str, *, on: dt.date, tracking: str | None,
                now: dt.datetime) -> bool:
    with store.transaction() as conn:
        done = conn.execute(update(t.letters).where(
            t.letters.c.tenant == tenant, t.letters.c.key == key).values(
            status="posted", posted_on=on, tracking=tracking, updated_at=now))
        # the "post the registered letter" task is done with it (delivery/postal.py names it)
        conn.execute(update(t.tasks).where(t.tasks.c.tenant == tenant,
                                           t.tasks.c.key == f"{key[:28]}post")
                     .values(status="done"))
        return done.rowcount == 1


def mark_received(store: Store, tenant: str, key: str, *, on: dt.date, now: dt.datetime) -> bool:
    """The avis de réception came back: the day the debtor received the posted letter."""
    with store.transaction() as conn:
        done = conn.execute(update(t.letters).where(
            t.letters.c.tenant == tenant, t.letters.c.key == key,
            t.letters.c.status == "posted").values(received_on=on, updated_at=now))
        return done.rowcount == 1


def notices(store: Store, tenant: str, source: str, item_ids: Sequence[str]
            ) -> dict[str, tuple[dt.date, dt.date | None]]:
    """Per item id, the first posted formal notice that named it: (posted on, received on).
    Only a posted letter counts: a letter written but not posted has put nobody on notice."""
    if not item_ids:
        return {}
    lt, items = t.letters.c, t.outbox_items.c
    query = (select(items.item_id, lt.posted_on, lt.received_on)
             .join(t.outbox_items, items.outbox_key == lt.key)
             .where(lt.tenant == tenant, lt.source == source, lt.status == "posted",
                    lt.posted_on.is_not(None), items.item_id.in_(list(item_ids)))
             .order_by(lt.posted_on))
    found: dict[str, tuple[dt.date, dt.date | None]] = {}
    with store.engine.connect() as conn:
        for item_id, posted_on, received_on in conn.execute(query):
            found.setdefault(item_id, (posted_on, received_on))
    return found


def posted(store: Store, tenant: str, customer_id: str, level: str) -> Letter | None:
    """The posted letter of this customer's level, if any: what the email may then mention."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.letters).where(
            t.letters.c.tenant == tenant, t.letters.c.customer_id == customer_id,
            t.letters.c.level == level, t.letters.c.status == "posted")
            .order_by(t.letters.c.posted_on.desc()).limit(1)).mappings().first()
    return _letter(row) if row else None
