"""Formal notices as a workflow: no letter without an address, every letter a task to post.

- A letter whose recipient has no postal address is not written: its row waits (planned again for
  the next day) and a task asks a person to complete the address ("compléter l'adresse postale"),
  in the source or in `[customers."<id>"] address`. Once the address is known, the next run
  writes it.
- A written letter is `to_post` (store/letters.py) with a task "poster la lettre recommandée";
  `relance letters posted` records the posting, `relance letters received` the avis de
  réception: a consumer's interest runs from receipt of a posted notice (`with_notices`).
- Files are named `YYYY-MM-DD_<customer>_<level>.pdf` in safe characters, for the person who
  prints them; the outbox key is kept with the file in the store so a crash can be reconciled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from connector.config import Config
from connector.rules.payload import ReminderPayload
from connector.store import letters
from connector.store import tables as t
from connector.store.store import Store

ADDRESS_WAIT = dt.timedelta(days=1)
TITLES = {
    "address": {"fr": "Compléter l'adresse postale de {customer} (mise en demeure en attente)",
                "en": "Complete the postal address of {customer} (formal notice waiting)"},
    "post": {"fr": "Poster la lettre recommandée à {customer} ({file})",
             "en": "Post the registered letter to {customer} ({file})"},
}


def safe(text: str, limit: int = 60) -> str:
    """ASCII letters, digits and dashes: a name every file system and printer queue accepts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-") or "x"


def base_name(payload: ReminderPayload) -> str:
    return (f"{payload.planned_for.isoformat()}_{safe(payload.customer_name)}_"
            f"{safe(payload.level, 30)}.pdf")


def file_name(store: Store, key: str, payload: ReminderPayload) -> str:
    """The readable name, with the key's start appended only if another letter has it already
    (the same customer twice on one day: one letter per invoice, or per currency)."""
    name = base_name(payload)
    if letters.taken(store, name, key):
        name = name.removesuffix(".pdf") + f"_{key[:8]}.pdf"
    return name


def already_written(store: Store, directory: Path, key: str) -> str | None:
    """The file of this letter if it exists (crash reconciliation), else None."""
    known = letters.file_of(store, key)
    candidates = [Path(known)] if known else []
    with store.engine.connect() as conn:
        row = conn.execute(select(t.outbox.c.payload).where(t.outbox.c.key == key)).first()
    if row is not None:
        name = base_name(ReminderPayload.from_json(row[0]))
        if not letters.taken(store, name, key):
            candidates.append(directory / name)
        candidates.append(directory / (name.removesuffix(".pdf") + f"_{key[:8]}.pdf"))
    candidates.append(directory / f"{key}.pdf")  # letters written before files had names
    return next((str(p) for p in candidates if p.exists()), None)


def with_address(store: Store, config: Config, source: str, payload: ReminderPayload
                 ) -> ReminderPayload:
    """The payload with the address to write to now: `[customers]` first (a person corrected
    it), then the one planned with, then the customer's as last synced."""
    override = config.rulebook.address(payload.customer_id)
    if override:
        return dataclasses.replace(payload, customer_address=override)
    if payload.customer_address:
        return payload
    customer = store.customer(config.tenant, source, payload.customer_id)
    if customer is None or customer.address is None:
        return payload
    return dataclasses.replace(payload, customer_address=customer.address.text())


def with_notices(store: Store, tenant: str, source: str, payload: ReminderPayload
                 ) -> ReminderPayload:
    """The payload with, on each item, the formal notice recorded as posted that named it (and
    its receipt when recorded): what a consumer's interest runs from (rules/penalties.py). A
    letter planned or written but not posted puts nobody on notice, so it counts for nothing."""
    found = letters.notices(store, tenant, source, [i.item_id for i in payload.items])
    if not found:
        return payload
    items = tuple(dataclasses.replace(i, notice_posted=found[i.item_id][0],
                                      notice_received=found[i.item_id][1])
                  if i.item_id in found else i for i in payload.items)
    return dataclasses.replace(payload, items=items)


def add_task(conn: Connection, *, key: str, row: Mapping[str, Any], kind: str, language: str,
             body: str, due: dt.date, now: dt.datetime, **names: str) -> None:
    """A local task (the collector's to-do list); once per key."""
    title = TITLES[kind]["en" if language == "en" else "fr"].format(**names)
    try:
        with conn.begin_nested():
            conn.execute(t.tasks.insert().values(
                key=key, tenant=row["tenant"], source=row["source"],
                customer_id=row["customer_id"], title=title, body=f"{title}\n{body}",
                due_date=due, status="open", created_at=now))
    except IntegrityError:
        pass


def letter_written(conn: Connection, row: Mapping[str, Any], payload: ReminderPayload, file: str,
                   language: str, now: dt.datetime) -> None:
    """In the transaction that marks the letter row sent: to post, and a task to post it."""
    day = payload.planned_for
    letters.record(conn, key=row["key"], tenant=row["tenant"], source=row["source"],
                   customer_id=row["customer_id"], level=row["level"], file=file,
                   planned_for=day, now=now)
    add_task(conn, key=f"{row['key'][:28]}post", row=row, kind="post", language=language,
             body=f"relance letters posted {row['key'][:12]} --date AAAA-MM-JJ --tracking N°\n"
                  f"[relance:{row['key']}]", due=day, now=now,
             customer=payload.customer_name, file=Path(file).name)


def address_missing(conn: Connection, row: Mapping[str, Any], payload: ReminderPayload,
                    language: str, now: dt.datetime) -> None:
    add_task(conn, key=f"{row['key'][:28]}addr", row=row, kind="address", language=language,
             body=f"[customers.\"{row['customer_id']}\"] address = \"…\" ou dans la source\n"
                  f"[relance:{row['key']}]", due=payload.planned_for, now=now,
             customer=payload.customer_name)
