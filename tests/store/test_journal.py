"""The push journal table behind `AdapterContext.journal` (SQLite and PostgreSQL)."""

from __future__ import annotations

from connector.adapters.base import JournalEntry
from connector.store.journal import StoreJournal
from connector.store.store import Store
from tests.helpers import NOW


def test_an_intent_is_read_back_by_another_connection(store_url: str) -> None:
    one = Store(store_url)
    StoreJournal(one, "a", "pennylane", lambda: NOW).start("k1", JournalEntry("c1", ("7", "3")))
    other = StoreJournal(Store(store_url), "a", "pennylane", lambda: NOW)  # another process
    assert other.started("k1") == JournalEntry("c1", ("7", "3"))  # push order kept
    assert other.started("k2") is None


def test_scoped_by_tenant_and_source_and_restart_keeps_latest(store_url: str) -> None:
    store = Store(store_url)
    journal = StoreJournal(store, "a", "sage", lambda: NOW)
    journal.start("k1", JournalEntry("c1", ("1",)))
    journal.start("k1", JournalEntry("c1", ("1", "2")))  # a retried push, same key
    assert journal.started("k1") == JournalEntry("c1", ("1", "2"))
    assert StoreJournal(store, "b", "sage", lambda: NOW).started("k1") is None
    assert StoreJournal(store, "a", "pennylane", lambda: NOW).started("k1") is None
