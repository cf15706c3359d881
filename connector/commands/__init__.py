"""Command groups beyond the core loop, one module per area, attached to the `relance` group."""

from __future__ import annotations

import importlib

import click

AREAS = ("loop", "auth", "report", "pauses", "rules", "firm", "letters")


def register(main: click.Group) -> None:
    """Attach every area's commands. Each area module exposes `register(main)`."""
    for area in AREAS:
        importlib.import_module(f"connector.commands.{area}").register(main)
