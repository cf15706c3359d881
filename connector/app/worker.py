"""Tenant runs as Procrastinate jobs on the firm's PostgreSQL (`relance worker`).

A firm that outgrows one `serve` process runs workers instead, on as many machines as it likes,
all on the PostgreSQL store it already has: the queue lives there too (no broker).

- `relance.run_tenant` runs one job (sync or reminders) of one tenant: `run_tenant` under the
  Procrastinate lock `tenant_lock(tenant)`, so two workers never run one tenant at once, and the
  queueing lock `queueing_lock(tenant, job)`, so a job already waiting is never queued twice.
- `relance.beat`, a periodic task every minute (deferred once per minute whatever the number of
  workers: Procrastinate's periodic deferrer keys it on the minute), asks the schedule
  (`Scheduler.due`: business days, holidays, send window, hourly sync) what is due per tenant and
  defers it; a beat restart or two beats defer nothing twice (the queueing lock).
- `relance.recover`, every minute and at each worker's start, puts the jobs of workers that
  stopped beating (SIGKILL, a lost machine) back in the queue; the retried run takes over the
  dead attempt's tenant lease and reconciles its outbox rows as any run after a crash does.
- `relance.cleanup`, hourly, deletes finished jobs after a day (failed ones after a week).

Procrastinate is imported by this module only, which only `relance worker` and `relance jobs`
import.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
import signal
import threading
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.engine import make_url

from connector.app.firm import FIRM_FILE, Client, Firm
from connector.app.schedule import Schedule
from connector.app.scheduler import Entry, Scheduler, load_any_config, run_tenant
from connector.clock import MACHINE, Now
from connector.config import load_config
from connector.errors import ConfigError, ConnectorError
from connector.logs import bound
from connector.store import runs
from connector.store.store import MIGRATION_LOCK, Store

log = logging.getLogger(__name__)
QUEUE = "relance"
TASK_RUN = "relance.run_tenant"
TASK_BEAT = "relance.beat"
TASK_RECOVER = "relance.recover"
TASK_CLEANUP = "relance.cleanup"
KEEP_DONE_HOURS, KEEP_FAILED_HOURS = 24, 24 * 7  # finished jobs kept for `relance jobs`
EVERY_MINUTE = "* * * * *"
STALLED_AFTER = 30.0  # seconds without a worker heartbeat before its jobs are retried
HEARTBEAT = 10.0  # seconds between a worker's heartbeats
PROCRASTINATE = _version("procrastinate")
SCHEMA_MARK = "relance: procrastinate "


class TenantRunFailed(ConnectorError):
    """A tenant's run ended `failed`: the job is marked failed (the schedule retries, not the
    queue; the error itself is in the run journal)."""


def tenant_lock(tenant: str) -> str:
    """Jobs holding the same lock run one after the other: one tenant, one run at a time."""
    return f"relance:tenant:{tenant}"


def queueing_lock(tenant: str, job: str) -> str:
    """At most one waiting job per tenant and job kind: a second defer is refused."""
    return f"relance:{tenant}:{job}"


def _require_postgresql(state_url: str) -> None:
    if make_url(state_url).get_backend_name() != "postgresql":
        raise ConfigError("relance worker needs a PostgreSQL state database (state = "
                          "\"postgresql+psycopg://…\"); on SQLite use relance serve",
                          key="state")


def conninfo(state_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (password from the
    environment, as the store does: never in a config file)."""
    _require_postgresql(state_url)
    store_url = Store(state_url, migrate=False)
    try:
        return store_url.engine.url.set(drivername="postgresql") \
            .render_as_string(hide_password=False)
    finally:
        store_url.close()


def ensure_schema(state_url: str) -> str:
    """Create Procrastinate's tables beside ours if they are missing (`relance db upgrade`, a
    worker's start); the version that made them. Under the migrations' advisory lock, so workers
    starting together on a brand-new database create them once."""
    _require_postgresql(state_url)
    store = Store(state_url)  # our own migrations first (same lock)
    try:
        with store.engine.connect() as conn, conn.begin():
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            made = conn.exec_driver_sql("SELECT obj_description(to_regclass('procrastinate_jobs'),"
                                        " 'pg_class'), to_regclass('procrastinate_jobs')").one()
            if made[1] is None:
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute(SchemaManager.get_schema())  # no parameters: '%' stays as it is
                conn.exec_driver_sql(f"COMMENT ON TABLE procrastinate_jobs IS "
                                     f"'{SCHEMA_MARK}{PROCRASTINATE}'")
                log.info("created the job queue's tables (procrastinate %s)", PROCRASTINATE)
                return PROCRASTINATE
    finally:
        store.close()
    version = str(made[0] or "").removeprefix(SCHEMA_MARK) or "unknown"
    if version != PROCRASTINATE:
        log.warning("the job queue's tables were made by procrastinate %s, this is %s: apply its "
                    "migrations (see docs/scale-out.md)", version, PROCRASTINATE)
    return version


# -- what a worker serves ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Target:
    """A firm directory or one relance.toml: the tenants a worker's beat schedules."""

    path: Path
    today: dt.date | None = None

    @property
    def is_firm(self) -> bool:
        return (self.path / FIRM_FILE).is_file()

    def state_url(self) -> str:
        if self.is_firm:
            firm = Firm(self.path)
            urls = {loaded.config.state_url for _slug, loaded in firm.clients()
                    if isinstance(loaded, Client)}
            if len(urls) != 1:
                raise ConfigError("a firm's worker needs every client on one state database "
                                  f"(found {len(urls)})", file=str(firm.file), key="state")
            return urls.pop()
        return load_config(self.path).state_url

    def entries(self) -> list[tuple[str, Entry]]:
        """(the path a job is given, the tenant's entry) for every tenant, loadable or not."""
        if not self.is_firm:
            config = load_config(self.path)
            return [(str(self.path), Entry(config.tenant, config, Schedule()))]
        firm = Firm(self.path)
        return [(str(firm.clients_dir / f"{slug}.toml"),
                 Entry(slug, loaded.config, loaded.schedule) if isinstance(loaded, Client)
                 else Entry(slug, None, error=loaded)) for slug, loaded in firm.clients()]

    @property
    def periodic_id(self) -> str:
        return hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:16]


# -- the application ------------------------------------------------------------------------------
def build_app(state_url: str, target: Target | None = None, *, pool_size: int = 4) -> App:
    """The Procrastinate app on the store's PostgreSQL, with relance's tasks; with a `target`,
    the beat that schedules its tenants too (a worker's app; `relance jobs` needs none)."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(state_url), min_size=1,
                                         max_size=max(2, pool_size)))
    app.task(name=TASK_RUN, queue=QUEUE, pass_context=True)(_run_job)
    recover = app.task(name=TASK_RECOVER, queue=QUEUE, queueing_lock=TASK_RECOVER,
                       pass_context=True)(_recover_job)
    app.periodic(cron=EVERY_MINUTE, periodic_id="recover")(recover)
    cleanup = app.task(name=TASK_CLEANUP, queue=QUEUE, queueing_lock=TASK_CLEANUP,
                       pass_context=True)(_cleanup_job)
    app.periodic(cron="7 * * * *", periodic_id="cleanup")(cleanup)
    if target is not None:
        beat = app.task(name=TASK_BEAT, queue=QUEUE, pass_context=True,
                        queueing_lock=f"{TASK_BEAT}:{target.periodic_id}")(_beat_job)
        kwargs: dict[str, Any] = {"target": str(target.path),
                                  "today": target.today.isoformat() if target.today else None}
        app.periodic(cron=EVERY_MINUTE, periodic_id=target.periodic_id,
                     task_kwargs=kwargs)(beat)
    return app


def defer(app: App, path: str, job: str, tenant: str | None = None, *,
          today: dt.date | None = None, scheduled: bool = False) -> int | None:
    """Queue one job of one tenant; the job id, or None when the same job is already waiting
    (its queueing lock). `scheduled`: the beat's own defer, skipped at run time if another run
    did the job meanwhile (a job deferred by hand always runs)."""
    if job not in ("reminders", "sync"):
        raise ValueError(f"unknown job {job!r}")
    tenant = tenant or load_any_config(path).tenant
    try:
        return app.configure_task(
            name=TASK_RUN, lock=tenant_lock(tenant), queueing_lock=queueing_lock(tenant, job),
            queue=QUEUE).defer(path=path, job=job, tenant=tenant,
                               today=today.isoformat() if today else None, scheduled=scheduled)
    except AlreadyEnqueued:
        return None


async def defer_async(app: App, path: str, job: str, tenant: str, *,
                      today: dt.date | None = None, scheduled: bool = False) -> int | None:
    """`defer` from a coroutine (the async side of the worker, tests)."""
    try:
        return await app.configure_task(
            name=TASK_RUN, lock=tenant_lock(tenant), queueing_lock=queueing_lock(tenant, job),
            queue=QUEUE).defer_async(path=path, job=job, tenant=tenant,
                                     today=today.isoformat() if today else None,
                                     scheduled=scheduled)
    except AlreadyEnqueued:
        return None


# -- the tasks ------------------------------------------------------------------------------------
def _stopping(context: JobContext) -> bool:
    event = context.additional_context.get("stopping")
    return bool(isinstance(event, threading.Event) and event.is_set()) or \
        context.should_abort()


def _clock(context: JobContext) -> Now:
    clock = context.additional_context.get("clock")
    return clock if callable(clock) else MACHINE


def _run_job(context: JobContext, *, path: str, job: str, tenant: str,
             today: str | None = None, scheduled: bool = False) -> dict[str, Any]:
    """One tenant's job under its Procrastinate lock. The tenant's lease (which keeps `relance
    run` by hand away) is held by the job, so a retried attempt takes over its dead one's."""
    assert context.job.id is not None
    holder = f"job:{context.job.id}:{context.job.attempts}:{runs.new_holder()}"
    day = dt.date.fromisoformat(today) if today else None
    with bound(tenant=tenant, job_id=context.job.id):
        entry = _entry(path)
        config = entry.config
        assert config is not None
        clock = _clock(context)
        store = Store(config.state_url)
        checker = Scheduler(lambda: [entry], today=day, clock=clock)
        try:
            runs.take_over_job(store, config.tenant, holder, now=clock())
            result = run_tenant(
                config, day, job=job, store=store, stop=lambda: _stopping(context),
                holder=holder, clock=clock,
                still_due=(lambda: checker.due(entry, clock())[0] == job) if scheduled else None)
        finally:
            checker.close()
            store.close()
    if result.status == "failed":
        raise TenantRunFailed(f"{tenant}: {job} failed: {result.error}")
    return dataclasses.asdict(result)


def _entry(path: str) -> Entry:
    """A client file of a firm (its schedule too), or a relance.toml (the default schedule)."""
    file = Path(path)
    if file.parent.name == "clients" and (file.parent.parent / FIRM_FILE).is_file():
        client = Firm(file.parent.parent).client(file.stem)
        return Entry(client.slug, client.config, client.schedule)
    config = load_config(file)
    return Entry(config.tenant, config, Schedule())


def _beat_job(context: JobContext, timestamp: int, *, target: str,
              today: str | None = None) -> dict[str, int]:
    day = dt.date.fromisoformat(today) if today else None
    return beat(context.app, Target(Path(target), day), now=_clock(context)())


def beat(app: App, target: Target, now: dt.datetime | None = None) -> dict[str, int]:
    """Defer every tenant's due job (the schedule's decision, read from the run journal); a job
    already waiting is not deferred again. What was deferred, and what was already waiting."""
    entries = target.entries()
    scheduler = Scheduler(lambda: [entry for _path, entry in entries], today=target.today)
    now = now or MACHINE()
    deferred = waiting = 0
    try:
        scheduler.prefetch([entry for _path, entry in entries], now)
        queued = _waiting(scheduler, [entry for _path, entry in entries])
        for path, entry in entries:
            if entry.config is None:
                log.error("client %s cannot be loaded: %s", entry.name, entry.error)
                continue
            try:
                job, _upcoming = scheduler.due(entry, now)
            except Exception:  # the database or a bug: the other tenants still get scheduled
                log.exception("scheduling tenant %s failed", entry.name)
                continue
            if job is None:
                continue
            if queueing_lock(entry.name, job) in queued or defer(
                    app, path, job, entry.name, today=target.today, scheduled=True) is None:
                waiting += 1
            else:
                deferred += 1
    finally:
        scheduler.close()
    return {"deferred": deferred, "already_waiting": waiting}


_WAITING = text("SELECT queueing_lock FROM procrastinate_jobs "
                "WHERE status = 'todo' AND queueing_lock LIKE 'relance:%'")


def _waiting(scheduler: Scheduler, entries: list[Entry]) -> set[str]:
    """The queueing locks of jobs already waiting (one query instead of a refused defer each)."""
    waiting: set[str] = set()
    for config in {e.config.state_url: e.config for e in entries if e.config}.values():
        with scheduler.store(config).engine.connect() as conn:
            waiting.update(conn.execute(_WAITING).scalars())
    return waiting


async def _recover_job(context: JobContext, timestamp: int) -> int:
    return await retry_stalled(context.app)


async def _cleanup_job(context: JobContext, timestamp: int) -> None:
    """Finished jobs leave the queue's table after a day (failed ones after a week): the run
    journal keeps the history."""
    manager = context.app.job_manager
    await manager.delete_old_jobs(nb_hours=KEEP_DONE_HOURS, queue=QUEUE)
    await manager.delete_old_jobs(nb_hours=KEEP_FAILED_HOURS, queue=QUEUE, include_failed=True,
                                  include_cancelled=True, include_aborted=True)


async def retry_stalled(app: App, seconds: float = STALLED_AFTER) -> int:
    """Put the jobs of workers silent for `seconds` back in the queue; how many."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds,
                                                          queue=QUEUE))
    stalled = [job for job in stalled if job.task_name != TASK_RECOVER]
    for job in stalled:
        tenant = job.task_kwargs.get("tenant", job.task_name)
        try:
            await app.job_manager.retry_job(job)
            log.warning("job %s (%s) was left by a worker that stopped beating; retrying it",
                        job.id, tenant)
        except UniqueViolation:  # the beat queued the same job meanwhile: that one will do it
            assert job.id is not None
            await app.job_manager.finish_job_by_id_async(job.id, Status.FAILED,
                                                         delete_job=False)
            log.warning("job %s (%s) was left by a worker that stopped beating; the same job "
                        "is already waiting, so this one is closed as failed", job.id, tenant)
    return len(stalled)


# -- running a worker -----------------------------------------------------------------------------
def run_worker(app: App, *, concurrency: int = 4, stopping: threading.Event | None = None,
               wait: bool = True, name: str | None = None, stalled_after: float = STALLED_AFTER,
               heartbeat: float = HEARTBEAT, polling: float = 5.0,
               signals: bool = True, clock: Now = MACHINE) -> None:
    """Run jobs until SIGTERM/SIGINT (or `stopping` is set; `wait=False`: until the queue is
    empty). A stop lets the delivery in hand finish: running tenants see their stop flag, deliver
    the message in hand, journal the run `stopped`, and the worker waits for them. `clock`: the
    time the tenants' runs and the beat read (a simulation's; the queue's own times stay the
    database's)."""
    stopping = stopping or threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with app.open_async():
            await retry_stalled(app, stalled_after)
            work = asyncio.create_task(app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, wait=wait, name=name or "relance",
                install_signal_handlers=False, additional_context={"stopping": stopping, "clock": clock},
                update_heartbeat_interval=heartbeat, stalled_worker_timeout=stalled_after,
                fetch_job_polling_interval=polling, abort_job_polling_interval=polling))

            def stop(*_args: object) -> None:
                if not stopping.is_set():
                    log.info("stop requested; finishing the delivery in hand")
                stopping.set()  # the watcher cancels the worker: Procrastinate stops gracefully

            def watch() -> None:  # `stopping` set from another thread (tests, an embedder)
                stopping.wait()
                if not work.done():
                    try:
                        loop.call_soon_threadsafe(work.cancel)
                    except RuntimeError:  # the loop is already closed
                        pass

            watcher = threading.Thread(target=watch, daemon=True, name="worker-stop")
            watcher.start()
            if signals:
                for number in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(number, stop)
            try:
                await work
            except asyncio.CancelledError:
                if not stopping.is_set():
                    raise
            finally:
                if signals:
                    for number in (signal.SIGTERM, signal.SIGINT):
                        loop.remove_signal_handler(number)
                stopping.set()  # ends the watcher
        log.info("worker stopped")

    asyncio.run(main())
