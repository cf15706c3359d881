"""One clock: the tenant's. `--today` moves it for the whole run; nothing reads the machine's."""

from __future__ import annotations

import datetime as dt
import email
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import connector.clock as clock
from connector.cli import main
from connector.clock import Clock, local_day
from connector.config import load_config
from connector.store import outbox
from connector.store.store import Store

UTC = dt.timezone.utc
ROOT = Path(__file__).resolve().parents[1]


def test_on_keeps_the_local_hour_across_a_change_of_summer_time() -> None:
    july_evening = Clock.frozen(dt.datetime(2026, 7, 1, 16, 30, tzinfo=UTC))  # 18:30 in Paris
    moved = july_evening.on(dt.date(2026, 12, 1))
    assert moved.today() == dt.date(2026, 12, 1)
    assert moved.now() == dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 18:30, winter time


def test_the_local_day_is_the_tenants_not_the_servers() -> None:
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert local_day(late, "Europe/Paris") == dt.date(2026, 12, 1)
    assert local_day(late, "America/Martinique") == dt.date(2026, 11, 30)
    assert local_day(late.replace(tzinfo=None), "Europe/Paris") == dt.date(2026, 12, 1)  # SQLite
    assert Clock("Pacific/Noumea", source=lambda: late).today() == dt.date(2026, 12, 1)


def test_a_replayed_day_is_stamped_on_that_day(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`--today 2026-11-30` on a machine that reads 1 December: every stamp says 30 November,
    so the minimum gap counts from the day the messages really were for."""
    machine = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "system_now", lambda: machine)
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(main, ["--today", "2026-11-30", "demo", "--dir", str(workdir)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    config = load_config(workdir / "relance.toml")
    store = Store(config.state_url)
    done = outbox.history(store, config.tenant, "demo", config.timezone)
    assert done.last_contact and set(done.last_contact.values()) == {dt.date(2026, 11, 30)}
    emails = sorted(config.outbox_dir.glob("*.eml"))
    assert emails
    for path in emails:
        sent = email.message_from_bytes(path.read_bytes())
        assert email.utils.parsedate_to_datetime(sent["Date"]).date() == dt.date(2026, 11, 30)
    rows = outbox.rows(store, config.tenant, "sent", limit=10_000)
    assert rows and {local_day(r["sent_at"], config.timezone) for r in rows} == \
        {dt.date(2026, 11, 30)}
    store.close()


CLOCK_SENSITIVE = [
    "tests/delivery/test_letter.py::test_outside_the_send_window_nothing_is_claimed",
    "tests/delivery/test_dispatch_rules.py",
    "tests/store/test_history.py",
    "tests/store/test_outbox.py",
    "tests/test_clock.py::test_a_replayed_day_is_stamped_on_that_day",
]


@pytest.mark.skipif(bool(os.environ.get("RELANCE_TEST_YEARS_AHEAD")), reason="already ahead")
def test_the_date_sensitive_tests_pass_three_years_from_now() -> None:
    """The suite must pass on any date: run the tests that step through dates with the machine's
    clock moved three years ahead (main was red for a day because one of them read it)."""
    env = {**os.environ, "RELANCE_TEST_YEARS_AHEAD": "3"}
    # on SQLite only: what reads the machine's date is the test or the product, never the
    # database (the PostgreSQL variants run in the suite itself, at today's date)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly",
                           "-k", "not postgresql", *CLOCK_SENSITIVE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, summary
