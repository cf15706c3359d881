"""What benchmarks/firm_scale.py measures, read from the workers' run records, the queue's and the
outbox's tables (straight SQL: these are the figures, not the product's own view of them)."""

from __future__ import annotations

import math
import resource
import time
from collections import Counter, defaultdict
from typing import Any


def overlaps(lines: list[list[Any]], killed: list[tuple[int, float]]) -> int:
    """Pairs of runs of one tenant whose [start, end] intersect; a run cut by a SIGKILL ends at
    the kill."""
    open_runs: dict[tuple[str, int], float] = {}
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    death = dict(killed)
    for kind, tenant, _job, pid, moment in sorted(lines, key=lambda line: line[4]):
        if kind == "start":
            open_runs[(tenant, pid)] = moment
        else:
            spans[tenant].append((open_runs.pop((tenant, pid)), moment))
    for (tenant, pid), began in open_runs.items():
        spans[tenant].append((began, death.get(pid, math.inf)))
    count = 0
    for runs in spans.values():
        runs.sort()
        for (_s1, e1), (s2, _e2) in zip(runs, runs[1:], strict=False):
            count += s2 < e1
    return count


def queue_counts(conninfo: str) -> Counter[str]:
    """Jobs by status, and under "connections" the database's open connections (this one
    aside)."""
    import psycopg
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs "
                            "WHERE task_name = 'relance.run_tenant' GROUP BY 1").fetchall()
        connections = conn.execute("SELECT count(*) - 1 FROM pg_stat_activity "
                                   "WHERE datname = current_database()").fetchone()
    found = Counter({status: int(count) for status, count in rows})
    found["connections"] = int(connections[0]) if connections else 0
    return found


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, once waited for
    return usage.ru_utime + usage.ru_stime


def scrape(state: str, tenants: list[str]) -> float:
    from connector.clock import MACHINE
    from connector.store import monitor
    from connector.store.store import Store
    store = Store(state)
    try:
        began = time.perf_counter()
        monitor.health(store, tenants, MACHINE())
        return round(time.perf_counter() - began, 3)
    finally:
        store.close()


def email_states(conninfo: str) -> dict[str, set[str]]:
    import psycopg
    found: dict[str, set[str]] = defaultdict(set)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for key, status in conn.execute("SELECT key, status FROM outbox WHERE channel = 'email' "
                                        "AND status IN ('sent', 'uncertain')"):
            found[status].add(key)
    return found


def live_workers(conninfo: str) -> int:
    import psycopg
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return int(conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0])


def retried_jobs(conninfo: str) -> int:
    import psycopg
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return int(conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE attempts > 1 "
                                "AND task_name = 'relance.run_tenant'").fetchone()[0])


def run_times(lines: list[list[Any]]) -> list[float]:
    began: dict[tuple[str, int], float] = {}
    durations = []
    for kind, tenant, _job, pid, moment in sorted(lines, key=lambda line: line[4]):
        if kind == "start":
            began[(tenant, pid)] = moment
        else:
            durations.append(moment - began.pop((tenant, pid)))
    return durations


def queue_waits(deferred: list[tuple[int, str, str, float]], lines: list[list[Any]],
               spans: list[tuple[float, float]]) -> list[float]:
    """Defer → first start of that tenant's run within the same tick."""
    starts: dict[tuple[int, str], float] = {}
    for kind, tenant, _job, _pid, moment in lines:
        if kind != "start":
            continue
        tick = next((i for i, (s, e) in enumerate(spans) if s <= moment <= e), None)
        if tick is not None and (tick, tenant) not in starts:
            starts[(tick, tenant)] = moment
        elif tick is not None:
            starts[(tick, tenant)] = min(starts[(tick, tenant)], moment)
    return [starts[(tick, tenant)] - moment for tick, tenant, _job, moment in deferred
            if (tick, tenant) in starts]
