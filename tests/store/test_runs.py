"""The tenant lease lock and run journal, on SQLite and PostgreSQL: one holder at a time, even
when many threads race for it; an expired lease can be taken over; only the holder renews."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from connector.store import runs
from connector.store.store import Store

NOW = dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.timezone.utc)
LEASE = dt.timedelta(minutes=10)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    yield opened
    opened.close()


def test_one_holder_at_a_time_until_release(store: Store) -> None:
    assert runs.acquire(store, "acme", "A", NOW, LEASE)
    assert not runs.acquire(store, "acme", "B", NOW + dt.timedelta(minutes=1), LEASE)
    assert runs.acquire(store, "other", "B", NOW, LEASE)  # locks are per tenant
    assert runs.acquire(store, "acme", "A", NOW, LEASE)  # re-entrant for its holder
    runs.release(store, "acme", "B")  # not B's to release
    assert runs.lock_of(store, "acme")["holder"] == "A"
    runs.release(store, "acme", "A")
    assert runs.acquire(store, "acme", "B", NOW, LEASE)


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew(store: Store) -> None:
    assert runs.acquire(store, "acme", "A", NOW, LEASE)
    assert runs.renew(store, "acme", "A", NOW + dt.timedelta(minutes=5), LEASE)
    later = NOW + dt.timedelta(minutes=14)  # renewed until 8:45: still A's
    assert not runs.acquire(store, "acme", "B", later, LEASE)
    much_later = NOW + dt.timedelta(minutes=16)  # A died: its lease ran out
    assert runs.acquire(store, "acme", "B", much_later, LEASE)
    assert not runs.renew(store, "acme", "A", much_later, LEASE)
    assert runs.lock_of(store, "acme")["holder"] == "B"


def test_racing_threads_get_exactly_one_lock(store: Store) -> None:
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(name: str) -> None:
        barrier.wait()
        if runs.acquire(store, "acme", name, NOW, LEASE):
            winners.append(name)

    threads = [threading.Thread(target=race, args=(f"h{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and runs.lock_of(store, "acme")["holder"] == winners[0]


def test_journal_keeps_runs_per_tenant(store: Store) -> None:
    day = NOW.date()
    first = runs.start(store, "acme", "reminders", day, "A", NOW)
    runs.finish(store, "acme", first, "failed", NOW + dt.timedelta(minutes=1), error="boom")
    second = runs.start(store, "acme", "reminders", day, "A", NOW + dt.timedelta(minutes=20))
    runs.finish(store, "acme", second, "ok", NOW + dt.timedelta(minutes=21), {"sent": 3})
    runs.start(store, "other", "reminders", day, "B", NOW + dt.timedelta(minutes=30))
    assert runs.last(store, "acme", "reminders")["run_id"] == second
    assert runs.last(store, "acme", "reminders", status="failed")["error"] == "boom"
    assert runs.last(store, "acme", "reminders", day=day + dt.timedelta(days=1)) is None
    assert runs.last(store, "acme", "sync") is None
    assert [r["run_id"] for r in runs.history(store, "acme")] == [first, second]


def test_a_lock_left_by_a_dead_process_of_this_host_is_taken_over_at_once(store: Store) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = runs.holder_of(int(finished.stdout.strip()))
    assert runs.acquire(store, "acme", "another-host:99999:abcd", NOW, LEASE)
    assert not runs.acquire(store, "acme", runs.new_holder(), NOW, LEASE)  # not ours to judge
    runs.release(store, "acme", "another-host:99999:abcd")
    assert runs.acquire(store, "acme", dead, NOW, LEASE)
    mine = runs.new_holder()
    assert runs.acquire(store, "acme", mine, NOW + dt.timedelta(seconds=1), LEASE)
    assert runs.lock_of(store, "acme")["holder"] == mine
    alive = runs.new_holder()  # this very process: alive, so its lock is respected
    runs.release(store, "acme", mine)
    assert runs.acquire(store, "acme", alive, NOW, LEASE)
    assert not runs.acquire(store, "acme", runs.new_holder(), NOW, LEASE)


def test_a_lock_held_in_another_container_with_the_same_hostname_waits_for_its_lease(
        store: Store) -> None:
    """Issue 15, case 8: same hostname, another PID namespace, a pid that is free here."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    pid = finished.stdout.strip()
    for other in (f"{socket.gethostname()}:{pid}:abcd1234",  # the old hostname:pid form
                  f"{'0' * 16}:{pid}:1:abcd1234"):  # another instance
        assert runs.acquire(store, "acme", other, NOW, LEASE)
        assert not runs.acquire(store, "acme", runs.new_holder(), NOW + LEASE / 2, LEASE)
        assert runs.acquire(store, "acme", runs.new_holder(), NOW + LEASE, LEASE)  # expired
        runs.release(store, "acme", runs.lock_of(store, "acme")["holder"])


def test_a_retried_job_takes_the_lease_only_from_an_attempt_that_is_gone(store: Store) -> None:
    """The queue retries the job of a worker that missed its heartbeats; if that worker is only
    slow, its run still works and must keep the tenant (else the tenant runs twice at once)."""
    live = f"job:7:1:{runs.new_holder()}"  # this process: alive
    assert runs.acquire(store, "acme", live, NOW, LEASE)
    run_id = runs.start(store, "acme", "sync", NOW.date(), live, NOW)
    retry = f"job:7:2:{runs.new_holder()}"
    assert not runs.take_over_job(store, "acme", retry, NOW + dt.timedelta(seconds=40))
    assert runs.lock_of(store, "acme")["holder"] == live
    assert runs.last(store, "acme", "sync")["status"] == "running"
    # once its lease has run out, the attempt is gone whatever its process says
    assert runs.take_over_job(store, "acme", retry, NOW + LEASE)
    assert runs.lock_of(store, "acme")["holder"] == retry
    assert runs.last(store, "acme", "sync")["status"] == "stopped" and run_id
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    killed = f"job:8:1:{runs.holder_of(int(finished.stdout.strip()))}"
    assert runs.acquire(store, "beta", killed, NOW, LEASE)
    assert runs.take_over_job(store, "beta", f"job:8:2:{runs.new_holder()}", NOW)  # at once
