"""`relance auth sage`: the OAuth2 consent for sources that need one, from a terminal."""

from __future__ import annotations

import webbrowser
from typing import Any

import click

from connector.secrets import SecretStore


def register(main: click.Group) -> None:
    from connector.commands.context import Obj, fail, handle_errors
    from connector.commands.words import say

    @main.group()
    def auth() -> None:
        """Grant relance access to an accounting system that uses OAuth2."""

    @auth.command("sage")
    @click.option("--no-browser", is_flag=True, help="Only print the address to open.")
    @click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for consent.")
    @click.pass_obj
    @handle_errors
    def auth_sage(obj: Obj, no_browser: bool, timeout: float) -> None:
        """Open Sage's consent page, receive the grant on a loopback address, store the tokens."""
        from connector.adapters.sage.auth import authorize

        config = obj.config
        if config.source.kind != "sage":
            fail(obj.language, say("auth.not_sage", obj.language, kind=config.source.kind))

        def open_browser(url: str) -> None:
            click.echo(say("auth.open", obj.language, url=url))
            if not no_browser:
                webbrowser.open(url)

        def pick(businesses: list[dict[str, Any]]) -> str:
            if len(businesses) == 1:
                return str(businesses[0]["id"])
            for number, business in enumerate(businesses, start=1):
                click.echo(f"  {number}. {business.get('name')} ({business.get('id')})")
            choice = click.prompt(say("auth.which", obj.language),
                                  type=click.IntRange(1, len(businesses)))
            return str(businesses[choice - 1]["id"])

        chosen = authorize(config.source, SecretStore(config.tenant), open_browser=open_browser,
                           pick_business=pick, timeout=timeout)
        click.echo(say("auth.granted", obj.language))
        if chosen != getattr(config.source, "business_id", None):
            click.echo(say("auth.business", obj.language, id=chosen, file=config.file))
