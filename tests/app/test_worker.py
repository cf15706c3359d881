"""`relance worker` on a real PostgreSQL: tenant runs as Procrastinate jobs.

In-process workers (`run_worker(wait=False)`) where the test is about what a job does, real
`relance worker` processes where it is about signals and about two workers at once. The SMTP
server is real (aiosmtpd) and slow, so that deliveries are in flight when a signal arrives.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import psycopg
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from keyring.backends.fail import Keyring as FailKeyring

from connector.adapters.demo import DemoAdapter
from connector.app import worker as queue
from connector.app.jobs import summary
from connector.cli import main
from connector.errors import TransientError
from connector.store import outbox, runs
from connector.store.store import Store
from tests.app.test_serve_process import ALWAYS, ROOT, SlowSink, smtp_firm, wait_for
from tests.delivery.test_email import free_port
from tests.helpers import NOW, write_firm
from tests.pg import PgServer

DAY = dt.date(2026, 11, 27)
BIG = "seed = 7\ncustomers = 12\ninvoices = 96\n"
SMALL = "seed = 3\ncustomers = 6\ninvoices = 48\n"


@pytest.fixture(scope="module")
def queue_template(pg_server: PgServer) -> Iterator[str]:
    """A migrated database with Procrastinate's tables: each test's database copies it. (Module
    scope runs outside the per-test memory keyring: no keyring at all while it is made.)"""
    url = pg_server.create_database(pg_server.template)
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        queue.ensure_schema(url)
    finally:
        keyring.set_keyring(previous)
    yield url.rsplit("/", 1)[1]
    pg_server.drop_database(url)


@pytest.fixture
def state(pg_server: PgServer, queue_template: str) -> Iterator[str]:
    url = pg_server.create_database(queue_template)
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def store(state: str) -> Iterator[Store]:
    opened = Store(state)
    yield opened
    opened.close()


@pytest.fixture
def slow_smtp(request: pytest.FixtureRequest) -> Iterator[tuple[SlowSink, int]]:
    """A real SMTP server taking `param` seconds (0.25 by default) to accept each message."""
    sink, port = SlowSink(getattr(request, "param", 0.25)), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def job_rows(state: str) -> list[dict[str, object]]:
    with psycopg.connect(queue.conninfo(state)) as conn:
        cursor = conn.execute("SELECT id, status::text, attempts, args->>'tenant', args->>'job' "
                              "FROM procrastinate_jobs WHERE task_name = %s ORDER BY id",
                              (queue.TASK_RUN,))
        return [dict(zip(("id", "status", "attempts", "tenant", "job"), row, strict=True))
                for row in cursor.fetchall()]


def worker_process(firm: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "connector", "--firm", str(firm), "--today", DAY.isoformat(),
         "worker", "--no-beat", "--log-json", "--poll", "0.1", *extra], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def client_file(firm: Path, slug: str) -> str:
    return str(firm / "clients" / f"{slug}.toml")


def test_a_job_runs_a_tenant_and_jobs_reports_it(tmp_path: Path, state: str,
                                                 store: Store) -> None:
    firm = write_firm(tmp_path, state=state, schedule=ALWAYS, clients={"acme": SMALL})
    app = queue.build_app(state)
    with app.open():
        assert queue.defer(app, client_file(firm, "acme"), "reminders", "acme", today=DAY)
    queue.run_worker(queue.build_app(state), wait=False, signals=False)

    run = runs.last(store, "acme", "reminders")
    assert run is not None and run["status"] == "ok" and run["holder"].startswith("job:")
    sent = outbox.rows(store, "acme", "sent", limit=1000)
    assert sent and len(list((tmp_path / "outbox" / "acme").glob("*.eml"))) == len(sent)
    assert [row["status"] for row in job_rows(state)] == ["succeeded"]
    assert runs.lock_of(store, "acme") is None  # the lease went with the job
    [row] = summary(state)
    assert (row["tenant"], row["todo"], row["doing"], row["succeeded"]) == ("acme", 0, 0, 1)


def test_a_second_defer_with_the_same_queueing_lock_is_refused(tmp_path: Path,
                                                              state: str) -> None:
    firm = write_firm(tmp_path, state=state, schedule=ALWAYS, clients={"acme": SMALL})
    app = queue.build_app(state)
    path = client_file(firm, "acme")
    with app.open():
        first = queue.defer(app, path, "sync", "acme", today=DAY)
        assert first is not None
        assert queue.defer(app, path, "sync", "acme", today=DAY) is None  # already waiting
        assert queue.defer(app, path, "reminders", "acme", today=DAY) is not None  # other job
    assert [(r["job"], r["status"]) for r in job_rows(state)] == [("sync", "todo"),
                                                                  ("reminders", "todo")]


def test_two_beats_defer_each_due_job_once(tmp_path: Path, state: str, store: Store) -> None:
    firm = write_firm(tmp_path, state=state, schedule=ALWAYS,
                      clients={"acme": SMALL, "bravo": SMALL})
    app = queue.build_app(state)
    target = queue.Target(firm, DAY)
    with app.open():
        assert queue.beat(app, target) == {"deferred": 2, "already_waiting": 0}
        assert queue.beat(app, target) == {"deferred": 0, "already_waiting": 2}  # a 2nd beat
    queue.run_worker(queue.build_app(state), wait=False, signals=False, concurrency=2)
    for tenant in ("acme", "bravo"):
        assert [r["status"] for r in runs.history(store, tenant)] == ["ok"]
    with app.open():  # reminders done for the day, the sync just made: nothing is due
        assert queue.beat(app, target) == {"deferred": 0, "already_waiting": 0}


def test_a_failed_run_fails_its_job_and_jobs_shows_the_error(
        tmp_path: Path, state: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(self: DemoAdapter, since: object) -> None:
        raise TransientError("connection refused by the accounting system")
    monkeypatch.setattr(DemoAdapter, "customers", down)
    firm = write_firm(tmp_path, state=state, schedule=ALWAYS, clients={"acme": SMALL})
    app = queue.build_app(state)
    with app.open():
        queue.defer(app, client_file(firm, "acme"), "sync", "acme", today=DAY)
    queue.run_worker(queue.build_app(state), wait=False, signals=False)
    [row] = summary(state)
    assert (row["failed"], row["succeeded"], row["last_error"]["job"]) == (1, 0, "sync")
    assert "connection refused" in row["last_error"]["message"]


@pytest.mark.parametrize("slow_smtp", [0.05], indirect=True)
def test_two_workers_never_run_one_tenant_at_once(
        tmp_path: Path, state: str, store: Store, slow_smtp: tuple[SlowSink, int],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="procrastinate")
    sink, port = slow_smtp
    clients = {f"client{n}": f"seed = {n}\ncustomers = 5\ninvoices = 40\n" for n in range(1, 4)}
    firm = smtp_firm(tmp_path, state, port, ALWAYS, clients)
    app = queue.build_app(state)
    with app.open():  # three jobs per tenant, all waiting at once for the same tenant lock
        for tenant in clients:
            queue.defer(app, client_file(firm, tenant), "reminders", tenant, today=DAY)
            queue.defer(app, client_file(firm, tenant), "sync", tenant, today=DAY)
            app.configure_task(name=queue.TASK_RUN, lock=queue.tenant_lock(tenant),
                               queue=queue.QUEUE).defer(
                path=client_file(firm, tenant), job="sync", tenant=tenant,
                today=DAY.isoformat(), scheduled=False)
    stopping = [threading.Event(), threading.Event()]  # two workers, each its own pool
    workers = [threading.Thread(target=queue.run_worker, args=(queue.build_app(state),),
                                kwargs={"concurrency": 2, "stopping": event, "signals": False,
                                        "polling": 0.1, "name": f"w{n}"})
               for n, event in enumerate(stopping)]
    for thread in workers:
        thread.start()
    try:
        wait_for(lambda: all(r["status"] == "succeeded" for r in job_rows(state)), timeout=90)
    finally:
        for event in stopping:
            event.set()
        for thread in workers:
            thread.join(timeout=60)
    outputs = [r for t in clients for r in runs.history(store, t)]
    for tenant in clients:
        history = runs.history(store, tenant)
        assert len(history) == 3, outputs
        spans = sorted((runs.aware(r["started_at"]), runs.aware(r["finished_at"]))
                       for r in history)
        for (_s1, end), (start, _e2) in zip(spans, spans[1:], strict=False):
            assert end is not None and end <= start, f"{tenant}: two runs overlap"
    holders = {r["holder"] for t in clients for r in runs.history(store, t)}
    assert len(holders) == 9  # one per job
    starts = {r.worker["name"] for r in caplog.records  # type: ignore[attr-defined]
              if getattr(r, "action", None) == "start_job"}
    assert starts == {"w0", "w1"}  # both workers took jobs
    assert len(sink.keys) == len(set(sink.keys)) > 0


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=90)
    assert process.returncode == 0, output
    return output


def test_sigterm_lets_the_delivery_in_hand_finish(tmp_path: Path, state: str, store: Store,
                                                  slow_smtp: tuple[SlowSink, int]) -> None:
    sink, port = slow_smtp
    firm = smtp_firm(tmp_path, state, port, ALWAYS, {"acme": BIG})
    app = queue.build_app(state)
    with app.open():
        queue.defer(app, client_file(firm, "acme"), "reminders", "acme", today=DAY)
    process = worker_process(firm)
    try:
        wait_for(lambda: len(sink.keys) >= 2)
    finally:
        output = stop(process)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line["msg"] == "stop requested; finishing the delivery in hand" for line in lines)
    [job] = job_rows(state)
    ours = [line for line in lines if line.get("tenant") == "acme"]
    assert ours and all(line["job_id"] == job["id"] for line in ours)  # --log-json: which job
    assert any(len(line.get("run_id", "")) == 32 for line in ours)
    counts = outbox.counts(store, "acme")
    sent = {r["key"] for r in outbox.rows(store, "acme", "sent", limit=10_000)}
    assert counts.get("sending", 0) == 0 and counts.get("uncertain", 0) == 0
    assert sent == set(sink.keys) and len(sink.keys) == len(set(sink.keys))
    assert counts.get("planned", 0) > 0  # the rest waits for the next run
    run = runs.last(store, "acme", "reminders")
    assert run is not None and run["status"] == "stopped"
    assert [r["status"] for r in job_rows(state)] == ["succeeded"]  # ended, not to be retried
    assert runs.lock_of(store, "acme") is None


def test_sigkill_the_job_is_retried_and_no_email_goes_twice(
        tmp_path: Path, state: str, store: Store, slow_smtp: tuple[SlowSink, int]) -> None:
    sink, port = slow_smtp
    firm = smtp_firm(tmp_path, state, port, ALWAYS, {"acme": BIG})
    app = queue.build_app(state)
    with app.open():
        queue.defer(app, client_file(firm, "acme"), "reminders", "acme", today=DAY)
    process = worker_process(firm)
    try:
        wait_for(lambda: len(sink.keys) >= 2)
    finally:
        process.kill()
        process.communicate(timeout=30)
    before = len(sink.keys)
    [job] = job_rows(state)
    assert job["status"] == "doing"  # left behind by the dead worker

    async def stalled() -> int:
        async with app.open_async():
            return len(list(await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=0.5, queue=queue.QUEUE)))
    wait_for(lambda: asyncio.run(stalled()) == 1)  # its heartbeat is older than half a second
    queue.run_worker(queue.build_app(state), wait=False, signals=False, stalled_after=0.5)

    [job] = job_rows(state)
    assert job["status"] == "succeeded"
    assert len(sink.keys) == len(set(sink.keys)) > before  # the rest went, nothing twice
    history = runs.history(store, "acme")
    assert [r["status"] for r in history] == ["stopped", "ok"]
    assert history[0]["holder"].startswith(f"job:{job['id']}:0:")
    assert history[1]["holder"].startswith(f"job:{job['id']}:1:")
    counts = outbox.counts(store, "acme")
    assert counts.get("sending", 0) == 0 and counts.get("planned", 0) == 0
    sent = {r["key"] for r in outbox.rows(store, "acme", "sent", limit=10_000)}
    uncertain = {r["key"] for r in outbox.rows(store, "acme", "uncertain", limit=10_000)}
    assert set(sink.keys) <= sent | uncertain and len(uncertain) <= 1  # the one in flight


def test_a_dead_workers_job_queued_again_meanwhile_runs_once(tmp_path: Path, state: str,
                                                             store: Store) -> None:
    """The beat may queue a job again while a killed worker's attempt still looks `doing`: the
    dead attempt cannot go back to the queue beside it (one waiting job per queueing lock), so it
    is closed, and the waiting one does the work, once, taking the dead attempt's lease over."""
    firm = write_firm(tmp_path, state=state, schedule=ALWAYS, clients={"acme": SMALL})
    path = client_file(firm, "acme")
    app = queue.build_app(state)

    async def die_holding_a_job() -> int:
        async with app.open_async():
            await queue.defer_async(app, path, "reminders", "acme", today=DAY, scheduled=True)
            worker_id = await app.job_manager.register_worker()  # then never beats again
            job = await app.job_manager.fetch_job(queues=[queue.QUEUE], worker_id=worker_id)
            assert job is not None and job.id is not None
            return job.id
    dead = asyncio.run(die_holding_a_job())
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # its worker's process
    holder = f"job:{dead}:0:{runs.holder_of(int(gone.stdout))}"  # its lease, a run
    assert runs.acquire(store, "acme", holder, NOW, dt.timedelta(days=3650))
    runs.start(store, "acme", "reminders", DAY, holder, NOW)
    with app.open():
        again = queue.defer(app, path, "reminders", "acme", today=DAY, scheduled=True)
    assert again is not None  # the first one is `doing`, not waiting: the beat may queue it

    async def stalled() -> int:
        async with app.open_async():
            return len(list(await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=0.5, queue=queue.QUEUE)))
    wait_for(lambda: asyncio.run(stalled()) == 1)
    queue.run_worker(queue.build_app(state), wait=False, signals=False, stalled_after=0.5)

    assert {r["id"]: r["status"] for r in job_rows(state)} == {dead: "failed",
                                                                again: "succeeded"}
    history = [(r["holder"], r["status"]) for r in runs.history(store, "acme")]
    assert history[0] == (holder, "stopped") and len(history) == 2
    assert history[1][0].startswith(f"job:{again}:0:") and history[1][1] == "ok"
    keys = [r["key"] for r in outbox.rows(store, "acme", "sent", limit=1000)]
    assert keys and len(keys) == len(set(keys))
    assert runs.lock_of(store, "acme") is None


def test_workers_starting_together_on_a_new_database_migrate_once(
        pg_server: PgServer, caplog: pytest.LogCaptureFixture) -> None:
    url = pg_server.create_database()  # empty: neither our tables nor the queue's
    errors: list[BaseException] = []

    def start() -> None:
        try:
            queue.ensure_schema(url)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    caplog.set_level(logging.INFO, logger="connector.app.worker")
    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        created = [r for r in caplog.records if r.getMessage().startswith("created the job")]
        assert len(created) == 1
        assert summary(url) == []  # the queue's tables exist, empty
    finally:
        pg_server.drop_database(url)


def test_db_upgrade_creates_the_queue_and_jobs_reads_it(tmp_path: Path,
                                                        pg_server: PgServer) -> None:
    url = pg_server.create_database(pg_server.template)  # our schema, no queue yet
    try:
        firm = str(write_firm(tmp_path, state=url, clients={"acme": SMALL}))
        upgraded = CliRunner().invoke(main, ["--firm", firm, "db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert f"file de tâches (procrastinate {queue.PROCRASTINATE})" in upgraded.output
        empty = CliRunner().invoke(main, ["--firm", firm, "jobs"])
        assert empty.exit_code == 0 and "aucune tâche dans la file" in empty.output
        app = queue.build_app(url)
        with app.open():
            queue.defer(app, client_file(Path(firm), "acme"), "sync", "acme", today=DAY)
        listed = CliRunner().invoke(main, ["--firm", firm, "jobs"])
        assert listed.output.splitlines()[0].split() == ["client", "en", "attente", "en",
                                                         "cours", "en", "échec", "terminées"]
        assert listed.output.splitlines()[1].split() == ["acme", "1", "0", "0", "0"]
        as_json = CliRunner().invoke(main, ["--firm", firm, "jobs", "--json"])
        assert json.loads(as_json.output) == [{"tenant": "acme", "todo": 1, "doing": 0,
                                               "failed": 0, "succeeded": 0,
                                               "last_error": None}]
    finally:
        pg_server.drop_database(url)


def test_serve_is_refused_beside_running_workers(store: Store) -> None:
    from connector.app.lease import ServeRefused, sole_server, workers_running

    stopping = threading.Event()
    thread = threading.Thread(target=queue.run_worker, args=(queue.build_app(store.url),),
                              kwargs={"stopping": stopping, "signals": False})
    thread.start()
    try:
        wait_for(lambda: workers_running(store) == 1)
        with pytest.raises(ServeRefused, match="relance worker processes are running"):
            with sole_server(store):
                pass
    finally:
        stopping.set()
        thread.join(timeout=60)
    assert workers_running(store) == 0  # a worker stopping unregisters
    with sole_server(store):
        pass


def test_a_worker_on_sqlite_is_refused_with_the_way_out(tmp_path: Path) -> None:
    firm = write_firm(tmp_path, clients={"acme": SMALL})  # sqlite:///relance.db
    result = CliRunner().invoke(main, ["--firm", str(firm), "worker", "--burst"])
    assert result.exit_code == 2
    assert "needs a PostgreSQL state database" in result.output
    assert "relance serve" in result.output
    assert not (firm / "relance.db").exists()  # refused before touching anything
