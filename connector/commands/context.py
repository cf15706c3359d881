"""What every command shares: the invocation's state (`Obj`), exit codes, error handling, and the
fan-out of one command over a firm's clients. Commands import this module, never `connector.cli`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from connector.commands.words import env_language, say
from connector.errors import AuthError, ConfigError, ConnectorError

if TYPE_CHECKING:  # imported when a command runs, so that `--help` starts fast
    from connector.app.tenant import Tenant
    from connector.config import Config

log = logging.getLogger(__name__)
EXAMPLE = Path(__file__).resolve().parent.parent / "config_example.toml"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Obj:
    def __init__(self, config_path: str, today: dt.date | None, firm: str | None = None,
                 client: str | None = None) -> None:
        self.config_path = config_path
        self.today = today
        self.firm, self.client = firm, client
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            if self.firm is not None:  # one client of a firm directory (connector.app.firm)
                self._config = client_config(self)
            else:
                from connector.config import load_config
                self._config = load_config(self.config_path)
        return self._config

    @property
    def language(self) -> str:
        """The language of what is printed: the tenant's once its config is loaded, before that
        (or when it cannot load) RELANCE_LANG or the locale's (words.env_language)."""
        return self._config.language if self._config is not None else env_language()

    def tenant(self) -> Tenant:
        from connector.app.tenant import open_tenant
        return open_tenant(self.config, today=self.today)


def _redact(text: str) -> str:
    from connector.secrets import redact
    return redact(text)


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(say("bad_day", env_language())) from None


def fail(language: str, text: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `text` as an error line ("erreur : …") on stderr and exit with `code`."""
    click.echo(say("error", language, text=text), err=True)
    sys.exit(code)


def _language_of(args: tuple[Any, ...]) -> str:
    """The language of a command's error: its Obj's (first argument, or the click context's)."""
    first = args[0] if args else None
    obj = first.obj if isinstance(first, click.Context) else first
    return obj.language if isinstance(obj, Obj) else env_language()


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Known errors become one clear line and an exit code; never a traceback, never a secret."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ConfigError, AuthError) as exc:
            fail(_language_of(args), _redact(str(exc)), EXIT_USAGE)
        except ConnectorError as exc:
            fail(_language_of(args), _redact(str(exc)), EXIT_FAILED)
    return wrapper


def one_pass(command: Callable[..., Any]) -> Callable[..., Any]:
    """For a command that builds a whole ledger's worth of small objects and then ends (plan,
    report): no cyclic garbage collection meanwhile. Nothing there makes cycles, yet each
    collection walks every object still alive, ~30 % of a first plan at 100k (issue 18)."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return command(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return wrapper


def for_each_client(command: Callable[..., Any]) -> Callable[..., Any]:
    """With --firm and no --client: run the command for every client."""
    @functools.wraps(command)
    def wrapper(obj: Obj, *args: Any, **kwargs: Any) -> Any:
        if obj.firm is None or obj.client is not None:
            return command(obj, *args, **kwargs)
        return fan_out(obj, command, *args, **kwargs)
    return wrapper


def client_config(obj: Obj) -> Config:
    from connector.app.firm import Firm
    firm = Firm(obj.firm or ".")
    if obj.client is None:
        language = env_language()
        raise ConfigError(say("one_client", language, clients=", ".join(firm.slugs())
                              or say("none_yet", language)), file=str(firm.file))
    return firm.config(obj.client)


def fan_out(obj: Obj, command: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `command` for every client of the firm, up to firm.toml's `workers` at once (one
    client's wait never delays another's); each client's output is printed in one block as it
    finishes; report which failed; exit 1 if any did."""
    from connector.app.firm import Firm
    from connector.commands import parallel
    try:
        firm = Firm(obj.firm or ".")
        slugs = firm.slugs()
    except ConfigError as exc:
        fail(obj.language, _redact(str(exc)))

    def one(slug: str) -> bool:
        """Run the command for one client; True when it failed."""
        try:
            command(Obj(obj.config_path, obj.today, obj.firm, slug), *args, **kwargs)
        except SystemExit as exc:
            return exc.code not in (None, 0)
        except Exception as exc:  # a bug in one client's run must not stop the others
            log.exception("client %s failed", slug)
            click.echo(say("error", obj.language, text=say(
                "client_error", obj.language, slug=slug,
                text=_redact(f"{type(exc).__name__}: {exc}"))), err=True)
            return True
        return False

    failed: list[str] = []
    if firm.workers == 1 or len(slugs) < 2:
        for slug in slugs:
            click.echo(f"== {slug} ==")
            if one(slug):
                failed.append(slug)
    else:
        with parallel.proxied() as (out, err):
            def captured(slug: str) -> tuple[str, bool, str, str]:
                with parallel.captured(out, err) as (printed, errors):
                    bad = one(slug)
                return slug, bad, printed.getvalue(), errors.getvalue()
            for slug, bad, printed, errors in parallel.completed(slugs, captured, firm.workers):
                click.echo(f"== {slug} ==")
                click.echo(printed, nl=False)
                click.echo(errors, nl=False, err=True)
                if bad:
                    failed.append(slug)
    if failed:
        failed.sort()
        click.echo(say("clients_failed", obj.language, n=len(failed), total=len(slugs),
                       names=", ".join(failed)), err=True)
        sys.exit(EXIT_FAILED)
