"""Rate budgets held in the store: one per (API credential, host), shared by every process.

The in-process `RateBudget` (connector/http.py) cannot see a second `relance` process, a cron
job or another worker using the same token; the API counts them all. Here the window lives in one
row of `rate_budgets`, reserved atomically (PostgreSQL: SELECT … FOR UPDATE; SQLite: BEGIN
IMMEDIATE), and times come from one clock: the database's on PostgreSQL (workers on several hosts
agree), the machine's on SQLite (one machine by definition).

The server counts arrivals, not our reservations: a request reserved early may travel slowly and
one reserved later quickly, so two reservations exactly one period apart can land inside one of
the server's windows. The window is therefore counted over `period + margin`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import OperationalError

from connector.budget import RateBudget, exhausted_for
from connector.store import tables as t
from connector.store.store import is_busy, upsert_insert

log = logging.getLogger(__name__)
SHARED_MARGIN = 0.25  # seconds of travel-time jitter between our reservation and the arrival


class StoreBudget(RateBudget):
    """At most `limit` requests in any window of `period` seconds *as the server counts them*,
    across every process sharing the store. Same interface as `RateBudget`."""

    def __init__(self, engine: Engine, key: str, limit: int, period: float, *,
                 margin: float = SHARED_MARGIN, sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.time) -> None:
        super().__init__(limit, period, sleep=sleep, wall=wall)
        self.engine, self.key, self.margin = engine, key, margin

    def acquire(self) -> None:
        while True:
            try:
                wait = self._transaction(self._reserve)
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                # The store is held by a long write: pace this request in-process rather than
                # stall the run (the server's own headers still apply).
                log.warning("rate budget %s: the store is busy; pacing in this process only",
                            self.key)
                super().acquire()
                return
            if wait <= 0:
                return
            self.waited += wait
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        seconds = exhausted_for(headers, self._wall)
        if seconds is None:
            return
        self.limit_reached += 1

        def hold(conn: Connection, now: float, sent: list[float],
                 blocked: float) -> tuple[list[float], float, float]:
            until = now + max(seconds, 0.0)
            if len(sent) >= self.limit:
                # our window is full too and knows to the millisecond when it frees, where the
                # header is rounded up to the second (as RateBudget.observe)
                until = min(until, sent[-self.limit] + self.period + self.margin)
            return sent, max(blocked, until), 0.0

        self._transaction(hold)

    def block_for(self, seconds: float) -> None:
        self._transaction(lambda conn, now, sent, blocked: (
            sent, max(blocked, now + seconds), 0.0))

    # -- one atomic read-modify-write of the budget's row ---------------------------------------
    def _reserve(self, conn: Connection, now: float, sent: list[float],
                 blocked: float) -> tuple[list[float], float, float]:
        wait = max(blocked - now, 0.0)
        if not wait and len(sent) >= self.limit:
            wait = sent[-self.limit] + self.period + self.margin - now
        if wait <= 0:
            sent.append(now)
        return sent, blocked, wait

    def _transaction(self, change: Callable[[Connection, float, list[float], float],
                                            tuple[list[float], float, float]]) -> float:
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.info["immediate"] = True
            with conn.begin():
                table = t.rate_budgets
                insert = upsert_insert(conn.dialect.name, table)
                conn.execute(insert.values(key=self.key, sent="[]", blocked_until=0.0)
                             .on_conflict_do_nothing(index_elements=["key"]))
                row = conn.execute(select(table.c.sent, table.c.blocked_until)
                                   .where(table.c.key == self.key).with_for_update()).one()
                now = _now(conn, self._wall)
                horizon = now - self.period - self.margin
                sent = [s for s in json.loads(row.sent) if s > horizon][-self.limit:]
                sent, blocked, result = change(conn, now, sent, float(row.blocked_until))
                conn.execute(update(table).where(table.c.key == self.key).values(
                    sent=json.dumps(sent), blocked_until=blocked))
                return result


def _now(conn: Connection, wall: Callable[[], float]) -> float:
    """Seconds since the epoch on the clock every sharer agrees on (network timing, not the
    tenant's business clock): the database server's, else the budget's injected wall clock."""
    if conn.dialect.name == "postgresql":
        return float(conn.exec_driver_sql(
            "SELECT extract(epoch FROM clock_timestamp())").scalar_one())
    return wall()


class StoreBudgets:
    """The `BudgetFactory` of one store: one `StoreBudget` per (credential, host) and process."""

    def __init__(self, engine: Engine, *, margin: float = SHARED_MARGIN) -> None:
        self.engine, self.margin = engine, margin
        self._made: dict[str, StoreBudget] = {}
        self._lock = threading.Lock()

    def __call__(self, token_id: str, host: str, limit: int, period: float) -> RateBudget:
        key = f"{token_id}@{host}"[:200]
        with self._lock:
            if key not in self._made:
                self._made[key] = StoreBudget(self.engine, key, limit, period, margin=self.margin)
            return self._made[key]
