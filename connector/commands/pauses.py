"""`relance dispute|promise|pause|resume`: hold reminders for an invoice or a customer, and why.

Each pause is recorded with who (the OS user, or `--by`), when and why, and shows in `status` and
`plan`. The engine reads them as input: nothing is planned for a disputed or promised invoice or a
paused customer; a promise whose date passes unpaid resumes at the next level.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys

import click

from connector.errors import ConfigError
from connector.store import pauses as pause_store


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (some containers)
        return "unknown"


def register(main: click.Group) -> None:
    from connector.commands.context import EXIT_USAGE, Obj, handle_errors, parse_day
    from connector.commands.views import day
    from connector.commands.words import say

    by_option = click.option("--by", help="Who asks (default: the OS user).")

    @main.command()
    @click.argument("invoice")
    @click.option("--reason", required=True, help="What the customer disputes.")
    @by_option
    @click.pass_obj
    @handle_errors
    def dispute(obj: Obj, invoice: str, reason: str, by: str | None) -> None:
        """Hold reminders for INVOICE (number or id) while a dispute is open."""
        tenant = obj.tenant()
        found = pause_store.find_invoice(tenant.store, tenant.name, tenant.source, invoice)
        pause_store.add(tenant.store, tenant.name, tenant.source, scope="invoice",
                        target_id=found["external_id"], kind="dispute", until=None,
                        reason=reason, by=_who(by),
                        now=tenant.clock.now())
        click.echo(say("pause.disputed", obj.language, number=found["number"]))

    @main.command()
    @click.argument("invoice")
    @click.option("--until", required=True, callback=parse_day, metavar="YYYY-MM-DD",
                  help="The day the customer promised to pay by.")
    @click.option("--reason")
    @by_option
    @click.pass_obj
    @handle_errors
    def promise(obj: Obj, invoice: str, until: dt.date, reason: str | None,
                by: str | None) -> None:
        """Hold reminders for INVOICE until the promised date; unpaid after it, escalate."""
        tenant = obj.tenant()
        found = pause_store.find_invoice(tenant.store, tenant.name, tenant.source, invoice)
        if until < tenant.today:
            raise ConfigError(say("pause.past", obj.language, day=until.isoformat()))
        pause_store.add(tenant.store, tenant.name, tenant.source, scope="invoice",
                        target_id=found["external_id"], kind="promise", until=until,
                        reason=reason, by=_who(by),
                        now=tenant.clock.now())
        click.echo(say("pause.promised", obj.language, number=found["number"],
                       day=day(until, obj.language)))

    @main.command()
    @click.argument("customer")
    @click.option("--until", required=True, callback=parse_day, metavar="YYYY-MM-DD")
    @click.option("--reason")
    @by_option
    @click.pass_obj
    @handle_errors
    def pause(obj: Obj, customer: str, until: dt.date, reason: str | None,
              by: str | None) -> None:
        """Hold every reminder to CUSTOMER (id or exact name) until a date."""
        tenant = obj.tenant()
        found = pause_store.find_customer(tenant.store, tenant.name, tenant.source, customer)
        if found is None:
            raise ConfigError(say("pause.no_customer", obj.language, customer=customer))
        pause_store.add(tenant.store, tenant.name, tenant.source, scope="customer",
                        target_id=found, kind="pause", until=until, reason=reason, by=_who(by),
                        now=tenant.clock.now())
        click.echo(say("pause.paused", obj.language, customer=found,
                       day=day(until, obj.language)))

    @main.command()
    @click.argument("target")
    @by_option
    @click.pass_obj
    @handle_errors
    def resume(obj: Obj, target: str, by: str | None) -> None:
        """End the disputes, promises and pauses of TARGET (an invoice or a customer)."""
        tenant = obj.tenant()
        ids = []
        customer = pause_store.find_customer(tenant.store, tenant.name, tenant.source, target)
        if customer is not None:
            ids.append(customer)
        try:
            ids.append(pause_store.find_invoice(tenant.store, tenant.name, tenant.source,
                                                target)["external_id"])
        except ConfigError:
            if not ids:
                raise
        closed = pause_store.resolve(tenant.store, tenant.name, tenant.source, ids, _who(by), now=tenant.clock.now())
        if not closed:
            banked = [p for p in pause_store.active(tenant.store, tenant.name, tenant.source,
                                                    tenant.today)
                      if p.kind == "bank" and p.target_id in ids]
            hint = say("pause.banked", obj.language, reason=banked[0].reason) if banked else ""
            click.echo(say("pause.nothing", obj.language, target=target, hint=hint), err=True)
            sys.exit(EXIT_USAGE)
        click.echo(say("pause.resumed", obj.language, target=target, n=closed))
