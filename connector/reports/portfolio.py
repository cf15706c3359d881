"""A firm's portfolio: one line per client with what a partner looks at first (outstanding,
overdue, DSO, messages waiting for approval, whether its syncs fail). Each client's figures come
from its own build_report, so they agree with that client's dashboard. Shown by the web cockpit's
portfolio page and by `relance --firm DIR report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from connector.reports.build import build_report
from connector.store import outbox, runs
from connector.store.store import Store

JOBS = ("reminders", "sync")


@dataclass(frozen=True)
class ClientLine:
    client: str
    outstanding: Decimal | None
    overdue: Decimal | None
    dso: Decimal | None
    pending_approval: int
    problems: list[str] = field(default_factory=list)
    """Failing syncs and runs, messages failed or uncertain, a client file that does not load."""

    @property
    def failing(self) -> bool:
        return bool(self.problems)


def client_line(store: Store, tenant: str, source: str, today: dt.date,
                currency: str = "EUR") -> ClientLine:
    report = build_report(store, [(tenant, source)], today, currency=currency)
    counts = outbox.counts(store, tenant)
    problems = []
    last_sync = store.last_sync(tenant)
    if last_sync and last_sync["status"] == "failed":
        problems.append(f"sync failed: {last_sync['error'] or '?'}")
    for job in JOBS:
        row = runs.last(store, tenant, job)
        if row and row["status"] == "failed":
            problems.append(f"{job} run failed: {row['error'] or '?'}")
    for state in ("failed", "uncertain"):
        if counts.get(state):
            problems.append(f"{counts[state]} message(s) {state}")
    summary = report.summary
    return ClientLine(tenant, Decimal(summary["receivables_net"] or 0),
                      Decimal(summary["overdue"] or 0),
                      Decimal(str(summary["dso"])) if summary["dso"] is not None else None,
                      counts.get("pending_approval", 0), problems)


def broken(client: str, problem: str) -> ClientLine:
    """A client whose file does not load: shown, with why, rather than left out."""
    return ClientLine(client, None, None, None, 0, [problem])
