"""Commands for firms and servers: `clients list`, `serve`, `db upgrade`, and `--firm` fan-out.

`relance --firm DIR --client SLUG COMMAND` acts on one client; without `--client`, sync/plan/run
loop over every client (one failing client never stops the others; exit 1 if any failed) and
`status` reports on all of them at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from connector import logs
from connector.app import metrics
from connector.app.firm import Client, Firm
from connector.app.lease import sole_server
from connector.app.metrics import FirmHealth
from connector.app.schedule import Schedule
from connector.app.scheduler import JOBS, Entry, Scheduler
from connector.app.tenant import _jsonable
from connector.clock import MACHINE, Clock
from connector.commands import views
from connector.commands import web as web_commands
from connector.commands.context import EXIT_FAILED, EXIT_OK, Obj, handle_errors
from connector.commands.words import label, say
from connector.config import Config
from connector.errors import ConfigError
from connector.models import from_minor
from connector.secrets import redact
from connector.store import outbox, runs
from connector.store.store import Store

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    main.add_command(clients)
    main.add_command(serve)
    main.add_command(db)


# -- --firm plumbing used by connector.cli --------------------------------------------------------
def _loaded(obj: Obj) -> Iterator[tuple[str, Client | ConfigError]]:
    """The firm's clients (or the one named), or the single --config as a firm of one."""
    if obj.firm is None:
        config = obj.config
        yield config.tenant, Client(config.tenant, config, Schedule(), file=Path(config.file))
        return
    for slug, loaded in Firm(obj.firm).clients():
        if obj.client is None or slug == obj.client:
            yield slug, loaded


# -- summaries: clients list, status --all --------------------------------------------------------
class _Stores:
    def __init__(self) -> None:
        self.open: dict[str, Store] = {}

    def __call__(self, config: Config) -> Store:
        if config.state_url not in self.open:
            self.open[config.state_url] = Store(config.state_url)
        return self.open[config.state_url]

    def close(self) -> None:
        for store in self.open.values():
            store.close()


def client_summary(slug: str, loaded: Client | ConfigError, stores: _Stores,
                   today: dt.date | None, detail: bool = False) -> dict[str, Any]:
    """What a firm wants to see of each client: money at stake, what waits, what went wrong."""
    if isinstance(loaded, ConfigError):
        return {"client": slug, "source": None, "last_sync": None, "open": {}, "overdue": {},
                "reminders_pending": 0, "errors": [redact(str(loaded))]}
    config = loaded.config
    store = stores(config)
    day = today or Clock(config.timezone).today()
    totals = store.receivables(config.tenant, day)
    counts = outbox.counts(store, config.tenant)
    last_sync = store.last_sync(config.tenant)
    last_runs = {job: runs.last(store, config.tenant, job) for job in JOBS}
    errors = []
    if last_sync and last_sync["status"] == "failed":
        errors.append(f"last sync failed: {last_sync['error']}")
    for job, row in last_runs.items():
        if row and row["status"] == "failed":
            errors.append(f"last {job} run failed: {row['error']}")
    for state in ("failed", "uncertain"):
        if counts.get(state):
            errors.append(f"{counts[state]} reminder(s) {state}")
    summary: dict[str, Any] = {
        "client": slug, "source": config.source.kind,
        "last_sync": _jsonable({k: last_sync[k] for k in ("started_at", "finished_at", "status")}
                               if last_sync else None),
        "open": {c: views.money(from_minor(o, c), c, config.language)
                 for c, (o, _) in totals.items()},
        "overdue": {c: views.money(from_minor(late, c), c, config.language)
                    for c, (_, late) in totals.items()},
        "open_minor": {c: o for c, (o, _) in totals.items()},
        "overdue_minor": {c: late for c, (_, late) in totals.items()},
        "reminders_pending": counts.get("planned", 0) + counts.get("sending", 0),
        "errors": errors}
    if detail:
        summary.update(
            outbox=counts, today=day.isoformat(),
            lock=_jsonable(runs.lock_of(store, config.tenant)),
            runs={job: _jsonable({k: v for k, v in row.items() if k != "id"}) if row else None
                  for job, row in last_runs.items()})
    return summary


def _summaries(obj: Obj, detail: bool) -> list[dict[str, Any]]:
    stores = _Stores()
    try:
        return [client_summary(slug, loaded, stores, obj.today, detail)
                for slug, loaded in _loaded(obj)]
    finally:
        stores.close()


def _table(rows: list[dict[str, Any]], language: str) -> str:
    if not rows:
        return say("firm.no_client", language)
    head = [say(f"firm.col_{c}", language)
            for c in ("client", "source", "last_sync", "open", "overdue", "pending", "errors")]
    lines = [f"{head[0]:<20} {head[1]:<10} {head[2]:<20} {head[3]:>16} {head[4]:>16} "
             f"{head[5]:>7}  {head[6]}"]
    for row in rows:
        last = row["last_sync"] or {}
        when = str(last.get("finished_at") or last.get("started_at")
                   or say("never", language))[:19]
        lines.append(f"{row['client'][:20]:<20} {(row['source'] or '-'):<10} {when:<20} "
                     f"{' + '.join(row['open'].values()) or '0':>16} "
                     f"{' + '.join(row['overdue'].values()) or '0':>16} "
                     f"{row['reminders_pending']:>7}  {'; '.join(row['errors']) or '-'}")
    return "\n".join(lines)


def firm_health(obj: Obj) -> FirmHealth:
    """The set-based monitoring figures of every client (`relance_*` on /metrics)."""
    stores = _Stores()
    try:
        return metrics.firm_health(
            ((slug, loaded.config if isinstance(loaded, Client) else None)
             for slug, loaded in _loaded(obj)), stores, MACHINE.on(obj.today).now())
    finally:
        stores.close()


def status_all(obj: Obj, as_json: bool) -> int:
    """Every client in one report; exit status 1 when any client needs attention (monitoring)."""
    rows = _summaries(obj, detail=True)
    if as_json:
        click.echo(json.dumps({"clients": rows, "health": firm_health(obj).as_dict()}, indent=2,
                              default=str, ensure_ascii=False))
    else:
        click.echo(_table(rows, obj.language))
        for row in rows:
            for job, run in (row.get("runs") or {}).items():
                if run:
                    click.echo(say("firm.last_run", obj.language, client=row["client"], job=job,
                                   status=label("run", run["status"], obj.language),
                                   started=run["started_at"], holder=run["holder"]))
    return EXIT_FAILED if any(row["errors"] for row in rows) else EXIT_OK


@click.group()
def clients() -> None:
    """The client companies of a firm directory (--firm)."""


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@handle_errors
def clients_list(obj: Obj, as_json: bool) -> None:
    """Each client: source, last sync, open and overdue amounts, reminders pending, errors."""
    if obj.firm is None:
        raise ConfigError(say("firm.name_it", obj.language), key="--firm")
    rows = _summaries(obj, detail=False)
    click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False) if as_json
               else _table(rows, obj.language))


# -- serve ----------------------------------------------------------------------------------------
def entries(obj: Obj) -> Callable[[], list[Entry]]:
    """The tenants to serve, re-read at every tick: a client added or fixed is picked up."""
    last: list[Entry] = []

    def load() -> list[Entry]:
        nonlocal last
        try:
            last = [Entry(slug, loaded.config, loaded.schedule) if isinstance(loaded, Client)
                    else Entry(slug, None, error=loaded) for slug, loaded in _loaded(obj)]
        except ConfigError as exc:
            log.error("cannot read the firm directory, serving the clients known so far: %s",
                      redact(str(exc)))
        return last
    return load


@click.command()
@click.option("--log-json", is_flag=True, help="One JSON object per log line (tenant, run_id).")
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@click.option("--web", "with_web", is_flag=True, help="Serve the web cockpit too (`relance web`).")
@web_commands.host_option
@web_commands.port_option
@web_commands.secure_option
@web_commands.proxy_option
@click.pass_obj
@handle_errors
def serve(obj: Obj, log_json: bool, once: bool, with_web: bool, host: str, port: int,
          secure: bool, proxies: tuple[str, ...]) -> None:
    """Run every client on its schedule until stopped (SIGTERM finishes the delivery in hand)."""
    root = logging.getLogger()
    logs.configure(as_json=log_json, level=min(root.level, logging.INFO))
    load = entries(obj)
    if not load():
        raise ConfigError(say("firm.nothing_to_serve", obj.language), key="--firm")
    workers = Firm(obj.firm).workers if obj.firm is not None else 1
    with contextlib.ExitStack() as held:  # PostgreSQL: one serve per database
        for url in sorted({e.config.state_url for e in load() if e.config is not None}):
            store = Store(url)
            held.callback(store.close)
            held.enter_context(sole_server(store))
        _serve(obj, load, workers, once, with_web, host, port, secure, proxies)


def _serve(obj: Obj, load: Callable[[], list[Entry]], workers: int, once: bool, with_web: bool,
           host: str, port: int, secure: bool, proxies: tuple[str, ...]) -> None:
    scheduler = Scheduler(load, today=obj.today, workers=workers)
    signal.signal(signal.SIGTERM, scheduler.request_stop)
    signal.signal(signal.SIGINT, scheduler.request_stop)
    web = None
    if with_web:  # the cockpit in a thread beside the scheduler; it stops when serve stops
        server, site = web_commands.build_server(obj, host, port, secure, proxies)
        web = (server, site, threading.Thread(target=server.run, name="web", daemon=True))
        web[2].start()
    try:
        scheduler.serve(until=scheduler.clock() if once else None)
    finally:
        if web is not None:
            web[0].should_exit = True
            web[2].join(timeout=10)
            web[1].close()
    if any(r.status == "failed" for r in scheduler.results):
        sys.exit(EXIT_FAILED)


# -- db -------------------------------------------------------------------------------------------
@click.group()
def db() -> None:
    """The state database."""


@db.command("upgrade")
@click.pass_obj
@handle_errors
def db_upgrade(obj: Obj) -> None:
    """Apply pending schema migrations (also done on every start); print the revision. On
    PostgreSQL, also create the job queue's tables (`relance worker`) if they are missing."""
    urls = sorted({loaded.config.state_url for _slug, loaded in _loaded(obj)
                   if isinstance(loaded, Client)})
    for url in urls:
        store = Store(url)
        try:
            with store.engine.connect() as conn:
                revision = MigrationContext.configure(conn).get_current_revision()
        finally:
            store.close()
        shown = make_url(url).render_as_string(hide_password=True)
        if make_url(url).get_backend_name() == "postgresql":  # the job queue's tables too
            from connector.app.worker import ensure_schema
            click.echo(say("db.revision_queue", obj.language, url=shown, revision=revision,
                           version=ensure_schema(url)))
        else:
            click.echo(say("db.revision", obj.language, url=shown, revision=revision))
