"""A fair firm: one client waiting on its relay never delays another client's run, under `serve`
(the scheduler) and under `relance --firm DIR run`; two schedulers never run a day twice.

Client `acme` sends through a real SMTP relay (aiosmtpd) that holds every message until client
`zeta` (file transport) has ended its run; the test then asserts on the order of events, never
on durations. Run one client after the other and `acme`'s relay gives up holding (a safety net, so
that the test fails instead of hanging) and `zeta` ends last.

The relay waits for zeta's run to *end*, not merely for its outbox to be empty: zeta still has
work after its last message (its journal, tasks), and a relay released at its last message let
acme finish first on a loaded machine (the order then flipped with nothing wrong in the product).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import zoneinfo
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from connector.app.firm import Firm
from connector.app.scheduler import Scheduler, run_tenant
from connector.cli import main
from connector.commands import parallel
from connector.store import outbox, runs
from connector.store.store import Store
from tests.app.test_service import SimClock, firm_entries
from tests.delivery.test_email import free_port
from tests.helpers import write_firm

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
FRIDAY = dt.date(2026, 11, 27)  # the demo ledgers' anchor
SAFETY_NET = 120.0  # seconds the relay holds a message at most: only reached when the test fails
# (20 s was reached on a loaded machine where zeta alone took longer: the order then flipped)


class HeldRelay:
    """Accepts each message only once `released()` says so (or the safety net runs out)."""

    def __init__(self) -> None:
        self.released: Callable[[], bool] = lambda: False
        self.gave_up = False
        self.accepted = 0
        self.lock = threading.Lock()

    def _wait(self) -> None:
        done = threading.Event()
        for _ in range(int(SAFETY_NET / 0.02)):
            if self.released():
                return
            done.wait(0.02)
        self.gave_up = True

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if not self.gave_up:
            await asyncio.get_running_loop().run_in_executor(None, self._wait)
        with self.lock:
            self.accepted += 1
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[HeldRelay, int]]:
    sink, port = HeldRelay(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def fair_firm(directory: Path, port: int) -> Path:
    smtp = (f'\n[email]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
            'security = "none"\n')
    return write_firm(directory, clients={
        "acme": "seed = 21\ncustomers = 6\ninvoices = 60\n" + smtp,
        "zeta": "seed = 22\ncustomers = 8\ninvoices = 60\n"})


def zeta_delivered(firm: Path) -> bool:
    """Zeta queued reminders and none of them is still waiting to leave."""
    store = Store(Firm(firm).config("zeta").state_url)
    try:
        counts = outbox.counts(store, "zeta")
    finally:
        store.close()
    return counts.get("sent", 0) > 0 and counts.get("planned", 0) == 0 \
        and counts.get("sending", 0) == 0


def test_serve_runs_a_client_while_another_waits_on_its_relay(
        tmp_path: Path, relay: tuple[HeldRelay, int]) -> None:
    sink, port = relay
    firm = fair_firm(tmp_path, port)
    events: list[tuple[str, str]] = []
    sink.released = lambda: ("end", "zeta") in events

    def runner(config, today, **kwargs):
        events.append(("start", config.tenant))
        result = run_tenant(config, today, **kwargs)
        events.append(("end", config.tenant))
        return result

    clock = SimClock(dt.datetime(2026, 11, 27, 8, 40, tzinfo=PARIS))
    scheduler = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep, runner=runner,
                          workers=2)
    scheduler.tick()
    # acme's messages were held until zeta had delivered everything, and none gave up waiting:
    # zeta ran while acme waited (one after the other, acme first, the relay gives up)
    why = (f"events {events}, gave up {sink.gave_up}, accepted {sink.accepted}, results "
           f"{[(r.tenant, r.job, r.status, r.summary, r.error) for r in scheduler.results]}")
    assert [tenant for kind, tenant in events if kind == "end"] == ["zeta", "acme"], why
    assert not sink.gave_up and sink.accepted > 0 and zeta_delivered(firm)
    results = {r.tenant: r for r in scheduler.results if r.job == "reminders"}
    assert results["zeta"].status == "ok" and results["zeta"].summary["sent"] > 0
    assert results["acme"].status == "ok" and results["acme"].summary["sent"] == sink.accepted
    scheduler.close()


def test_firm_run_delivers_every_client_while_one_waits_on_its_relay(
        tmp_path: Path, relay: tuple[HeldRelay, int], monkeypatch: pytest.MonkeyPatch) -> None:
    sink, port = relay
    firm = fair_firm(tmp_path, port)
    clients: dict[str, Future[object]] = {}

    class Recording(ThreadPoolExecutor):
        """The firm's pool, keeping each client's future: the relay waits for zeta's."""

        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            future = super().submit(fn, *args, **kwargs)
            clients[args[0]] = future
            return future

    monkeypatch.setattr(parallel, "ThreadPoolExecutor", Recording)
    sink.released = lambda: "zeta" in clients and clients["zeta"].done()
    result = CliRunner().invoke(main, ["--firm", str(firm), "--today", FRIDAY.isoformat(), "run"])
    assert result.exit_code == 0, result.output
    assert not sink.gave_up and sink.accepted > 0 and zeta_delivered(firm)
    # each client's output in one block, printed as the client finished: zeta first
    zeta, acme = result.output.index("== zeta =="), result.output.index("== acme ==")
    assert zeta < acme
    assert "relance(s) en file" in result.output[zeta:acme]
    assert "relance(s) en file" in result.output[acme:]


def test_firm_workers_one_keeps_clients_one_after_the_other(tmp_path: Path) -> None:
    firm = write_firm(tmp_path, clients={"beta": "seed = 3\n", "alpha": "seed = 4\n"})
    (firm / "firm.toml").write_text("workers = 1\n" + (firm / "firm.toml").read_text())
    assert Firm(firm).workers == 1
    result = CliRunner().invoke(main, ["--firm", str(firm), "--today", "2026-11-23", "plan"])
    assert result.exit_code == 0, result.output
    assert result.output.index("== alpha ==") < result.output.index("== beta ==")


def test_firm_workers_must_be_a_small_whole_number(tmp_path: Path) -> None:
    firm = write_firm(tmp_path, clients={"alpha": "seed = 4\n"})
    (firm / "firm.toml").write_text("workers = 0\n" + (firm / "firm.toml").read_text())
    result = CliRunner().invoke(main, ["--firm", str(firm), "run"])
    assert result.exit_code == 2
    assert "workers" in result.output and "firm.toml" in result.output


def test_two_schedulers_never_run_the_same_days_reminders_twice(tmp_path: Path) -> None:
    """The race behind a flaky two-server test: server B saw the reminders due, server A ran
    them to completion and released the lease, then B took the lease and ran them again."""
    firm = write_firm(tmp_path, clients={"alpha": "seed = 5\ncustomers = 5\ninvoices = 30\n"})
    clock = SimClock(dt.datetime(2026, 11, 27, 8, 40, tzinfo=PARIS))
    first = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep, workers=1)

    def runner(config, today, **kwargs):
        first.tick()  # A runs the day between B's look at the journal and B's lease
        return run_tenant(config, today, **kwargs)

    second = Scheduler(firm_entries(firm), clock=clock, sleep=clock.sleep, runner=runner,
                       workers=1)
    second.tick()
    store = Store(Firm(firm).config("alpha").state_url)
    reminders = [r for r in runs.history(store, "alpha") if r["job"] == "reminders"]
    assert [r["status"] for r in reminders] == ["ok"]
    assert [r.status for r in second.results] == ["done"]
    store.close()
    first.close()
    second.close()


def test_sqlite_write_transactions_wait_for_each_other_instead_of_failing(
        tmp_path: Path) -> None:
    """Clients side by side share one SQLite file: a write transaction that read first must wait
    for the other writer, not fail "database is locked"."""
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    now = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            runs.start(store, "beta", "sync", FRIDAY, "other", now)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with store.transaction() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM tenant_runs").scalar()
        writer = threading.Thread(target=other_writer)
        writer.start()
        writer.join(timeout=1.0)  # deferred: it commits now; immediate: it waits for us
        conn.execute(runs.RUNS.insert().values(
            run_id="x" * 32, tenant="alpha", job="sync", day=FRIDAY, holder="me",
            started_at=now, status="running", summary="{}"))
    writer.join()
    assert errors == []
    assert {r["tenant"] for t in ("alpha", "beta") for r in runs.history(store, t)} == \
        {"alpha", "beta"}
    store.close()
