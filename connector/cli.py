"""The `relance` group: global options, then every command area attached from connector.commands.

Exit codes: 0 ok, 1 some deliveries (or the sync) failed, 2 usage or configuration error.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from connector import DEFAULT_CONFIG_NAME, __version__
from connector.commands import COMMANDS, load_area
from connector.commands.context import EXAMPLE, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Obj, parse_day

__all__ = ["EXAMPLE", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]

# relance uses no pydantic plugin; without this, the first model class built reads the entry
# points of every installed distribution to look for one (~10-15 ms of each command's start-up)
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


class LazyGroup(click.Group):
    """Imports a command's area only when that command runs (`relance --help` stays instant)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            with _no_collection_while_importing():
                area = load_area(COMMANDS[name][0])
            for found, command in area.items():
                self.commands.setdefault(found, command)
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx) if name in COMMANDS]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@contextmanager
def _no_collection_while_importing() -> Iterator[None]:
    """Importing a command's area (SQLAlchemy, pydantic, the models) allocates ~10^5 objects
    that live as long as the process: cyclic collections meanwhile walk them again and again and
    find nothing (~10 % of `status`, issue 18). Afterwards they are frozen, so that the
    collections of a long command (`run`, `worker`) skip them too."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="relance")
@click.option("--config", "config_path", envvar="RELANCE_CONFIG", default=DEFAULT_CONFIG_NAME,
              show_default=True, help="Configuration file (TOML).")
@click.option("--today", callback=parse_day, metavar="YYYY-MM-DD",
              help="Act as if today were this date (reproducible runs, simulations).")
@click.option("--firm", type=click.Path(file_okay=False), envvar="RELANCE_FIRM",
              help="A firm directory (firm.toml + clients/*.toml) instead of --config.")
@click.option("--client", help="With --firm: the client to act on (default: every client).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, config_path: str, today: dt.date | None, firm: str | None,
         client: str | None, verbose: int) -> None:
    """relance: chase unpaid invoices from your accounting system, politely and exactly once."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    from connector.secrets import install_log_redaction
    install_log_redaction()
    os.umask(0o077)  # state, .eml, letters, reports: readable by their owner only (`umask`)
    ctx.obj = Obj(config_path, today, firm, client)


if __name__ == "__main__":
    main()
