"""A firm of three clients served for a simulated month with the default schedule (reminders each
business day at 08:30, syncs hourly), on SQLite and on a throwaway PostgreSQL; prints the time
taken and whether both stores end with the same reminders. The test suite runs a lighter version
(tests/app/test_month.py: syncs every 12 h).

    python -m benchmarks.firm_month
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from connector.app.scheduler import Scheduler
from connector.store import outbox
from tests.app.test_month import END, START
from tests.app.test_service import SimClock, firm_entries
from tests.helpers import THREE_CLIENTS, write_firm
from tests.pg import start_server, unavailable


def serve_month(directory: Path, state: str) -> tuple[float, dict[str, list[tuple[str, str]]]]:
    write_firm(directory, state=state)
    clock = SimClock(START)
    scheduler = Scheduler(firm_entries(directory), clock=clock, sleep=clock.sleep,
                          max_sleep=3600)
    began = time.perf_counter()
    scheduler.serve(until=END)
    elapsed = time.perf_counter() - began
    from connector.app.firm import Firm
    from connector.store.store import Store
    store = Store(Firm(directory).config(next(iter(THREE_CLIENTS))).state_url)
    rows = {slug: sorted((r["key"], r["status"]) for r in outbox.rows(store, slug, limit=10**6))
            for slug in THREE_CLIENTS}
    store.close()
    print(f"{state.split(':')[0]:<20} {len(scheduler.results):>5} runs in {elapsed:6.1f} s")
    return elapsed, rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _, on_sqlite = serve_month(Path(tmp) / "sqlite", "sqlite:///relance.db")
        reason = unavailable()
        if reason:
            print(f"PostgreSQL skipped: {reason}")
            return
        server = start_server()
        try:
            _, on_postgres = serve_month(Path(tmp) / "pg", server.create_database())
        finally:
            server.stop()
        print("same outbox on both:", on_sqlite == on_postgres)


if __name__ == "__main__":
    main()
