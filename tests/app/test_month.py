"""Done when: a firm of three clients (different ledgers and rules) runs under the scheduler for a
simulated month, on SQLite and on PostgreSQL, with the same reminders in the same states; and
`relance clients list` shows the three."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

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


def simulate_month(directory: Path, state: str) -> dict[str, list[tuple[str, str, str]]]:
    """Serve the firm from START to END in simulated time; each client's outbox, sorted."""
    write_firm(directory, state=state, schedule="sync_every_minutes = 720")
    clock = SimClock(START)
    scheduler = Scheduler(firm_entries(directory), clock=clock, sleep=clock.sleep,
                          max_sleep=12 * 3600)
    scheduler.serve(until=END)
    assert all(r.status == "ok" for r in scheduler.results)
    store = Store(Firm(directory).config(next(iter(THREE_CLIENTS))).state_url)
    try:
        result = {slug: sorted((r["key"], r["status"], r["level"])
                               for r in outbox.rows(store, slug, limit=100_000))
                  for slug in THREE_CLIENTS}
        for slug in THREE_CLIENTS:  # reminders ran once per business day, never twice
            days = [r["day"] for r in runs.history(store, slug) if r["job"] == "reminders"]
            # November 2026 from the 2nd: 21 weekdays, less Armistice Day (Wednesday the 11th)
            assert len(days) == len(set(days)) == 20 and dt.date(2026, 11, 11) not in days
    finally:
        store.close()
    return result


def test_a_month_of_three_clients_is_the_same_on_sqlite_and_postgresql(
        tmp_path: Path, pg_server: PgServer) -> None:
    on_sqlite = simulate_month(tmp_path / "sqlite", "sqlite:///relance.db")
    on_postgres = simulate_month(tmp_path / "pg", pg_server.create_database(pg_server.template))
    assert on_sqlite == on_postgres
    for slug, rows in on_sqlite.items():
        assert len(rows) > 10, slug
        assert {status for _k, status, _l in rows} <= {"sent", "skipped"}
    levels = {slug: {level for _k, _s, level in rows} for slug, rows in on_sqlite.items()}
    assert levels["garage-durand"] == {"first", "final"}  # its own policy: two levels
    assert {"courtesy", "first", "final"} <= levels["boulangerie-martin"]  # the firm's default
    emails = {slug: sorted(p.name for p in (tmp_path / "sqlite" / "outbox" / slug).glob("*.eml"))
              for slug in THREE_CLIENTS}
    assert emails == {slug: sorted(p.name for p in (tmp_path / "pg" / "outbox" / slug)
                                   .glob("*.eml")) for slug in THREE_CLIENTS}

    listed = CliRunner().invoke(main, ["--firm", str(tmp_path / "pg"), "--today", "2026-11-30",
                                       "clients", "list", "--json"], catch_exceptions=False)
    rows = json.loads(listed.output)
    assert [r["client"] for r in rows] == sorted(THREE_CLIENTS)
    assert all(r["last_sync"]["status"] == "ok" and not r["errors"] for r in rows)
