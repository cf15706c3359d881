"""A start that finds a new state file locked by another start (migrating it) waits for it.

Several starts at once on a new SQLite file (a firm's clients, cron jobs) lost runs with
"database is locked": the connection switched to WAL before its busy timeout was set, so it waited
sqlite3's default 5 s only, less than a migration holds the file on a loaded machine. Real
locking, so a real hold of a little over those 5 s."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from connector.store.store import Store, current_revision, head_revision

HELD = 6.0  # seconds: above sqlite3's default wait (5 s), well under our busy timeout (30 s)


def test_a_start_waits_for_the_lock_another_start_holds_on_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # a new file, rollback journal: what a first start holds
    released = threading.Timer(HELD, holder.rollback)
    released.start()
    try:
        store = Store(f"sqlite:///{path}")
    finally:
        released.join()
        holder.close()
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()
