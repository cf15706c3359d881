"""A firm's health for monitoring: per client, from the set-based store figures, as JSON (for
`relance status --all --json`) or in Prometheus' text format (the web app's `/metrics`).

Clients are grouped by state database, so a firm sharing one PostgreSQL costs one handful of
queries per scrape whatever its size. A client whose file does not load is reported as not loaded
(`relance_client_loaded 0`) rather than hidden.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from connector.config import Config
from connector.store import monitor
from connector.store.monitor import TenantHealth
from connector.store.outbox import STATES
from connector.store.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class FirmHealth:
    clients: dict[str, TenantHealth]
    broken: list[str]
    """Clients whose configuration does not load."""
    now: dt.datetime

    def as_dict(self) -> dict[str, object]:
        jobs: dict[str, int] = defaultdict(int)
        for health in self.clients.values():
            for status, count in health.jobs.items():
                jobs[status] += count
        return {"generated_at": self.now.isoformat(),
                "clients": {slug: h.as_dict() for slug, h in sorted(self.clients.items())},
                "not_loaded": sorted(self.broken),
                "totals": {
                    "outbox": {state: sum(h.outbox.get(state, 0) for h in self.clients.values())
                               for state in STATES},
                    "due": sum(h.due for h in self.clients.values()),
                    "failed_runs_24h": sum(sum(h.failed_runs.values())
                                           for h in self.clients.values()),
                    "jobs": dict(jobs)}}


def firm_health(clients: Iterable[tuple[str, Config | None]], store: Callable[[Config], Store],
                now: dt.datetime) -> FirmHealth:
    """`clients`: (slug, its configuration or None when it does not load); `store` opens (and
    caches) a configuration's state database."""
    by_url: dict[str, tuple[Config, list[str]]] = {}
    broken: list[str] = []
    for slug, config in clients:
        if config is None:
            broken.append(slug)
            continue
        by_url.setdefault(config.state_url, (config, []))[1].append(config.tenant)
    found: dict[str, TenantHealth] = {}
    for config, tenants in by_url.values():
        found.update(monitor.health(store(config), tenants, now))
    return FirmHealth(found, broken, now)


class _FirmCollector(Collector):
    def __init__(self, health: FirmHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[GaugeMetricFamily]:
        clients = sorted(self.health.clients.items())
        loaded = GaugeMetricFamily("relance_client_loaded",
                                   "1 when the client's configuration loads", labels=["client"])
        for slug, _h in clients:
            loaded.add_metric([slug], 1)
        for slug in sorted(self.health.broken):
            loaded.add_metric([slug], 0)
        yield loaded
        messages = GaugeMetricFamily("relance_outbox_messages", "Reminders by outbox status",
                                     labels=["client", "status"])
        for slug, h in clients:
            for state in STATES:
                messages.add_metric([slug, state], h.outbox.get(state, 0))
        yield messages
        yield from self._per_client(
            clients, ("relance_outbox_due_messages", "Planned reminders whose time has come",
                      lambda h: h.due),
            ("relance_outbox_oldest_due_seconds", "Age of the oldest reminder due and not sent",
             lambda h: h.oldest_due_s),
            ("relance_pending_approval_messages", "Reminders waiting for a person's approval",
             lambda h: h.pending_approval),
            ("relance_pending_approval_oldest_seconds",
             "Age of the oldest reminder waiting for approval",
             lambda h: h.oldest_pending_approval_s),
            ("relance_sync_lag_seconds", "Time since the last successful sync",
             lambda h: h.sync_lag_s),
            ("relance_last_sync_failed", "1 when the latest sync failed",
             lambda h: int(h.last_sync_failed)))
        by_job: tuple[tuple[str, str, Callable[[TenantHealth], dict[str, int]]], ...] = (
                ("relance_runs_failed_24h", "Failed runs over the last 24 hours",
                 lambda h: h.failed_runs),
                ("relance_runs_running", "Runs in progress (lease alive)", lambda h: h.running),
                ("relance_runs_stale", "Runs left running by a process that died",
                 lambda h: h.stale))
        for name, doc, pick in by_job:
            family = GaugeMetricFamily(name, doc, labels=["client", "job"])
            for slug, h in clients:
                for job in ("reminders", "sync"):
                    family.add_metric([slug, job], pick(h).get(job, 0))
            yield family
        jobs = GaugeMetricFamily("relance_jobs", "Queue jobs by status (relance worker)",
                                 labels=["client", "status"])
        for slug, h in clients:
            for status, count in sorted(h.jobs.items()):
                jobs.add_metric([slug, status], count)
        yield jobs

    @staticmethod
    def _per_client(clients: list[tuple[str, TenantHealth]],
                    *specs: tuple[str, str, Callable[[TenantHealth], float | int | None]]
                    ) -> Iterator[GaugeMetricFamily]:
        for name, doc, pick in specs:
            family = GaugeMetricFamily(name, doc, labels=["client"])
            for slug, h in clients:
                value = pick(h)
                if value is not None:  # never synced: no sample rather than a made-up age
                    family.add_metric([slug], value)
            yield family


def prometheus_text(health: FirmHealth) -> bytes:
    """The figures in Prometheus' text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_FirmCollector(health))
    return generate_latest(registry)
