"""`relance review`, `approve`, `reject`: look at the messages that wait for a person and decide.

The logic lives in app/review.py; these commands only parse and print.
"""

from __future__ import annotations

import click

from connector.app import review as review_app
from connector.app.tenant import Tenant
from connector.commands.context import Obj, fail, handle_errors
from connector.commands.pauses import _who
from connector.commands.views import money
from connector.commands.words import say


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
                click.echo(say("review.none", language))
                return
            click.echo(say("review.head", language, n=len(waiting)))
            for p in waiting:
                click.echo(f"{p.key}  {p.planned_for}  {p.level:<14} {p.channel:<6} "
                           f"{p.customer_name}  {money(p.amount, p.currency, language)}  "
                           f"{', '.join(p.invoices)}")
            click.echo(say("review.how", language))
            return
        shown = review_app.show(tenant.store, obj.config, _full_key(tenant, key),
                                now=tenant.clock.now())
        if shown is None:
            fail(language, say("review.no_key", language, key=key))
        click.echo(say("review.subject", language, subject=shown.subject, channel=shown.channel))
        click.echo(say("review.text", language))
        click.echo(shown.text)
        if shown.html:
            click.echo("--- HTML ---")
            click.echo(shown.html)
        for name, size in shown.attachments:
            click.echo(say("review.attachment", language, name=name, size=size))

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
            fail(obj.language, say("review.approve_usage", obj.language))
        tenant = obj.tenant()
        asked = [_full_key(tenant, k) for k in keys]
        done = review_app.approve(tenant.store, tenant.name, asked, every=every, level=level,
                                  by=_who(by), now=tenant.clock.now())
        click.echo(say("review.approved", obj.language, n=len(done)))
        missing = len([k for k in asked if k not in done])
        if missing:
            fail(obj.language, say("review.not_waiting", obj.language, n=missing))

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
            fail(obj.language, str(exc))
        if not done:
            fail(obj.language, say("review.no_pending", obj.language, key=key))
        click.echo(say("review.rejected", obj.language))


def _full_key(tenant: Tenant, key: str) -> str:
    """A key's unambiguous prefix (as listed) stands for the key."""
    matches = [p.key for p in review_app.pending(tenant.store, tenant.name)
               if p.key.startswith(key)]
    return matches[0] if len(matches) == 1 else key
