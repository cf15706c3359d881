"""Done when: a firm of three clients (different ledgers and rules) runs under the scheduler for a
simulated month, on SQLite and on PostgreSQL, with the same reminders in the same states; and
`relance clients list` shows the three.

Each database's month is a test of its own (the two run side by side on the suite's two workers,
where one test of both months was the suite's longest, ~170 s): each is compared with the golden
record of the month, so both equal it and so each other. The record was written from both
databases agreeing; rewrite it only on purpose, after a change to what a month sends:
`RELANCE_WRITE_GOLDEN=1 pytest tests/app/test_month.py` (the SQLite month writes it, the
PostgreSQL month, run after it, must then agree).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zoneinfo
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from connector.app.firm import Firm
from connector.app.scheduler import Scheduler
from connector.cli import main
from connector.store import outbox, runs
from connector.store.store import Store
from tests.app.test_service import SimClock, firm_entries
from tests.helpers import THREE_CLIENTS, write_firm
from tests.pg import PgServer

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = dt.datetime(2026, 11, 2, 0, 0, tzinfo=PARIS)  # a Monday
END = dt.datetime(2026, 12, 1, 0, 0, tzinfo=PARIS)
GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden" / "month-three-clients.json"

Month = dict[str, dict[str, Any]]


def simulate_month(directory: Path, state: str) -> Month:
    """Serve the firm from START to END in simulated time: each client's outbox, sorted, and the
    names of the messages it wrote."""
    write_firm(directory, state=state, schedule="sync_every_minutes = 720")
    clock = SimClock(START)
    scheduler = Scheduler(firm_entries(directory), clock=clock, sleep=clock.sleep,
                          max_sleep=12 * 3600)
    scheduler.serve(until=END)
    assert all(r.status == "ok" for r in scheduler.results)
    store = Store(Firm(directory).config(next(iter(THREE_CLIENTS))).state_url)
    try:
        rows = {slug: sorted([r["key"], r["status"], r["level"]]
                             for r in outbox.rows(store, slug, limit=100_000))
                for slug in THREE_CLIENTS}
        for slug in THREE_CLIENTS:  # reminders ran once per business day, never twice
            days = [r["day"] for r in runs.history(store, slug) if r["job"] == "reminders"]
            # November 2026 from the 2nd: 21 weekdays, less Armistice Day (Wednesday the 11th)
            assert len(days) == len(set(days)) == 20 and dt.date(2026, 11, 11) not in days
    finally:
        store.close()
    emails = {slug: sorted(p.name for p in (directory / "outbox" / slug).glob("*.eml"))
              for slug in THREE_CLIENTS}
    return {"outbox": rows, "emails": emails}


def check_month(month: Month, *, write: bool) -> None:
    """What a month must send, then the golden record of it (written first when asked)."""
    for slug, rows in month["outbox"].items():
        assert len(rows) > 10, slug
        assert {status for _k, status, _l in rows} <= {"sent", "skipped"}
    levels = {slug: {level for _k, _s, level in rows} for slug, rows in month["outbox"].items()}
    assert levels["garage-durand"] == {"first", "final"}  # its own policy: two levels
    assert {"courtesy", "first", "final"} <= levels["boulangerie-martin"]  # the firm's default
    assert all(names for names in month["emails"].values())
    if write and os.environ.get("RELANCE_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(month, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert month == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_a_month_of_three_clients_on_sqlite(tmp_path: Path) -> None:
    check_month(simulate_month(tmp_path, "sqlite:///relance.db"), write=True)


def test_a_month_of_three_clients_on_postgresql_is_the_same(
        tmp_path: Path, pg_server: PgServer) -> None:
    check_month(simulate_month(tmp_path, pg_server.create_database(pg_server.template)),
                write=False)
    listed = CliRunner().invoke(main, ["--firm", str(tmp_path), "--today", "2026-11-30",
                                       "clients", "list", "--json"], catch_exceptions=False)
    rows = json.loads(listed.output)
    assert [r["client"] for r in rows] == sorted(THREE_CLIENTS)
    assert all(r["last_sync"]["status"] == "ok" and not r["errors"] for r in rows)
