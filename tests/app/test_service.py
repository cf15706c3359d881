"""The scheduler in simulated time: each tenant on its schedule, a failing tenant isolated,
`run_tenant` exclusive per tenant and callable with a path (as a queue worker would)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import pytest

from connector.adapters.demo import DemoAdapter
from connector.app.firm import Client, Firm
from connector.app.schedule import Schedule, jitter, next_reminders
from connector.app.scheduler import Entry, Scheduler, run_tenant
from connector.errors import TransientError
from connector.store import runs
from connector.store.store import Store
from tests.helpers import write_firm

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc


class SimClock:
    """Simulated time: `sleep` moves the clock instead of waiting."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(UTC)
        self.sleeps = 0

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += dt.timedelta(seconds=seconds)


def firm_entries(directory: Path):
    def load() -> list[Entry]:
        return [Entry(slug, c.config, c.schedule) if isinstance(c, Client)
                else Entry(slug, None, error=c) for slug, c in Firm(directory).clients()]
    return load


def local(value: dt.datetime) -> dt.datetime:
    return runs.aware(value).astimezone(PARIS)


# -- the schedule itself (pure) -------------------------------------------------------------------
def test_reminders_fall_on_business_days_at_the_local_time_with_a_stable_jitter() -> None:
    schedule = Schedule()
    friday_early = dt.datetime(2026, 11, 27, 7, 0, tzinfo=PARIS)
    due = next_reminders(schedule, "acme", "Europe/Paris", friday_early, done_today=False,
                         retry_after=None)
    offset = jitter("acme", "2026-11-27", schedule.jitter_minutes)
    assert due.astimezone(PARIS) == dt.datetime(2026, 11, 27, 8, 30, tzinfo=PARIS) + offset
    assert dt.timedelta(0) <= offset < dt.timedelta(minutes=5)
    after = next_reminders(schedule, "acme", "Europe/Paris", friday_early, done_today=True,
                           retry_after=None)
    assert after.astimezone(PARIS).date() == dt.date(2026, 11, 30)  # Monday, not the weekend
    no_monday = next_reminders(  # the hook where public holidays plug in
        schedule, "acme", "Europe/Paris", friday_early, done_today=True, retry_after=None,
        holiday=lambda d: d == dt.date(2026, 11, 30))
    assert no_monday.astimezone(PARIS).date() == dt.date(2026, 12, 1)
    saturdays = Schedule(days=("sat",))
    assert next_reminders(saturdays, "acme", "Europe/Paris", friday_early, done_today=False,
                          retry_after=None).astimezone(PARIS).date() == dt.date(2026, 11, 28)
    assert next_reminders(Schedule(enabled=False), "acme", "Europe/Paris", friday_early,
                          done_today=False, retry_after=None) is None


# -- the scheduler in simulated time --------------------------------------------------------------
@pytest.fixture
def firm(tmp_path: Path) -> Path:
    return write_firm(tmp_path, schedule="sync_every_minutes = 360", clients={
        "alpha": "seed = 11\ncustomers = 12\ninvoices = 80\n",
        "beta": "seed = 12\ncustomers = 12\ninvoices = 80\n",
        "broken": "seed = 13\ncustomers = 12\ninvoices = 80\n"})


@pytest.fixture
def failing_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `broken` client's accounting system is down for the whole week."""
    original = DemoAdapter.customers

    def customers(self, since):
        if self.context.tenant == "broken":
            raise TransientError("connection refused by the accounting system")
        return original(self, since)
    monkeypatch.setattr(DemoAdapter, "customers", customers)


def test_a_week_each_tenant_on_its_schedule_and_a_failing_one_isolated(
        firm: Path, failing_source: None) -> None:
    clock = SimClock(dt.datetime(2026, 11, 23, 0, 0, tzinfo=PARIS))  # a Monday
    scheduler = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep, max_sleep=6 * 3600)
    scheduler.serve(until=dt.datetime(2026, 11, 30, 0, 0, tzinfo=PARIS))
    store = Store(Firm(firm).config("alpha").state_url)
    business_days = [dt.date(2026, 11, d) for d in range(23, 28)]
    for tenant in ("alpha", "beta"):
        history = runs.history(store, tenant)
        reminders = [r for r in history if r["job"] == "reminders"]
        assert [r["day"] for r in reminders] == business_days
        assert all(r["status"] == "ok" for r in history)
        for run in reminders:
            start = local(run["started_at"])
            assert dt.time(8, 30) <= start.time() < dt.time(8, 36)
        jobs = sorted(local(r["started_at"]) for r in history if r["job"] == "sync")
        assert all(b - a >= dt.timedelta(hours=6) for a, b in zip(jobs, jobs[1:], strict=False))
        every_sync = sorted(local(r["started_at"]) for r in history)  # reminders sync too
        assert len(every_sync) >= 7 * 4
        assert max(b - a for a, b in zip(every_sync, every_sync[1:], strict=False)) \
            <= dt.timedelta(hours=6, minutes=5, seconds=1)
        assert json.loads(reminders[0]["summary"])["sent"] > 0
    broken = runs.history(store, "broken")
    assert broken and all(r["status"] == "failed" for r in broken)
    assert "connection refused" in broken[-1]["error"]
    # failed reminders are retried during the day, backing off, not in a tight loop
    monday = [local(r["started_at"]) for r in broken
              if r["job"] == "reminders" and r["day"] == business_days[0]]
    assert 4 <= len(monday) <= 9
    waits = [b - a for a, b in zip(monday, monday[1:], strict=False)]
    assert waits == sorted(waits) and waits[0] >= dt.timedelta(minutes=15)
    assert clock.sleeps < 300
    store.close()


def test_a_tenant_that_raises_does_not_stop_the_others(firm: Path) -> None:
    calls: list[str] = []

    def runner(config, today, **kwargs):
        calls.append(config.tenant)
        if config.tenant == "alpha":
            raise RuntimeError("bug in alpha's run")
        return run_tenant(config, today, **kwargs)

    clock = SimClock(dt.datetime(2026, 11, 23, 8, 40, tzinfo=PARIS))
    scheduler = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep, runner=runner)
    scheduler.tick()
    assert sorted(calls) == ["alpha", "beta", "broken"]  # side by side: in any order
    assert sorted(r.tenant for r in scheduler.results if r.status == "ok") == ["beta", "broken"]


def test_a_client_file_that_does_not_load_is_skipped(firm: Path) -> None:
    (firm / "clients" / "alpha.toml").write_text("[source]\nkind = 3\n")
    clock = SimClock(dt.datetime(2026, 11, 23, 8, 40, tzinfo=PARIS))
    scheduler = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep)
    scheduler.tick()
    assert {r.tenant for r in scheduler.results} == {"beta", "broken"}


# -- run_tenant -----------------------------------------------------------------------------------
def test_run_tenant_is_busy_while_another_holds_the_tenant(firm: Path) -> None:
    config = Firm(firm).config("alpha")
    store = Store(config.state_url)
    now = dt.datetime(2026, 11, 23, 8, 40, tzinfo=UTC)
    assert runs.acquire(store, "alpha", "someone-else", now, dt.timedelta(minutes=10))
    busy = run_tenant(config, dt.date(2026, 11, 23), store=store, clock=lambda: now)
    assert busy.status == "busy" and runs.history(store, "alpha") == []
    later = now + dt.timedelta(minutes=11)  # the other holder died; its lease ran out
    done = run_tenant(config, dt.date(2026, 11, 23), store=store, clock=lambda: later)
    assert done.status == "ok" and done.summary["sent"] > 0
    assert runs.lock_of(store, "alpha") is None  # released
    store.close()


def test_run_tenant_takes_a_client_file_path_as_a_queue_worker_would(firm: Path) -> None:
    result = run_tenant(str(firm / "clients" / "beta.toml"), dt.date(2026, 11, 23), job="sync")
    assert result.status == "ok" and result.summary["synced"]["invoices"] > 0
    store = Store(Firm(firm).config("beta").state_url)
    assert runs.last(store, "beta", "sync")["run_id"] == result.run_id
    store.close()


def test_a_forced_today_runs_that_day_at_the_clocks_hour(firm: Path) -> None:
    """`relance --today 2026-12-01 serve`: reminders of Dec 1st, once the clock says 08:30."""
    forced = dt.date(2026, 12, 1)
    clock = SimClock(dt.datetime(2026, 11, 23, 7, 0, tzinfo=PARIS))
    scheduler = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep, today=forced)
    scheduler.tick()
    assert [r.job for r in scheduler.results if r.tenant == "alpha"] == ["sync"]
    clock.now = dt.datetime(2026, 11, 23, 8, 40, tzinfo=PARIS).astimezone(UTC)
    scheduler.tick()
    store = Store(Firm(firm).config("alpha").state_url)
    assert runs.last(store, "alpha", "reminders")["day"] == forced
    store.close()


def test_relance_run_waits_its_turn_while_serve_holds_the_tenant(firm: Path) -> None:
    from click.testing import CliRunner

    from connector.cli import main
    store = Store(Firm(firm).config("alpha").state_url)
    assert runs.acquire(store, "alpha", "serve-on-another-host", dt.datetime.now(UTC),
                        dt.timedelta(minutes=10))
    args = ["--firm", str(firm), "--client", "alpha", "--today", "2026-11-23", "run"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "un autre processus relance" in refused.output
    assert not (firm / "outbox" / "alpha").exists()
    runs.release(store, "alpha", "serve-on-another-host")
    assert CliRunner().invoke(main, args).exit_code == 0
    assert list((firm / "outbox" / "alpha").glob("*.eml"))
    assert runs.lock_of(store, "alpha") is None
    store.close()
