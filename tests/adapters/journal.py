"""A push journal in a real store, for adapter tests: one SQLite file per state directory, so
two adapters built on the same directory behave like two processes sharing the database."""

from __future__ import annotations

from pathlib import Path

from connector.store.journal import StoreJournal
from connector.store.store import Store
from tests.helpers import NOW


def store_journal(state_dir: Path, tenant: str, source: str) -> StoreJournal:
    state_dir.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{state_dir / 'journal.db'}")
    return StoreJournal(store, tenant, source, lambda: NOW)
