"""The core loop's commands: init, check, sync, plan, run, status, demo, secret, outbox."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connector import DEFAULT_CONFIG_NAME
from connector.app.lease import hold
from connector.app.tenant import build_transport
from connector.clock import DEFAULT_TIMEZONE, Clock
from connector.commands import views
from connector.commands.context import (
    EXAMPLE,
    EXIT_FAILED,
    EXIT_USAGE,
    Obj,
    fail,
    for_each_client,
    handle_errors,
    one_pass,
)
from connector.commands.words import counts, label, say
from connector.errors import AuthError, ConfigError, ConnectorError, TransientError
from connector.rules.calendar import BusinessCalendar
from connector.secrets import SecretStore, redact, set_state_password
from connector.store import outbox

if TYPE_CHECKING:  # loaded by the commands that deliver
    from connector.delivery.dispatch import DeliveryReport

ONBOARDING_LINE = re.compile(r'^onboarding = "[a-z]+"', re.MULTILINE)


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--force", is_flag=True, help="Overwrite an existing file.")
    @click.pass_obj
    def init(obj: Obj, force: bool) -> None:
        """Write a commented configuration file to start from."""
        path = Path(obj.config_path)
        if path.exists() and not force:
            fail(obj.language, say("init.exists", obj.language, path=path))
        today = obj.today or Clock(DEFAULT_TIMEZONE).today()
        text = EXAMPLE.read_text(encoding="utf-8").replace('anchor = "2026-11-27"',
                                                           f'anchor = "{today.isoformat()}"')
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(obj.language, say("cannot_write", obj.language, path=path, why=exc.strerror))
        click.echo(say("init.wrote", obj.language, path=path))


    @main.command()
    @click.pass_obj
    @handle_errors
    def check(obj: Obj) -> None:
        """Check the configuration, the source's reachability and credentials."""
        tenant = obj.tenant()
        language = obj.language
        click.echo(say("check.config", language, path=obj.config_path, tenant=tenant.name,
                       source=tenant.source))
        from connector.app import lint  # loaded by `check` only: other commands start faster
        for finding in lint.check_sender(tenant.config):
            click.echo(views.finding_text(finding, language), err=True)
            sys.exit(EXIT_USAGE)
        problems: list[str] = []
        usage = False  # credentials or configuration (exit 2) rather than reachability (exit 1)
        try:
            checked = tenant.check_source()
        except ConnectorError as exc:
            problems.append(say("check.source_problem", language, text=exc))
            usage = isinstance(exc, ConfigError | AuthError)
        else:
            info = checked.info
            click.echo(say("check.source_as" if info.user else "check.source", language,
                           kind=info.kind, url=info.url or "", version=info.version or "?",
                           user=info.user))
            for warning in info.warnings:
                click.echo(say("warning", language, text=warning))
            for right in checked.unused:
                click.echo(say("warning", language,
                               text=say("check.unused_right", language, right=right)))
            for needed_by, right in checked.missing:
                problems.append(say("check.missing_right", language, needed_by=needed_by,
                                    right=right))
                usage = True
        try:  # the way out too: a reminder that cannot leave is worse than none planned
            for step in build_transport(obj.config, tenant.secrets).check():
                click.echo(step)
        except ConnectorError as exc:
            problems.append(say("check.email_problem", language, text=exc))
            usage = usage or isinstance(exc, ConfigError | AuthError)
        for problem in problems:
            click.echo(say("error", language, text=redact(problem)), err=True)
        if problems:
            sys.exit(EXIT_USAGE if usage else EXIT_FAILED)
        click.echo(say("check.ok", language))


    @main.command("sync")
    @click.pass_obj
    @for_each_client
    @handle_errors
    def sync_command(obj: Obj) -> None:
        """Pull customers, invoices and payments from the source into the local state."""
        tenant = obj.tenant()
        result = tenant.sync()
        language = obj.language
        click.echo(say("sync.done", language, counts=counts(result.counts, "stream", language),
                       n=result.rejected))
        if result.tasks_closed:
            click.echo(say("sync.tasks_closed", language, n=result.tasks_closed))


    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    @for_each_client
    @handle_errors
    @one_pass
    def plan(obj: Obj, as_json: bool) -> None:
        """Show what would be sent today, from the local state. Sends nothing."""
        tenant = obj.tenant()
        if tenant.store.last_sync(tenant.name) is None:
            # plan reads the local state only: before a sync it would say "nothing to send"
            click.echo(say("plan.no_sync", obj.language))
            return
        if as_json:  # streamed: memory stays flat however many reminders are due
            out = sys.stdout
            for chunk in views.plan_json_chunks(tenant.plan_stream()):
                out.write(chunk)
            out.write("\n")
            return
        # streamed too: the table keeps each reminder's text, not the reminder
        click.echo(views.plan_table(tenant.plan_stream(), obj.config.language,
                                    views.screen_width()))
        calendar = BusinessCalendar(obj.config.policy.calendar)
        if not calendar.is_business_day(tenant.today):
            click.echo(say("plan.closed", obj.language,
                           why=views.closed_day(calendar, tenant.today, obj.language)))
        if held := tenant.holds():
            click.echo(views.paused_text(views.hold_rows(held, obj.language), obj.language))


    @main.command()
    @click.option("--dry-run", is_flag=True,
                  help="Sync and plan, send nothing: write each message into preview/.")
    @click.option("--no-sync", is_flag=True, help="Use the local state as it is.")
    @click.pass_obj
    @for_each_client
    @handle_errors
    def run(obj: Obj, dry_run: bool, no_sync: bool) -> None:
        """Sync, plan, re-check each invoice at the source, and deliver."""
        tenant = obj.tenant()
        with hold(tenant.store, tenant.name) as lease:  # never beside `serve` on the same tenant
            if lease is None:
                raise TransientError(say("run.busy", obj.language, tenant=tenant.name))
            result = tenant.run(dry_run=dry_run, do_sync=not no_sync, stop=lambda: lease.lost)
        if result.bank is not None:
            from connector.commands.bank import report_line
            click.echo(report_line(result.bank, obj.config.language))
        click.echo(views.plan_table(result.planned, obj.config.language, views.screen_width()))
        language = obj.language
        if dry_run:
            folder = result.previews[0].parent if result.previews else "-"
            click.echo(say("run.previews", language, n=len(result.previews), folder=folder))
        else:
            click.echo(say("run.queued", language, n=result.enqueued))
        if result.waiting:
            click.echo(say("run.capped", language, n=result.waiting))
        click.echo(views.delivery_summary(result.delivery, language))
        report = result.delivery
        if report is None:
            return
        waiting = [r for r in outbox.waiting_retry(tenant.store, tenant.name, tenant.clock.now())
                   if r["key"] not in {key for key, _s, _r in report.details}]
        if waiting:
            click.echo(views.waiting_text(waiting, obj.config.timezone, language))
        if needs_attention(report) or waiting:
            sys.exit(EXIT_FAILED)  # something did not leave: a cron job or CI must notice


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
        tenant = obj.tenant()
        held = tenant.holds()  # read once: the JSON and the worded screen list the same pauses
        info = tenant.status(held)
        if as_json:
            click.echo(json.dumps(info, indent=2, default=str))
            return
        shown = {**info, "pauses": views.hold_rows(held, obj.language)}
        click.echo(views.status_text(shown, obj.config.timezone, views.screen_width(),
                                     obj.language))


    @main.command()
    @click.option("--dir", "directory", type=click.Path(file_okay=False), default="relance-demo",
                  show_default=True, help="Working directory for the demo's state and outbox.")
    @click.option("--seed", type=int, default=42, show_default=True)
    @click.option("--onboarding", type=click.Choice(["gentle", "resume", "hold"]),
                  help="How a first run starts (written into the demo's config): hold sends "
                       "nothing until `relance review` / `approve`.")
    @click.pass_obj
    @handle_errors
    def demo(obj: Obj, directory: str, seed: int, onboarding: str | None) -> None:
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
        if onboarding is not None:
            text = config_path.read_text(encoding="utf-8")
            changed = ONBOARDING_LINE.sub(f'onboarding = "{onboarding}"', text, count=1)
            if changed == text and f'onboarding = "{onboarding}"' not in text:
                raise ConfigError(say("demo.no_onboarding", obj.language, file=config_path),
                                  key="policy.onboarding")
            config_path.write_text(changed, encoding="utf-8")
        obj.config_path = str(config_path)
        if obj.today is None:
            # Reminders leave on business days only: on a weekend or holiday the demo shows the last
            # business day instead of an empty plan.
            shown = BusinessCalendar(obj.config.policy.calendar).last_business_day(today)
            if shown != today:
                click.echo(say("demo.not_business", obj.language,
                               day=views.day(today, obj.language),
                               shown=views.day(shown, obj.language)))
            obj.today = shown
        tenant = obj.tenant()
        result = tenant.run()
        language = obj.language
        click.echo(views.plan_table(result.planned, language, views.screen_width()))
        click.echo(views.delivery_summary(result.delivery, language))
        emails = sorted(obj.config.outbox_dir.glob("*.eml")) if obj.config.outbox_dir.exists() else []
        click.echo(say("demo.files", language, n=len(emails), outbox=obj.config.outbox_dir,
                       state=obj.config.state_url.removeprefix("sqlite:///")))
        waiting = outbox.counts(tenant.store, tenant.name).get("pending_approval", 0)
        if waiting:
            click.echo(say("demo.pending", language, n=waiting, config=config_path))
        click.echo(say("demo.next", language, config=config_path))


    @main.group()
    def secret() -> None:
        """Store secrets in the system keyring (service "relance")."""


    @secret.command("set")
    @click.argument("name")
    @click.pass_obj
    @handle_errors
    def secret_set(obj: Obj, name: str) -> None:
        """Store secret NAME (e.g. `source`, `smtp`) for this config's tenant.

        Typed at a hidden prompt, or piped on stdin (`printf %s "$KEY" | relance secret set
        source`): never an argument, which `ps` and the shell history would show."""
        stream = sys.stdin
        if stream.isatty():
            value = click.prompt(f"{name}", hide_input=True)
        else:
            value = stream.readline().rstrip("\r\n")
        if not value:
            fail(obj.language, say("secret.empty", obj.language))
        if name == "state":  # the PostgreSQL password of the state database, for every tenant
            set_state_password(value)
            click.echo(say("secret.state", obj.language))
            return
        SecretStore(obj.config.tenant).set(name, value)
        click.echo(say("secret.stored", obj.language, name=name, tenant=obj.config.tenant))


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
            click.echo(say("outbox.none", obj.language, state=label("state", state,
                                                                      obj.language)))
        width = views.screen_width()
        for row in rows:
            payload = outbox.payload(row)
            head = f"{row['key']}  {row['channel']:<6} {row['level']:<8} "
            click.echo(head + views.elide(payload.customer_name, width - 1 - len(head)))
            if row["reason"]:  # the whole reason, wrapped under its row
                click.echo(textwrap.fill(row["reason"], width - 1, initial_indent="    ",
                                         subsequent_indent="    "))


    @outbox_group.command("resolve")
    @click.argument("key")
    @click.option("--sent/--not-sent", required=True,
                  help="Whether the message reached the customer (check the mailbox's sent items).")
    @click.pass_obj
    @handle_errors
    def outbox_resolve(obj: Obj, key: str, sent: bool) -> None:
        """Settle an uncertain reminder: it was delivered, or it should be sent again."""
        tenant = obj.tenant()
        follow_up = "note" if tenant.adapter.capabilities.notes else None
        if not outbox.resolve_uncertain(tenant.store, tenant.name, key, sent,
                                        now=tenant.clock.now(), follow_up=follow_up):
            fail(obj.language, say("outbox.no_uncertain", obj.language, key=key))
        click.echo(say("outbox.sent" if sent else "outbox.again", obj.language))


    @outbox_group.command("retry")
    @click.argument("key", required=False)
    @click.option("--all", "every", is_flag=True,
                  help="Every failed or rescheduled reminder of this tenant.")
    @click.option("--status", "state", type=click.Choice(["failed"]), default=None,
                  help="Every reminder in this state (failed).")
    @click.pass_obj
    @handle_errors
    def outbox_retry(obj: Obj, key: str | None, every: bool, state: str | None) -> None:
        """Send failed (and rescheduled) reminders again, under their own key, once the cause is
        fixed: KEY, or --all (failed and rescheduled), or --status failed."""
        if (key is None) == (not every and state is None):
            fail(obj.language, say("outbox.retry_usage", obj.language))
        tenant = obj.tenant()
        now = tenant.clock.now()
        count = outbox.retry_now(tenant.store, tenant.name, key, now=now,
                                 rescheduled=state != "failed")
        if key is not None and not count:
            fail(obj.language, say("outbox.no_failed", obj.language, key=key))
        click.echo(say("outbox.due_now", obj.language, n=count))


def needs_attention(report: DeliveryReport) -> bool:
    """Anything failed, rescheduled, in doubt or stopped: `run` exits 1 so cron and monitoring
    see it (what was sent stays sent)."""
    return bool(report.failed or report.retried or report.uncertain or report.stopped)
