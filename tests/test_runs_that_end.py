"""Runs that end (issue 15, case 9): a `Retry-After` longer than a run may wait fails at once
instead of stalling every client sharing the budget; a source that dies mid-run stops the
deliveries after a few failures, releases the lock, and `run` exits 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import responses

from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.commands.loop import needs_attention
from connector.config import load_config
from connector.delivery.budget import FailureBudget
from connector.errors import RateLimited
from connector.http import HttpClient, RateBudget
from connector.store import outbox, runs
from connector.store.store import Store
from tests.e2e import relance, write_user_config
from tests.fakes.odoo_server import API_KEY, start_fake_odoo

FALLBACK = 'activity_user = "marie@example.fr"\n'  # the seeded invoices' salesperson


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@responses.activate
def test_a_retry_after_beyond_max_wait_fails_at_once_and_blocks_the_budget_no_longer() -> None:
    responses.add(responses.GET, "https://api.example/items", status=429,
                  headers={"Retry-After": "900"})
    time = FakeTime()
    budget = RateBudget(10, 1.0, clock=time.clock, sleep=time.sleep)
    client = HttpClient("https://api.example", budget=budget, max_wait=30.0, sleep=time.sleep)
    with pytest.raises(RateLimited) as caught:
        client.request("GET", "/items")
    assert caught.value.retry_after == 900
    assert len(responses.calls) == 1 and sum(time.slept) == 0  # no retry, no sleep in the run
    other = HttpClient("https://api.example", budget=budget, max_wait=30.0, sleep=time.sleep)
    responses.replace(responses.GET, "https://api.example/items", status=200, json={})
    other.request("GET", "/items")  # another client of the budget waits at most max_wait
    assert sum(time.slept) <= 30.0


def test_a_source_dying_mid_run_stops_the_run_which_exits_1(tmp_path: Path) -> None:
    odoo = start_fake_odoo("17.0")
    try:
        config = write_user_config(tmp_path, odoo.source_toml() + FALLBACK)
        # every level due at once (not a gentle first run), so that more than three deliveries
        # need the source
        config.write_text(config.read_text(encoding="utf-8") + '\n[policy]\nonboarding = '
                          '"resume"\n', encoding="utf-8")
        env = {"ODOO_KEY": API_KEY}
        assert relance(config, "--today", "2026-11-27", "sync", env=env)[0] == 0
        odoo.script(*["malformed"] * 200)  # a broken proxy answers every call from now on
        code, out = relance(config, "--today", "2026-11-27", "run", "--no-sync", env=env)
        assert code == 1 and "envois par source arrêtés" in out, out
        store = Store(f"sqlite:///{tmp_path / 'state.db'}")
        assert runs.lock_of(store, "boulangerie") is None  # released
        rows = outbox.rows(store, "boulangerie")
        assert rows and not [r for r in rows if r["status"] in ("sent", "failed")]
        assert sum(1 for r in rows if r["reason"]) <= 3  # three failures, then it stopped
        store.close()
    finally:
        odoo.stop()


class Ticking:
    """The tenant's clock for a crawling source: every look at it finds time gone by."""

    def __init__(self, start: dt.datetime, step: dt.timedelta) -> None:
        self.moment, self.step = start, step

    def __call__(self) -> dt.datetime:
        self.moment += self.step
        return self.moment


def test_the_failure_budget_counts_time_spent_failing_as_well_as_failures_in_a_row() -> None:
    budget = FailureBudget(limit=5, max_failing=dt.timedelta(minutes=2))
    budget.failed("source", "timed out", dt.timedelta(seconds=50))
    budget.ok("source")  # a success ends the streak, not the time already lost
    budget.failed("source", "timed out", dt.timedelta(seconds=50))
    assert not budget.closed("source")
    budget.failed("source", "timed out", dt.timedelta(seconds=30))
    assert budget.closed("source") and "min spent failing" in budget.stopped["source"]
    assert not budget.closed("email")
    quick = FailureBudget(limit=2, max_failing=None)
    quick.failed("email", "421", dt.timedelta(0))
    quick.failed("email", "421", dt.timedelta(0))
    assert "2 failures in a row" in quick.stopped["email"]


def test_a_source_failing_slowly_stops_the_run_once_the_time_budget_is_spent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    odoo = start_fake_odoo("17.0")
    try:
        config = write_user_config(tmp_path, odoo.source_toml() + FALLBACK)
        config.write_text(config.read_text(encoding="utf-8") + '\n[policy]\nonboarding = '
                          '"resume"\n\n[delivery]\nmax_failures = 1000\n'
                          'max_failing_minutes = 3\n', encoding="utf-8")
        monkeypatch.setenv("ODOO_KEY", API_KEY)
        assert relance(config, "--today", "2026-11-27", "sync")[0] == 0
        odoo.script(*["malformed"] * 500)  # every call fails from now on, and time flies
        clock = Ticking(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC), dt.timedelta(seconds=20))
        tenant = open_tenant(load_config(config), clock=Clock("Europe/Paris", source=clock))
        try:
            report = tenant.run(do_sync=False).delivery
        finally:
            tenant.close()
        assert report is not None and "min spent failing" in report.stopped["source"]
        assert needs_attention(report)  # `run` exits 1
        store = Store(f"sqlite:///{tmp_path / 'state.db'}")
        rows = outbox.rows(store, "boulangerie")
        tried = [r for r in rows if r["reason"]]
        assert tried and len(tried) < len(rows)  # stopped long before trying them all
        assert not [r for r in rows if r["status"] in ("sent", "failed")]
        store.close()
    finally:
        odoo.stop()
