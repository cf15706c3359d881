"""The scheduler behind `relance serve`, and `run_tenant`, the one function a worker calls.

`run_tenant` runs one job of one tenant under the tenant's lease lock and records it in the run
journal; it never raises for the tenant's own failures, so a scheduler loop (or a queue worker) can
call it for tenant after tenant. The `Scheduler` decides what is due from the schedule and the
journal (so a restart does not run a day twice; `relance worker`'s beat asks it the same), runs it,
and sleeps until the next thing is due. Clock and sleep are injected: tests drive a
simulated month in seconds. A stop request (SIGTERM) lets the delivery in hand finish and starts
nothing new.

Tenants run side by side (`workers` threads, firm.toml's `workers`): one client waiting on its
source (a Retry-After, a slow relay, a rate budget) never holds up another client's run. Each run
takes its own database connection and its tenant's lease; whether a job is still due is asked
again once the lease is held, so a run by hand meanwhile is not repeated (nor, for a worker, a job
deferred while the same job ran).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.app.lease import LEASE, _Heartbeat, hold
from connector.app.schedule import (
    Holiday,
    Schedule,
    next_reminders,
    next_sync,
)
from connector.app.tenant import open_tenant
from connector.clock import MACHINE, Clock, Now, local_day, zone
from connector.config import Config, load_config
from connector.errors import ConfigError, ConnectorError
from connector.logs import bound
from connector.rules.calendar import BusinessCalendar
from connector.secrets import redact
from connector.store import runs
from connector.store.store import Store

log = logging.getLogger(__name__)
JOBS = ("reminders", "sync")
MAX_RETRY = 240.0  # minutes between two attempts of a failing reminders run
WORKERS = 4  # clients run at the same time by one scheduler (firm.toml `workers`)


@dataclass
class TenantRunResult:
    tenant: str
    job: str
    status: str  # ok | failed | stopped | busy | done (another process ran it meanwhile)
    run_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def load_any_config(path: str | Path) -> Config:
    """A relance.toml, or a firm's `clients/<slug>.toml` (merged over its firm.toml)."""
    path = Path(path)
    if path.parent.name == "clients" and (path.parent.parent / "firm.toml").is_file():
        from connector.app.firm import Firm
        return Firm(path.parent.parent).config(path.stem)
    return load_config(path)


def run_tenant(config: Config | str | Path, today: dt.date | None = None, *,
               job: str = "reminders", store: Store | None = None,
               stop: Callable[[], bool] = lambda: False, holder: str | None = None,
               clock: Now = MACHINE, lease: dt.timedelta = LEASE,
               still_due: Callable[[], bool] | None = None) -> TenantRunResult:
    """Run one job (`reminders` = sync + plan + deliver, or `sync`) of one tenant, exclusively.

    Plain arguments in, a plain result out: a queue worker can call it unchanged with a path to
    the tenant's configuration. Returns status `busy` without doing anything when another process
    holds the tenant's lock, and `done` when `still_due()`, asked once the lock is held, says
    another process did the job between the caller's look at the journal and the lock.
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}")
    if not isinstance(config, Config):
        config = load_any_config(config)
    own_store = store is None
    store = store or Store(config.state_url)
    try:
        with hold(store, config.tenant, holder=holder, clock=clock, lease=lease) as lease_held:
            if lease_held is None:
                log.info("tenant %s is being run by another process; skipped", config.tenant)
                return TenantRunResult(config.tenant, job, "busy")
            if still_due is not None and not still_due():
                log.info("tenant %s: %s was just done by another process; skipped",
                         config.tenant, job)
                return TenantRunResult(config.tenant, job, "done")
            return _run_locked(config, store, job, today, stop, lease_held, clock)
    finally:
        if own_store:
            store.close()


def _run_locked(config: Config, store: Store, job: str, today: dt.date | None,
                stop: Callable[[], bool], heartbeat: _Heartbeat, clock: Now) -> TenantRunResult:
    day = today or local_day(clock(), config.timezone)
    run_id = runs.start(store, config.tenant, job, day, heartbeat.holder, clock())
    result = TenantRunResult(config.tenant, job, "ok", run_id)
    # The tenant runs on the scheduler's clock (a simulation drives both), moved to `day`.
    tenant = open_tenant(config, today=day, store=store,
                         clock=Clock(config.timezone, source=clock))
    with bound(tenant=config.tenant, run_id=run_id, job=job):
        log.info("run started (%s, %s)", job, day.isoformat())
        try:
            if job == "sync":
                synced = tenant.sync()
                result.summary = {"synced": synced.counts, "rejected": synced.rejected}
            else:
                done = tenant.run(stop=lambda: stop() or heartbeat.lost)
                report = done.delivery
                result.summary = {
                    "synced": done.sync.counts if done.sync else {}, "planned": len(done.planned),
                    "enqueued": done.enqueued,
                    **({k: getattr(report, k) for k in ("sent", "skipped", "failed", "retried",
                                                        "uncertain")} if report else {})}
                if stop() or heartbeat.lost:
                    result.status = "stopped"  # what is left goes out on the next run
        except ConnectorError as exc:
            result.status, result.error = "failed", redact(str(exc))
            log.error("run failed: %s", result.error)
        except Exception as exc:  # a bug in one tenant must not stop the others
            result.status, result.error = "failed", redact(f"{type(exc).__name__}: {exc}")
            log.exception("run failed unexpectedly")
        finally:
            tenant.close()
            runs.finish(store, config.tenant, run_id, result.status, clock(), result.summary,
                        result.error)
        log.info("run %s: %s", result.status, result.summary)
    return result


def tenant_holidays(config: Config) -> Holiday:
    """The tenant's public holidays (its policy's `calendar`: france, alsace-moselle or none)."""
    calendar = BusinessCalendar(config.policy.calendar)
    return lambda day: calendar.holiday(day) is not None


@dataclass
class Entry:
    """One tenant the scheduler serves: its configuration and schedule, or why it cannot load."""

    name: str
    config: Config | None
    schedule: Schedule = field(default_factory=Schedule)
    error: ConfigError | None = None


class Scheduler:
    """Runs every tenant's due jobs: up to `workers` tenants at once, each tenant once at a time
    (in this process by `_running`, across processes by the store's lease lock)."""

    def __init__(self, entries: Callable[[], Iterable[Entry]], *, clock: Now = MACHINE,
                 sleep: Callable[[float], Any] | None = None, today: dt.date | None = None,
                 holiday: Holiday | None = None, holder: str | None = None,
                 lease: dt.timedelta = LEASE, max_sleep: float = 300.0,
                 runner: Callable[..., TenantRunResult] = run_tenant,
                 workers: int = WORKERS) -> None:
        self.entries, self.clock, self.today = entries, clock, today
        self.holiday, self.lease, self.max_sleep, self.runner = (holiday, lease,
                                                                      max_sleep, runner)
        self.holder = holder or runs.new_holder()
        self.workers = max(1, workers)
        self._stop = threading.Event()
        self._simulated = sleep is not None  # simulated time stands still while a run works
        self.sleep = sleep or self._stop.wait
        self._stores: dict[str, Store] = {}
        self._reported: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._running: dict[str, tuple[Entry, Future[TenantRunResult]]] = {}
        self._not_before: dict[str, dt.datetime] = {}
        self._facts: dict[tuple[str, str, dt.date], runs.Facts] = {}
        self.results: list[TenantRunResult] = []

    # -- stopping -------------------------------------------------------------------------------
    def request_stop(self, *_args: object) -> None:
        """Signal handler: finish the delivery in hand, start nothing new."""
        if not self._stop.is_set():
            log.info("stop requested; finishing the delivery in hand")
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- what is due ----------------------------------------------------------------------------
    def store(self, config: Config) -> Store:
        url = config.state_url
        if url not in self._stores:
            self._stores[url] = Store(url)
        return self._stores[url]

    def due(self, entry: Entry, now: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """The job due now for this tenant (reminders first), and when the next one falls due."""
        config = entry.config
        assert config is not None
        day = self.today or local_day(now, config.timezone)
        known = self._facts.get((config.state_url, config.tenant, day))
        facts = known or runs.facts(self.store(config), [config.tenant], day)[config.tenant]
        done = facts.done
        retry_after: dt.datetime | None = None
        latest = facts.latest
        if latest is not None and latest["status"] == "failed":  # back off: 15, 30, 60… ≤ 4 h
            delay = min(entry.schedule.retry_minutes * 2 ** min(facts.failures - 1, 8),
                        MAX_RETRY)
            failed_at = runs.aware(latest["finished_at"] or latest["started_at"])
            assert failed_at is not None  # a run always has a start
            retry_after = failed_at + dt.timedelta(minutes=delay)
        shift = self._shift(now, config.timezone)  # --today: that day, at the clock's hour
        reminders = next_reminders(entry.schedule, config.tenant, config.timezone, now + shift,
                                   done_today=done, retry_after=retry_after,
                                   holiday=self.holiday or tenant_holidays(config),
                                   today=self.today)
        if reminders is not None:
            reminders -= shift
        synced = next_sync(entry.schedule, config.tenant, facts.last_started)
        if reminders is not None and reminders <= now:
            return "reminders", None
        if synced is not None and synced <= now:
            return "sync", None
        upcoming = [t for t in (reminders, synced) if t is not None]
        return None, min(upcoming) if upcoming else None

    def _shift(self, now: dt.datetime, timezone: str) -> dt.timedelta:
        if self.today is None:
            return dt.timedelta(0)
        local = now.astimezone(zone(timezone))
        return local.replace(year=self.today.year, month=self.today.month,
                             day=self.today.day) - local

    def prefetch(self, entries: Iterable[Entry], now: dt.datetime) -> None:
        """Read the journal facts of many tenants at once for the `due` calls that follow (the
        worker's beat over a whole firm); a later `prefetch` replaces them. The last start of
        any run stands for the last scheduled sync (a reminders run syncs first); it is stamped
        by the scheduler's clock, which a simulation drives, unlike the sync engine's records."""
        groups: dict[tuple[str, dt.date], list[str]] = {}
        stores: dict[str, Store] = {}
        for entry in entries:
            if entry.config is not None:
                config = entry.config
                day = self.today or local_day(now, config.timezone)
                groups.setdefault((config.state_url, day), []).append(config.tenant)
                stores[config.state_url] = self.store(config)
        self._facts = {(url, tenant, day): found
                       for (url, day), tenants in groups.items()
                       for tenant, found in runs.facts(stores[url], tenants, day).items()}

    # -- the loop -------------------------------------------------------------------------------
    def tick(self) -> dt.datetime | None:
        """Run everything due now and wait for it; return when the next thing falls due (None:
        nothing ever)."""
        while True:
            wake = self._launch()
            if not self._running:
                return wake
            self._drain()

    def _launch(self) -> dt.datetime | None:
        """Start every due job of a tenant not already running; return the next wake-up."""
        self._collect()
        wake: dt.datetime | None = None
        for entry in self.entries():
            if self.stopping:
                return None
            if entry.config is None:
                if entry.name not in self._reported:
                    log.error("client %s cannot be loaded: %s", entry.name, entry.error)
                    self._reported.add(entry.name)
                continue
            self._reported.discard(entry.name)
            if entry.name in self._running:
                continue
            now = self.clock()
            upcoming = self._not_before.get(entry.name)
            try:
                if upcoming is None or upcoming <= now:
                    job, upcoming = self.due(entry, now)
                    if job is not None:
                        self._start(entry, job)
                        self._collect()  # done already when run inline (workers = 1)
                        upcoming = self._not_before.get(entry.name)
            except Exception:  # the database or a bug: log it, keep serving the other tenants
                log.exception("scheduling tenant %s failed", entry.name)
                upcoming = self.clock() + self._soon(entry.schedule)
            if upcoming is not None and (wake is None or upcoming < wake):
                wake = upcoming
        return wake

    def _start(self, entry: Entry, job: str) -> None:
        config = entry.config
        assert config is not None

        def call() -> TenantRunResult:
            return self.runner(config, self.today, job=job, store=self.store(config),
                               stop=lambda: self.stopping, holder=self.holder, clock=self.clock,
                               lease=self.lease,
                               still_due=lambda: self.due(entry, self.clock())[0] == job)
        if self.workers == 1:
            future: Future[TenantRunResult] = Future()
            try:
                future.set_result(call())
            except Exception as exc:
                future.set_exception(exc)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="tenant")
            future = self._pool.submit(call)
        self._running[entry.name] = (entry, future)

    def _collect(self) -> None:
        """Record the runs that ended; a job still due after its run (another process holds the
        tenant, or the run raised) is looked at again soon, not at once."""
        for name, (entry, future) in list(self._running.items()):
            if not future.done():
                continue
            del self._running[name]
            self._not_before.pop(name, None)
            try:
                self.results.append(future.result())
                still, _upcoming = self.due(entry, self.clock())
            except Exception:
                log.exception("scheduling tenant %s failed", name)
                still = "error"
            if still is not None:
                self._not_before[name] = self.clock() + self._soon(entry.schedule)

    def _drain(self) -> None:
        if self._running:
            wait([future for _entry, future in self._running.values()])
        self._collect()

    def _soon(self, schedule: Schedule) -> dt.timedelta:
        """A tenant another process is running: look again within a minute (or half a period)."""
        return dt.timedelta(seconds=min(60.0, schedule.sync_every_minutes * 30, self.max_sleep))

    def serve(self, until: dt.datetime | None = None) -> None:
        """Loop until stopped (or until `until`, for simulations and `--once`). While runs work,
        the loop wakes when one ends (or the next job falls due) to start what is due."""
        log.info("serving as %s (%d client(s) at a time)", self.holder, self.workers)
        while not self.stopping:
            wake = self._launch()
            now = self.clock()
            if self.stopping or (until is not None and now >= until):
                break
            target = wake if wake is not None else now + dt.timedelta(seconds=self.max_sleep)
            if until is not None:
                target = min(target, until)
            seconds = min(max((target - now).total_seconds(), 0.0), self.max_sleep)
            if self._running:
                wait([future for _entry, future in self._running.values()],
                     timeout=None if self._simulated else max(seconds, 0.001),
                     return_when=FIRST_COMPLETED)
                continue
            self.sleep(max(seconds, 0.001))
        self._drain()  # a stop lets the deliveries in hand finish
        self.close()
        log.info("stopped")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for store in self._stores.values():
            store.close()
        self._stores.clear()
