"""Push journals in the store: `adapters.base.PushJournal` for one tenant's source.

An adapter that pushes in several steps (Pennylane: one appendix per invoice; Sage: a contact note
and an attachment) records where the push goes before the first step, so that `find_pushed` can
tell after a crash, on this host or another one sharing the database, whether it happened. The
adapters see only the interface: the dependency points down (store above adapters).
"""

from __future__ import annotations

import json

from sqlalchemy import select

from connector.adapters.base import JournalEntry
from connector.clock import Now
from connector.store import tables as t
from connector.store.store import Store


class StoreJournal:
    """The push journal of (tenant, source), one committed transaction per intent."""

    def __init__(self, store: Store, tenant: str, source: str, now: Now) -> None:
        self.store, self.tenant, self.source, self.now = store, tenant, source, now

    def started(self, key: str) -> JournalEntry | None:
        table = t.push_journal
        query = select(table.c.customer_id, table.c.invoice_ids).where(
            table.c.tenant == self.tenant, table.c.source == self.source, table.c.key == key)
        with self.store.transaction() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return JournalEntry(row.customer_id, tuple(str(i) for i in json.loads(row.invoice_ids)))

    def start(self, key: str, entry: JournalEntry) -> None:
        """Durable once it returns; a second start of the same key keeps the latest targets."""
        row = {"tenant": self.tenant, "source": self.source, "key": key,
               "customer_id": entry.customer_id, "invoice_ids": json.dumps(list(entry.invoice_ids)),
               "started_at": self.now()}
        with self.store.transaction() as conn:
            self.store.upsert(conn, t.push_journal, [row])
