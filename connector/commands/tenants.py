"""`relance tenants rename OLD NEW`: move a tenant's history to its new name (a renamed client
file or `tenant = …`), so that its books are not reminded again from scratch."""

from __future__ import annotations

import click

from connector.commands.context import Obj, handle_errors
from connector.commands.words import say
from connector.store import identity
from connector.store.store import Store


def register(main: click.Group) -> None:
    @main.group()
    def tenants() -> None:
        """Tenants of the state database (rename one, its history follows)."""

    @tenants.command("rename")
    @click.argument("old")
    @click.argument("new")
    @click.pass_obj
    @handle_errors
    def tenants_rename(obj: Obj, old: str, new: str) -> None:
        """Give tenant OLD's history (outbox, ledger, pauses, runs) to tenant NEW."""
        store = Store(obj.config.state_url)
        try:
            moved = identity.rename(store, old, new)
        finally:
            store.close()
        total = sum(moved.values())
        if not total:
            click.echo(say("tenants.nothing", obj.language, old=old))
            return
        click.echo(say("tenants.renamed", obj.language, old=old, new=new,
                       reminders=moved.get("outbox", 0), invoices=moved.get("invoices", 0)))
