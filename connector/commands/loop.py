"""The core loop's commands: init, check, sync, plan, run, status, demo, secret, outbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from connector import DEFAULT_CONFIG_NAME
from connector.app.scheduler import hold
from connector.clock import DEFAULT_TIMEZONE, Clock
from connector.commands import views
from connector.commands.context import (
    EXAMPLE,
    EXIT_FAILED,
    EXIT_USAGE,
    Obj,
    for_each_client,
    handle_errors,
)
from connector.errors import TransientError
from connector.rules.calendar import BusinessCalendar
from connector.secrets import SecretStore
from connector.store import outbox


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--force", is_flag=True, help="Overwrite an existing file.")
    @click.pass_obj
    def init(obj: Obj, force: bool) -> None:
        """Write a commented configuration file to start from."""
        path = Path(obj.config_path)
        if path.exists() and not force:
            click.echo(f"error: {path} exists; use --force to overwrite it", err=True)
            sys.exit(EXIT_USAGE)
        today = obj.today or Clock(DEFAULT_TIMEZONE).today()
        text = EXAMPLE.read_text(encoding="utf-8").replace('anchor = "2026-11-27"',
                                                           f'anchor = "{today.isoformat()}"')
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"error: cannot write {path}: {exc.strerror}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"wrote {path}; edit [source] and [sender], then run `relance check`")


    @main.command()
    @click.pass_obj
    @handle_errors
    def check(obj: Obj) -> None:
        """Check the configuration, the source's reachability and credentials."""
        tenant = obj.tenant()
        click.echo(f"config {obj.config_path}: ok (tenant {tenant.name}, source {tenant.source})")
        from connector.app import lint  # loaded by `check` only: other commands start faster
        for finding in lint.check_sender(tenant.config):
            click.echo(str(finding), err=True)
            sys.exit(EXIT_USAGE)
        checked = tenant.check_source()
        info = checked.info
        click.echo(f"source: {info.kind} {info.url or ''} version {info.version or '?'}"
                   f"{' as ' + info.user if info.user else ''}")
        for warning in info.warnings:
            click.echo(f"warning: {warning}")
        for right in checked.unused:
            click.echo(f"warning: missing right, not needed by the configured channels: {right}")
        if checked.missing:
            for needed_by, right in checked.missing:
                click.echo(f"missing right (needed by {needed_by}): {right}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo("all good")


    @main.command("sync")
    @click.pass_obj
    @for_each_client
    @handle_errors
    def sync_command(obj: Obj) -> None:
        """Pull customers, invoices and payments from the source into the local state."""
        tenant = obj.tenant()
        result = tenant.sync()
        click.echo("synced: " + ", ".join(f"{k} {v}" for k, v in result.counts.items())
                   + f"; skipped {result.rejected} malformed record(s)")


    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    @for_each_client
    @handle_errors
    def plan(obj: Obj, as_json: bool) -> None:
        """Show what would be sent today, from the local state. Sends nothing."""
        tenant = obj.tenant()
        intents = tenant.plan()
        click.echo(views.plan_json(intents) if as_json else views.plan_table(intents,
                                                                             obj.config.language))
        if not as_json and (closed := BusinessCalendar(obj.config.policy.calendar).why_not(
                tenant.today)):
            click.echo(f"Reminders go out on business days only: {closed}.")
        if not as_json and (held := tenant.paused()):
            click.echo(views.paused_text(held))


    @main.command()
    @click.option("--dry-run", is_flag=True, help="Sync and plan, but send nothing.")
    @click.option("--no-sync", is_flag=True, help="Use the local state as it is.")
    @click.pass_obj
    @for_each_client
    @handle_errors
    def run(obj: Obj, dry_run: bool, no_sync: bool) -> None:
        """Sync, plan, re-check each invoice at the source, and deliver."""
        tenant = obj.tenant()
        with hold(tenant.store, tenant.name) as lease:  # never beside `serve` on the same tenant
            if lease is None:
                raise TransientError(f"another relance process is running {tenant.name} right now; "
                                     "try again in a few minutes")
            result = tenant.run(dry_run=dry_run, do_sync=not no_sync, stop=lambda: lease.lost)
        click.echo(views.plan_table(result.planned, obj.config.language))
        if not dry_run:
            click.echo(f"queued {result.enqueued} new reminder(s)")
        click.echo(views.delivery_summary(result.delivery))
        if result.delivery is not None and result.delivery.failed:
            sys.exit(EXIT_FAILED)


    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.option("--all", "every", is_flag=True,
                  help="Every client of the firm in one report, with scheduler runs (monitoring).")
    @click.pass_obj
    @handle_errors
    def status(obj: Obj, as_json: bool, every: bool) -> None:
        """Last sync, cursors, outbox counts, open tasks."""
        if every or (obj.firm is not None and obj.client is None):
            from connector.commands.firm import status_all
            sys.exit(status_all(obj, as_json))
        info = obj.tenant().status()
        click.echo(json.dumps(info, indent=2, default=str) if as_json else views.status_text(info))


    @main.command()
    @click.option("--dir", "directory", type=click.Path(file_okay=False), default="relance-demo",
                  show_default=True, help="Working directory for the demo's state and outbox.")
    @click.option("--seed", type=int, default=42, show_default=True)
    @click.pass_obj
    @handle_errors
    def demo(obj: Obj, directory: str, seed: int) -> None:
        """The whole loop on the built-in demo ledger: sync, plan, write .eml files."""
        workdir = Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / DEFAULT_CONFIG_NAME
        today = obj.today or Clock(DEFAULT_TIMEZONE).today()
        if not config_path.exists():
            text = EXAMPLE.read_text(encoding="utf-8")
            text = text.replace('tenant = "ma-societe"', 'tenant = "demo"')
            text = text.replace('anchor = "2026-11-27"', f'anchor = "{today.isoformat()}"')
            text = text.replace("seed = 42", f"seed = {seed}")
            config_path.write_text(text, encoding="utf-8")
        obj.config_path = str(config_path)
        if obj.today is None:
            # Reminders leave on business days only: on a weekend or holiday the demo shows the last
            # business day instead of an empty plan.
            shown = BusinessCalendar(obj.config.policy.calendar).last_business_day(today)
            if shown != today:
                click.echo(f"{today.isoformat()} is not a business day; showing {shown.isoformat()}.")
            obj.today = shown
        tenant = obj.tenant()
        result = tenant.run()
        click.echo(views.plan_table(result.planned, obj.config.language))
        click.echo(views.delivery_summary(result.delivery))
        emails = sorted(obj.config.outbox_dir.glob("*.eml")) if obj.config.outbox_dir.exists() else []
        click.echo(f"{len(emails)} email(s) in {obj.config.outbox_dir}; "
                   f"state in {obj.config.state_url.removeprefix('sqlite:///')}")
        click.echo(f"next: relance --config {config_path} status")


    @main.group()
    def secret() -> None:
        """Store secrets in the system keyring (service "relance")."""


    @secret.command("set")
    @click.argument("name")
    @click.option("--value", help="The secret (prompted for, hidden, when omitted).")
    @click.pass_obj
    @handle_errors
    def secret_set(obj: Obj, name: str, value: str | None) -> None:
        """Store secret NAME (e.g. `source`, `smtp`) for this config's tenant."""
        if value is None:
            value = click.prompt(f"{name}", hide_input=True)
        SecretStore(obj.config.tenant).set(name, value)
        click.echo(f"stored {name} for tenant {obj.config.tenant} in the system keyring")


    @main.group("outbox")
    def outbox_group() -> None:
        """Look at and settle reminders that need a person."""


    @outbox_group.command("review")
    @click.option("--status", "state", default="uncertain", show_default=True,
                  type=click.Choice(outbox.STATES))
    @click.pass_obj
    @handle_errors
    def outbox_review(obj: Obj, state: str) -> None:
        """List reminders in a state (by default those whose delivery is uncertain)."""
        tenant = obj.tenant()
        rows = outbox.rows(tenant.store, tenant.name, state)
        if not rows:
            click.echo(f"no reminder is {state}")
        for row in rows:
            payload = outbox.payload(row)
            click.echo(f"{row['key']}  {row['channel']:<6} {row['level']:<8} "
                       f"{payload.customer_name}  {row['reason'] or ''}")


    @outbox_group.command("resolve")
    @click.argument("key")
    @click.option("--sent/--not-sent", required=True,
                  help="Whether the message reached the customer (check the mailbox's sent items).")
    @click.pass_obj
    @handle_errors
    def outbox_resolve(obj: Obj, key: str, sent: bool) -> None:
        """Settle an uncertain reminder: it was delivered, or it should be sent again."""
        tenant = obj.tenant()
        if not outbox.resolve_uncertain(tenant.store, tenant.name, key, sent, now=tenant.clock.now()):
            click.echo(f"error: no uncertain reminder with key {key}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo("recorded as sent" if sent else "planned again; the next run sends it")
