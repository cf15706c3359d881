"""The channels a reminder can take, declared once: their names and what the rules must know.

The behaviour of each channel lives in connector/delivery/channels/ (one module each, registered
under these names, checked at import); the rules and the store read only these traits, so no layer
branches on a channel's name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    plannable: bool
    """A policy level may name it (a note only follows a sent email)."""
    addressed: bool
    """Goes to the customer's e-mail addresses: without one, a task is planned instead."""
    copies: bool = False
    """Takes the customer's Cc addresses (our own SMTP envelope)."""
    gated: bool = True
    """Its invoices are re-read at the source right before delivery (the freshness gate)."""
    contact: bool = True
    """Counts as contacting the customer (the minimum gap between two messages)."""
    traced: bool = False
    """Once sent, a note is left in the source (where the source takes notes)."""
    needs: str | None = None
    """The source right it needs (a key of `SourceInfo.rights`), if any."""


CHANNELS: dict[str, ChannelSpec] = {spec.name: spec for spec in (
    ChannelSpec("email", plannable=True, addressed=True, copies=True, traced=True,
                needs="notes"),
    ChannelSpec("source_email", plannable=True, addressed=True, needs="send_via_source"),
    ChannelSpec("letter", plannable=True, addressed=False),
    ChannelSpec("task", plannable=True, addressed=False, needs="tasks"),
    ChannelSpec("note", plannable=False, addressed=False, gated=False, contact=False,
                needs="notes"),
)}
ALIASES = {"odoo_email": "source_email"}
"""Old names still accepted in configs (with a warning)."""
PLANNABLE = tuple(name for name, spec in CHANNELS.items() if spec.plannable)
NOT_CONTACT = tuple(name for name, spec in CHANNELS.items() if not spec.contact)


def canonical(name: str) -> str:
    """The channel's current name; ValueError naming the known ones for anything else."""
    if name in ALIASES:
        log.warning("channel %r is deprecated: write %r", name, ALIASES[name])
        name = ALIASES[name]
    if name not in CHANNELS or not CHANNELS[name].plannable:
        raise ValueError(f"unknown channel {name!r}; expected one of {', '.join(PLANNABLE)}")
    return name


def spec(name: str) -> ChannelSpec:
    """Traits of a stored row's channel (an old row may carry an alias)."""
    return CHANNELS[ALIASES.get(name, name)]
