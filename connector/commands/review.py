"""`relance review`, `approve`, `reject`: look at the messages that wait for a person and decide.

The logic lives in app/review.py; these commands only parse and print.
"""

from __future__ import annotations

import sys

import click

from connector.app import review as review_app
from connector.app.tenant import Tenant
from connector.commands.context import EXIT_USAGE, Obj, handle_errors
from connector.commands.pauses import _who
from connector.commands.views import money


def register(main: click.Group) -> None:
    @main.command("review")
    @click.argument("key", required=False)
    @click.option("--level", help="Only the messages of this level.")
    @click.pass_obj
    @handle_errors
    def review(obj: Obj, key: str | None, level: str | None) -> None:
        """List the messages waiting for approval, or show one (KEY) exactly as it will go."""
        tenant = obj.tenant()
        language = obj.config.language
        if key is None:
            waiting = review_app.pending(tenant.store, tenant.name, level=level)
            if not waiting:
                click.echo("Aucun message en attente de validation.")
                return
            click.echo(f"{len(waiting)} message(s) en attente de validation :")
            for p in waiting:
                click.echo(f"{p.key}  {p.planned_for}  {p.level:<14} {p.channel:<6} "
                           f"{p.customer_name}  {money(p.amount, p.currency, language)}  "
                           f"{', '.join(p.invoices)}")
            click.echo("relance review KEY (voir), relance approve KEY… | --all, "
                       "relance reject KEY --reason …")
            return
        shown = review_app.show(tenant.store, obj.config, _full_key(tenant, key),
                                now=tenant.clock.now())
        if shown is None:
            click.echo(f"error: no message with key {key}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"Objet : {shown.subject}  ({shown.channel})")
        click.echo("--- texte ---")
        click.echo(shown.text)
        if shown.html:
            click.echo("--- HTML ---")
            click.echo(shown.html)
        for name, size in shown.attachments:
            click.echo(f"pièce jointe : {name} ({size} octets)")

    @main.command("approve")
    @click.argument("keys", nargs=-1)
    @click.option("--all", "every", is_flag=True, help="Every message waiting for approval.")
    @click.option("--level", help="With --all: only the messages of this level.")
    @click.option("--by", help="Who approves (default: the OS user).")
    @click.pass_obj
    @handle_errors
    def approve(obj: Obj, keys: tuple[str, ...], every: bool, level: str | None,
                by: str | None) -> None:
        """Approve messages (KEY…, or --all): the next run sends them."""
        if not keys and not every:
            click.echo("error: give KEY… or --all", err=True)
            sys.exit(EXIT_USAGE)
        tenant = obj.tenant()
        asked = [_full_key(tenant, k) for k in keys]
        done = review_app.approve(tenant.store, tenant.name, asked, every=every, level=level,
                                  by=_who(by), now=tenant.clock.now())
        click.echo(f"{len(done)} message(s) validé(s) ; le prochain `relance run` les envoie.")
        missing = len([k for k in asked if k not in done])
        if missing:
            click.echo(f"error: {missing} key(s) are not waiting for approval", err=True)
            sys.exit(EXIT_USAGE)

    @main.command("reject")
    @click.argument("key")
    @click.option("--reason", required=True, help="Why it must not go out.")
    @click.option("--by", help="Who rejects (default: the OS user).")
    @click.pass_obj
    @handle_errors
    def reject(obj: Obj, key: str, reason: str, by: str | None) -> None:
        """Reject a message waiting for approval: it never goes out."""
        tenant = obj.tenant()
        try:
            done = review_app.reject(tenant.store, tenant.name, _full_key(tenant, key),
                                     reason=reason, by=_who(by), now=tenant.clock.now())
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        if not done:
            click.echo(f"error: no message waiting for approval with key {key}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo("Message rejeté ; il ne partira pas.")


def _full_key(tenant: Tenant, key: str) -> str:
    """A key's unambiguous prefix (as listed) stands for the key."""
    matches = [p.key for p in review_app.pending(tenant.store, tenant.name)
               if p.key.startswith(key)]
    return matches[0] if len(matches) == 1 else key
