"""What monitoring scrapes for every tenant of one store, in a handful of set-based queries.

A firm of 2,000 clients must not cost 2,000 round trips per scrape: each figure is one grouped
query over the whole store (outbox by status, oldest message due, oldest pending approval, last
successful sync, recent failed runs, runs in progress), and the queue's jobs when the worker's
tables exist. `relance status --all --json` and the web app's `/metrics` both read this.
Times come from the caller (`now`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, inspect, select, text

from connector.store import tables as t
from connector.store.runs import aware
from connector.store.store import Store

RECENT = dt.timedelta(hours=24)
"""Failed runs are counted over this window (a run failing every hour shows as 24)."""
JOB_TABLE = "procrastinate_jobs"


@dataclass
class TenantHealth:
    """One tenant's figures; ages in seconds, None when there is nothing to age."""

    tenant: str
    outbox: dict[str, int] = field(default_factory=dict)
    due: int = 0
    """Planned messages whose time has come (the backlog a worker should be eating)."""
    oldest_due_s: float | None = None
    pending_approval: int = 0
    oldest_pending_approval_s: float | None = None
    last_sync_ok: dt.datetime | None = None
    sync_lag_s: float | None = None
    last_sync_failed: bool = False
    failed_runs: dict[str, int] = field(default_factory=dict)
    """Failed runs per job over the last RECENT."""
    running: dict[str, int] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)
    """Runs left `running` by a process that died (no live lease): the next run reconciles."""
    jobs: dict[str, int] = field(default_factory=dict)
    """Queue jobs of this tenant per status (todo, doing, failed, …), when a worker queue exists."""

    def as_dict(self) -> dict[str, Any]:
        return {"outbox": self.outbox, "due": self.due, "oldest_due_s": self.oldest_due_s,
                "pending_approval": self.pending_approval,
                "oldest_pending_approval_s": self.oldest_pending_approval_s,
                "last_sync_ok": self.last_sync_ok.isoformat() if self.last_sync_ok else None,
                "sync_lag_s": self.sync_lag_s, "last_sync_failed": self.last_sync_failed,
                "failed_runs_24h": self.failed_runs, "running": self.running,
                "stale_runs": self.stale,
                "jobs": self.jobs}


def _age(now: dt.datetime, then: dt.datetime | None) -> float | None:
    moment = aware(then)
    return None if moment is None else max((now - moment).total_seconds(), 0.0)


def health(store: Store, tenants: Iterable[str], now: dt.datetime) -> dict[str, TenantHealth]:
    """Every named tenant's figures (tenants with no rows yet get zeros): one query per figure."""
    wanted = {name: TenantHealth(name) for name in tenants}
    o, s, r = t.outbox, t.sync_runs, t.tenant_runs
    with store.engine.connect() as conn:
        for tenant, status, count in conn.execute(
                select(o.c.tenant, o.c.status, func.count()).group_by(o.c.tenant, o.c.status)):
            if tenant in wanted:
                wanted[tenant].outbox[status] = int(count)
        for tenant, count, oldest in conn.execute(
                select(o.c.tenant, func.count(), func.min(o.c.next_attempt_at))
                .where(o.c.status == "planned", o.c.next_attempt_at <= now)
                .group_by(o.c.tenant)):
            if tenant in wanted:
                wanted[tenant].due, wanted[tenant].oldest_due_s = int(count), _age(now, oldest)
        for tenant, count, oldest in conn.execute(
                select(o.c.tenant, func.count(), func.min(o.c.created_at))
                .where(o.c.status == "pending_approval").group_by(o.c.tenant)):
            if tenant in wanted:
                wanted[tenant].pending_approval = int(count)
                wanted[tenant].oldest_pending_approval_s = _age(now, oldest)
        for tenant, finished in conn.execute(
                select(s.c.tenant, func.max(s.c.finished_at)).where(s.c.status == "ok")
                .group_by(s.c.tenant)):
            if tenant in wanted:
                wanted[tenant].last_sync_ok = aware(finished)
                wanted[tenant].sync_lag_s = _age(now, finished)
        latest = select(s.c.tenant, func.max(s.c.id).label("id")).group_by(s.c.tenant).subquery()
        for tenant, status in conn.execute(
                select(s.c.tenant, s.c.status).join(latest, s.c.id == latest.c.id)):
            if tenant in wanted:
                wanted[tenant].last_sync_failed = status == "failed"
        for tenant, job, count in conn.execute(
                select(r.c.tenant, r.c.job, func.count())
                .where(r.c.status == "failed", r.c.started_at >= now - RECENT)
                .group_by(r.c.tenant, r.c.job)):
            if tenant in wanted:
                wanted[tenant].failed_runs[job] = int(count)
        # A run still `running` counts as running while its tenant's lease is alive; a worker
        # killed mid-run leaves it `running` with no live lease: stale until the next run.
        lock = t.tenant_locks
        alive = (lock.c.expires_at > now).label("alive")
        for tenant, job, live, count in conn.execute(
                select(r.c.tenant, r.c.job, alive, func.count())
                .select_from(r.outerjoin(lock, lock.c.tenant == r.c.tenant))
                .where(r.c.status == "running").group_by(r.c.tenant, r.c.job, alive)):
            if tenant in wanted:
                target = wanted[tenant].running if live else wanted[tenant].stale
                target[job] = target.get(job, 0) + int(count)
        if store.dialect == "postgresql":
            for tenant, counted in queue_jobs(conn).items():
                if tenant in wanted:
                    wanted[tenant].jobs = counted
    return wanted


_QUEUE_JOBS = text(f"SELECT args->>'tenant', status::text, count(*) FROM {JOB_TABLE} "
                   "WHERE task_name = 'relance.run_tenant' GROUP BY 1, 2")


def queue_jobs(conn: Connection) -> dict[str, dict[str, int]]:
    """Each tenant's run jobs in the worker's queue per status, on PostgreSQL; empty where no
    worker ever made the queue. Read by `relance jobs` and by `health`."""
    if not inspect(conn).has_table(JOB_TABLE):
        return {}
    counted: dict[str, dict[str, int]] = {}
    for tenant, status, count in conn.execute(_QUEUE_JOBS):
        if tenant is not None:
            counted.setdefault(tenant, {})[status] = int(count)
    return counted
