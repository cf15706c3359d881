"""Runs that end (issue 15, case 9): a `Retry-After` longer than a run may wait fails at once
instead of stalling every client sharing the budget; a source that dies mid-run stops the
deliveries after a few failures, releases the lock, and `run` exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses

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
        assert code == 1 and "stopped delivering by source" in out, out
        store = Store(f"sqlite:///{tmp_path / 'state.db'}")
        assert runs.lock_of(store, "boulangerie") is None  # released
        rows = outbox.rows(store, "boulangerie")
        assert rows and not [r for r in rows if r["status"] in ("sent", "failed")]
        assert sum(1 for r in rows if r["reason"]) <= 3  # three failures, then it stopped
        store.close()
    finally:
        odoo.stop()
