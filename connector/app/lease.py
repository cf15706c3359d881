"""The tenant's lease lock held for a block of work, renewed in the background while it runs.

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

from connector.clock import MACHINE, Now
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
