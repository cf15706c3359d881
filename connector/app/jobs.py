"""What the job queue holds per client (`relance jobs`), read with plain SQL from Procrastinate's
table and our run journal: no Procrastinate import, and nothing written."""

from __future__ import annotations

from typing import Any

from connector.store import runs
from connector.store.monitor import queue_jobs
from connector.store.store import Store

STATUSES = ("todo", "doing", "failed", "succeeded")


def summary(state_url: str, tenants: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per client: jobs queued (todo), running (doing), failed, succeeded (aborted and
    cancelled count as failed), and the last error of its runs."""
    store = Store(state_url)
    try:
        if store.dialect != "postgresql":
            return []
        with store.engine.connect() as conn:
            counted = queue_jobs(conn)
        rows: dict[str, dict[str, Any]] = {}
        for tenant, statuses in counted.items():
            if tenants is not None and tenant not in tenants:
                continue
            row = rows[tenant] = {"tenant": tenant, **dict.fromkeys(STATUSES, 0)}
            for status, n in statuses.items():
                row[status if status in STATUSES else "failed"] += n
        for tenant, row in rows.items():
            row["last_error"] = _last_error(store, tenant)
        return [rows[name] for name in sorted(rows)]
    finally:
        store.close()


def _last_error(store: Store, tenant: str) -> dict[str, Any] | None:
    """The latest failed run of either job, if it is newer than the latest good one."""
    latest = [row for row in (runs.last(store, tenant, job, status="failed")
                              for job in ("reminders", "sync")) if row]
    if not latest:
        return None
    failed = max(latest, key=lambda row: runs.aware(row["started_at"]))  # type: ignore[arg-type,return-value]
    return {"job": failed["job"], "at": str(runs.aware(failed["finished_at"]
                                                        or failed["started_at"])),
            "message": failed["error"] or ""}
