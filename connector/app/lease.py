"""The tenant's lease lock held for a block of work, renewed in the background while it runs;
and the lock that keeps one `relance serve` per PostgreSQL database.

Whoever delivers for a tenant holds it (`relance run`, a scheduler's run, a queue worker): the
dispatcher then treats every row left `sending` as a crash survivor. The lock itself (one atomic
statement, instance-aware takeover) lives in connector/store/runs.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from connector.clock import MACHINE, Now
from connector.errors import ConfigError
from connector.store import runs
from connector.store.store import Store

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=10)


class _Heartbeat:
    """Renews the lease while the run works; notices when the lease was lost."""

    def __init__(self, store: Store, tenant: str, holder: str, clock: Now,
                 lease: dt.timedelta) -> None:
        self.store, self.tenant, self.holder, self.clock, self.lease = (store, tenant, holder,
                                                                         clock, lease)
        self.lost = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"lease-{tenant}")

    def _beat(self) -> None:
        while not self._done.wait(self.lease.total_seconds() / 3):
            try:
                if not runs.renew(self.store, self.tenant, self.holder, self.clock(), self.lease):
                    log.error("lost the lock of tenant %s; stopping its run", self.tenant)
                    self.lost = True
                    return
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("could not renew the lock of tenant %s", self.tenant, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()


@contextmanager
def hold(store: Store, tenant: str, *, holder: str | None = None, clock: Now = MACHINE,
         lease: dt.timedelta = LEASE) -> Iterator[_Heartbeat | None]:
    """The tenant's lease lock for the block, renewed while it runs (`.lost` says if it was
    taken over); None when another process holds it. Whoever delivers must hold it: the
    dispatcher then treats every row left `sending` as a crash survivor."""
    holder = holder or runs.new_holder()
    if not runs.acquire(store, tenant, holder, clock(), lease):
        yield None
        return
    try:
        with _Heartbeat(store, tenant, holder, clock, lease) as heartbeat:
            yield heartbeat
    finally:
        runs.release(store, tenant, holder)


# -- one `serve` per PostgreSQL database --------------------------------------------------------------
SERVE_LOCK = 0x72656C73657276  # "relserv": the advisory lock a `serve` holds while it runs
QUEUE_WORKERS = text("SELECT count(*) FROM procrastinate_workers "
                     "WHERE last_heartbeat > now() - interval '1 minute'")


class ServeRefused(ConfigError):
    """Another process already schedules this database's tenants."""


@contextmanager
def sole_server(store: Store) -> Iterator[None]:
    """`serve` on PostgreSQL holds a session advisory lock for as long as it runs: one `serve` per
    database. Several processes sharing a PostgreSQL store is what `relance worker` (its queue, its
    locks) is for, so a second `serve`, or a `serve` beside live workers, is refused rather than
    scheduling the same tenants by a second mechanism. SQLite: nothing to do (one machine)."""
    if store.dialect != "postgresql":
        yield
        return
    if workers_running(store):
        raise ServeRefused("relance worker processes are running on this database: they schedule "
                           "its clients; stop them before relance serve, or add workers instead",
                           key="state")
    with store.engine.connect() as conn:
        if not conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({SERVE_LOCK})").scalar():
            raise ServeRefused("another relance serve is running on this database; to share the "
                               "clients between several processes, run relance worker "
                               "(docs/scale-out.md)", key="state")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({SERVE_LOCK})")
            conn.commit()


def serve_running(store: Store) -> bool:
    """A `serve` holds this PostgreSQL database (a worker asks before starting)."""
    if store.dialect != "postgresql":
        return False
    with store.engine.connect() as conn:
        taken = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({SERVE_LOCK})").scalar())
        if taken:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({SERVE_LOCK})")
        conn.commit()
    return not taken


def workers_running(store: Store) -> int:
    """Queue workers that beat within the last minute (0 where the queue has no tables)."""
    with store.engine.connect() as conn:
        if conn.exec_driver_sql("SELECT to_regclass('procrastinate_workers')").scalar() is None:
            return 0
        return int(conn.execute(QUEUE_WORKERS).scalar() or 0)
