"""Command groups beyond the core loop, one module per area, attached to the `relance` group."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach every area's commands. Each area module exposes `register(main)`."""
    # one line per area, e.g.: from connector.commands import rules; rules.register(main)
    from connector.commands import firm; firm.register(main)  # noqa: E702, I001
