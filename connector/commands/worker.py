"""`relance worker` (tenant runs as jobs on the PostgreSQL queue) and `relance jobs` (what the
queue holds per client). Procrastinate is imported by `worker` only: `jobs` reads its tables
with plain SQL, so it starts as fast as any other command.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from connector import logs
from connector.commands.context import Obj, handle_errors
from connector.errors import ConfigError

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    main.add_command(worker)
    main.add_command(jobs)


def _target(obj: Obj) -> Path:
    return Path(obj.firm if obj.firm is not None else obj.config_path)


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Clients run at the same time (default: firm.toml `workers`, else 4).")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("--no-beat", is_flag=True,
              help="Do not schedule the clients' jobs (another worker's beat does).")
@click.option("--poll", type=click.FloatRange(0.05, 600), default=5.0, show_default=True,
              help="Seconds between looks at the queue besides its notifications (a job "
                   "waiting for its client's lock is seen at the next look).")
@click.option("--log-json", is_flag=True,
              help="One JSON object per log line (tenant, run_id, job_id).")
@click.pass_obj
@handle_errors
def worker(obj: Obj, concurrency: int | None, burst: bool, no_beat: bool, poll: float,
           log_json: bool) -> None:
    """Run the clients' jobs from the PostgreSQL queue until stopped (SIGTERM finishes the
    delivery in hand)."""
    from connector.app import worker as queue
    from connector.app.firm import Firm
    from connector.app.lease import ServeRefused, serve_running
    from connector.store.store import Store

    root = logging.getLogger()
    logs.configure(as_json=log_json, level=min(root.level, logging.INFO))
    target = queue.Target(_target(obj), obj.today)
    url = target.state_url()
    queue.ensure_schema(url)
    store = Store(url)
    try:
        if serve_running(store):
            raise ServeRefused("relance serve is running on this database and schedules its "
                               "clients; stop it before starting workers", key="state")
    finally:
        store.close()
    if concurrency is None:
        concurrency = Firm(target.path).workers if target.is_firm else 4
    app = queue.build_app(url, None if no_beat else target, pool_size=concurrency + 4)
    log.info("worker on %s: %d client(s) at a time%s", target.path, concurrency,
             "" if no_beat else ", scheduling them")
    queue.run_worker(app, concurrency=concurrency, wait=not burst, polling=poll)


LABELS = {
    "fr": {"client": "client", "todo": "en attente", "doing": "en cours", "failed": "en échec",
           "succeeded": "terminées", "last_error": "dernière erreur", "none": "aucune tâche dans "
           "la file (aucun `relance worker` n'a tourné sur cette base ?)"},
    "en": {"client": "client", "todo": "queued", "doing": "running", "failed": "failed",
           "succeeded": "done", "last_error": "last error", "none": "no job in the queue (has "
           "`relance worker` run on this database?)"},
}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.pass_obj
@handle_errors
def jobs(obj: Obj, as_json: bool, lang: str) -> None:
    """The job queue per client: queued, running, failed, and the last error."""
    from connector.app.jobs import summary

    target = _target(obj)
    rows = summary(_state_url(obj, target), _tenants(obj))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    words = LABELS[lang]
    if not rows:
        click.echo(words["none"])
        return
    columns = ("client", "todo", "doing", "failed", "succeeded")
    width = max(len(words["client"]), *(len(r["tenant"]) for r in rows))
    click.echo("  ".join([words["client"].ljust(width),
                          *(words[c].rjust(10) for c in columns[1:])]))
    for row in rows:
        click.echo("  ".join([row["tenant"].ljust(width),
                              *(str(row[c]).rjust(10) for c in columns[1:])]))
        if row["last_error"]:
            error = row["last_error"]
            click.echo(f"{'':{width}}  {words['last_error']} ({error['at']}): "
                       f"{error['message']}")


def _state_url(obj: Obj, target: Path) -> str:
    if obj.firm is None:
        return obj.config.state_url
    from connector.app.firm import Client, Firm

    urls = {loaded.config.state_url for _slug, loaded in Firm(target).clients()
            if isinstance(loaded, Client)}
    if not urls:
        raise ConfigError("no client could be loaded", key="--firm")
    if len(urls) > 1:
        raise ConfigError("the firm's clients use several state databases; name one with "
                          "--client", key="state")
    return urls.pop()


def _tenants(obj: Obj) -> list[str] | None:
    """Only the named client (--client), or one relance.toml's tenant; None: every client."""
    if obj.firm is None:
        return [obj.config.tenant]
    return [obj.client] if obj.client else None

