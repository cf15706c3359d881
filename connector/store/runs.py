"""Tenant runs: the lease lock that keeps them one at a time, and the journal that records them.

The lock is a row in `tenant_locks`, taken with ONE atomic statement (INSERT … ON CONFLICT DO
UPDATE … WHERE the lease has expired or is already ours), so it holds across threads, processes and
machines sharing one database, on SQLite and PostgreSQL alike. Its holder renews it while working;
a holder that dies simply lets it expire. A holder is a unique instance id (machine + PID namespace,
not a hostname that two containers may share), its process and a random part: a lock is taken over
before its lease ends only when its holder is provably gone on this very instance. Times come from
the caller (`now`), never from here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from connector.store import tables as t
from connector.store.store import Store, upsert_insert

LOCKS = t.tenant_locks
RUNS = t.tenant_runs


def _instance() -> str:
    """This machine *and* PID namespace: two containers may share a hostname and reuse pids,
    never a boot id and a PID-namespace inode together (read from /proc where it exists)."""
    import socket  # only for a lease: `plan` and `status` take none

    parts = [socket.gethostname()]
    for path in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(Path(path).read_text().strip() if "boot" in path
                         else str(os.stat(path).st_ino))
        except OSError:
            parts.append(uuid.uuid4().hex)  # unknown: nobody else can claim to be us
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


INSTANCE = _instance()


def _started(pid: int) -> str:
    """When a process started (clock ticks since boot), so that a reused pid is not mistaken
    for the holder; "0" where /proc is not there."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "0"


def holder_of(pid: int) -> str:
    """Who holds a lock: this instance, the process (pid and start) and a random part."""
    return f"{INSTANCE}:{pid}:{_started(pid)}:{uuid.uuid4().hex[:8]}"


def new_holder() -> str:
    """The holder id of this process (two schedulers in one process differ by the random part)."""
    return holder_of(os.getpid())


# -- the lease lock -------------------------------------------------------------------------------
def acquire(store: Store, tenant: str, holder: str, now: dt.datetime,
            lease: dt.timedelta) -> bool:
    """Take the tenant's lock if it is free, expired, or already ours; True when we hold it."""
    insert = upsert_insert(store.dialect, LOCKS)
    statement = insert.values(tenant=tenant, holder=holder, acquired_at=now,
                              expires_at=now + lease).on_conflict_do_update(
        index_elements=[LOCKS.c.tenant],
        set_={"holder": insert.excluded.holder, "acquired_at": insert.excluded.acquired_at,
              "expires_at": insert.excluded.expires_at},
        where=(LOCKS.c.expires_at <= now) | (LOCKS.c.holder == holder),
    ).returning(LOCKS.c.holder)
    with store.transaction() as conn:
        if conn.execute(statement).scalar() == holder:
            return True
    current = lock_of(store, tenant)
    if current is None or not _dead_here(current["holder"]):
        return False
    # Its holder was a process on this machine that has died (killed, crashed): take over now
    # rather than when its lease runs out, so that a re-run right after a crash is not refused.
    with store.transaction() as conn:
        return conn.execute(update(LOCKS).where(
            LOCKS.c.tenant == tenant, LOCKS.c.holder == current["holder"]).values(
            holder=holder, acquired_at=now, expires_at=now + lease)).rowcount == 1


def _dead_here(holder: str) -> bool:
    """True only when the holder certainly was a process of this very instance (machine and PID
    namespace) that no longer exists; anything else waits for its lease to expire."""
    parts = holder.split(":")
    if len(parts) != 4 or parts[0] != INSTANCE or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False
    started = _started(pid)
    return started != "0" and parts[2] != "0" and started != parts[2]  # the pid was reused


def renew(store: Store, tenant: str, holder: str, now: dt.datetime,
          lease: dt.timedelta) -> bool:
    """Push our lease further; False when it is no longer ours (it expired and was taken)."""
    with store.transaction() as conn:
        moved = conn.execute(update(LOCKS).where(
            LOCKS.c.tenant == tenant, LOCKS.c.holder == holder).values(expires_at=now + lease))
        return moved.rowcount == 1


def release(store: Store, tenant: str, holder: str) -> None:
    with store.transaction() as conn:
        conn.execute(delete(LOCKS).where(LOCKS.c.tenant == tenant, LOCKS.c.holder == holder))


def take_over_job(store: Store, tenant: str, holder: str, now: dt.datetime) -> bool:
    """A queue job's run (`holder` "job:<id>:<attempt>:<process holder>") takes the tenant's
    lease over from an earlier job attempt, but only one that is certainly gone: its lease
    expired, or its process died on this very instance. The queue's own verdict (a worker that
    stopped beating) is not enough: an overloaded worker misses heartbeats while its run still
    works, and taking its lease then runs the tenant twice at once (benchmarks/firm_scale.py
    showed it). Its runs still journalled `running` are closed as `stopped` (what they left goes
    out now). True when taken over; else the caller's run finds the lease held (`busy`)."""
    with store.transaction() as conn:
        row = conn.execute(select(LOCKS.c.holder, LOCKS.c.expires_at).where(
            LOCKS.c.tenant == tenant, LOCKS.c.holder.like("job:%"),
            LOCKS.c.holder != holder)).first()
        if row is None:
            return False
        previous, expires = row
        process = previous.split(":", 3)[3] if previous.count(":") >= 3 else ""
        expired = (aware(expires) or now) <= now
        if not expired and not _dead_here(process):
            return False
        conn.execute(update(LOCKS).where(LOCKS.c.tenant == tenant,
                                         LOCKS.c.holder == previous).values(
            holder=holder, acquired_at=now, expires_at=now))
        conn.execute(update(RUNS).where(RUNS.c.tenant == tenant, RUNS.c.holder == previous,
                                        RUNS.c.status == "running").values(
            status="stopped", finished_at=now, error="its worker stopped; the job was retried"))
    return True


def lock_of(store: Store, tenant: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(LOCKS).where(LOCKS.c.tenant == tenant)).mappings().first()
    return dict(row) if row else None


# -- the journal ----------------------------------------------------------------------------------
def start(store: Store, tenant: str, job: str, day: dt.date, holder: str,
          now: dt.datetime) -> str:
    run_id = uuid.uuid4().hex
    with store.transaction() as conn:
        conn.execute(RUNS.insert().values(
            run_id=run_id, tenant=tenant, job=job, day=day, holder=holder, started_at=now,
            status="running", summary="{}"))
    return run_id


def finish(store: Store, tenant: str, run_id: str, status: str, now: dt.datetime,
           summary: Mapping[str, Any] | None = None, error: str | None = None) -> None:
    with store.transaction() as conn:
        conn.execute(update(RUNS).where(RUNS.c.tenant == tenant, RUNS.c.run_id == run_id).values(
            status=status, finished_at=now, summary=json.dumps(dict(summary or {}), default=str),
            error=error))


def last(store: Store, tenant: str, job: str, *, status: str | None = None,
         day: dt.date | None = None) -> dict[str, Any] | None:
    """The tenant's latest run of a job (optionally: with that status, for that day)."""
    query = select(RUNS).where(RUNS.c.tenant == tenant, RUNS.c.job == job)
    if status is not None:
        query = query.where(RUNS.c.status == status)
    if day is not None:
        query = query.where(RUNS.c.day == day)
    with store.engine.connect() as conn:
        row = conn.execute(query.order_by(RUNS.c.started_at.desc(), RUNS.c.id.desc())
                           .limit(1)).mappings().first()
    return dict(row) if row else None


def history(store: Store, tenant: str, limit: int = 1000) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(RUNS).where(RUNS.c.tenant == tenant)
            .order_by(RUNS.c.started_at, RUNS.c.id).limit(limit)).mappings()]


def count(store: Store, tenant: str, job: str, day: dt.date, status: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(RUNS).where(
            RUNS.c.tenant == tenant, RUNS.c.job == job, RUNS.c.day == day,
            RUNS.c.status == status)).scalar() or 0)


@dataclass(frozen=True)
class Facts:
    """What the schedule needs from one tenant's journal for one local day."""

    done: bool
    """An `ok` reminders run exists for the day."""
    latest: dict[str, Any] | None
    """The day's latest reminders run (status, started_at, finished_at)."""
    failures: int
    """Failed reminders runs of the day."""
    last_started: dt.datetime | None
    """The start of the tenant's latest run of any job (a reminders run syncs first)."""


NO_RUNS = Facts(False, None, 0, None)
_CHUNK = 500  # tenants per query (SQLite's limit of bound parameters is far above)


def facts(store: Store, tenants: Sequence[str], day: dt.date) -> dict[str, Facts]:
    """The schedule's facts for many tenants in two queries per chunk (a beat over a firm's
    two thousand clients every minute, not ten thousand queries)."""
    found: dict[str, Facts] = {}
    for start in range(0, len(tenants), _CHUNK):
        chunk = list(tenants[start:start + _CHUNK])
        with store.engine.connect() as conn:
            today = conn.execute(select(RUNS.c.tenant, RUNS.c.status, RUNS.c.started_at,
                                        RUNS.c.finished_at, RUNS.c.id).where(
                RUNS.c.job == "reminders", RUNS.c.day == day,
                RUNS.c.tenant.in_(chunk))).mappings().all()
            latest_start = dict(conn.execute(select(RUNS.c.tenant, func.max(RUNS.c.started_at))
                                             .where(RUNS.c.tenant.in_(chunk))
                                             .group_by(RUNS.c.tenant)).all())
        by_tenant: dict[str, list[dict[str, Any]]] = {}
        for row in today:
            by_tenant.setdefault(row["tenant"], []).append(dict(row))
        for tenant in chunk:
            rows = by_tenant.get(tenant, [])
            latest = max(rows, key=lambda r: (aware(r["started_at"]), r["id"])) if rows else None
            found[tenant] = Facts(
                done=any(r["status"] == "ok" for r in rows), latest=latest,
                failures=sum(r["status"] == "failed" for r in rows),
                last_started=aware(latest_start.get(tenant)))
    return found


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
