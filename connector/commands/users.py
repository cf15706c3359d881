"""`relance users add|list|disable`: the people who may log into the web cockpit.

The logic lives in app/users.py; these commands only parse and print. A password is asked on the
terminal (twice, not echoed), or read from standard input when it is not a terminal.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from connector.commands.context import Obj, fail, handle_errors
from connector.commands.words import say

if TYPE_CHECKING:
    from connector.store.store import Store


def _store(obj: Obj) -> Store:
    from connector.app.users import users_url
    from connector.store.store import Store
    return Store(users_url(obj.config_path, obj.firm))


def register(main: click.Group) -> None:
    @main.group("users")
    def users() -> None:
        """The people who may use the web cockpit (`relance web`)."""

    @users.command("add")
    @click.argument("login")
    @click.option("--admin", is_flag=True, help="Every client, and the users.")
    @click.option("--reader", is_flag=True, help="Looks, never acts.")
    @click.option("--grant", "grants", multiple=True, metavar="CLIENT",
                  help="A client this user may see (repeat; a collector unless --reader).")
    @click.pass_obj
    @handle_errors
    def users_add(obj: Obj, login: str, admin: bool, reader: bool,
                  grants: tuple[str, ...]) -> None:
        """Add a user; the password is asked (or read from standard input)."""
        from connector.app import users as users_app
        from connector.clock import MACHINE
        if admin and reader:
            fail(obj.language, say("users.exclusive", obj.language))
        if sys.stdin.isatty():
            password = click.prompt(say("users.password", obj.language), hide_input=True,
                                    confirmation_prompt=True, err=True)
        else:  # a script or a test pipes it in
            password = sys.stdin.readline().rstrip("\n")
        role = "admin" if admin else "reader" if reader else "collector"
        store = _store(obj)
        try:
            users_app.add(store, login, password, role=role, clients=list(grants),
                          now=MACHINE.now())
        except ValueError as exc:
            fail(obj.language, str(exc))
        finally:
            store.close()
        click.echo(say("users.created", obj.language, login=login, role=role,
                       clients=say("users.clients", obj.language, names=", ".join(grants))
                       if grants and not admin else ""))

    @users.command("list")
    @click.pass_obj
    @handle_errors
    def users_list(obj: Obj) -> None:
        """Every user: role, clients, whether disabled."""
        from connector.store import users as user_store
        store = _store(obj)
        try:
            found = user_store.listing(store)
        finally:
            store.close()
        if not found:
            click.echo(say("users.none", obj.language))
            return
        for user in found:
            clients = say("users.all_clients", obj.language) if user.role == "admin" \
                else ", ".join(user.clients)
            state = say("users.disabled_mark", obj.language) if user.disabled else ""
            click.echo(f"{user.login:<24} {user.role:<10} {clients}{state}")

    @users.command("disable")
    @click.argument("login")
    @click.pass_obj
    @handle_errors
    def users_disable(obj: Obj, login: str) -> None:
        """Disable LOGIN: it can no longer log in, and its open sessions end now."""
        from connector.store import users as user_store
        store = _store(obj)
        try:
            done = user_store.set_disabled(store, login)
        finally:
            store.close()
        if not done:
            fail(obj.language, say("users.no_user", obj.language, login=login))
        click.echo(say("users.disabled", obj.language, login=login))
