"""The channel registry: name → implementation, the one place the dispatcher looks a channel up.

Names and traits are declared in connector/rules/channels.py; every declared channel must have
an implementation here (checked at import).
"""

from __future__ import annotations

from connector.delivery.channels.base import Channel, Delivery, Services
from connector.delivery.channels.email import EmailChannel
from connector.delivery.channels.letter import LetterChannel
from connector.delivery.channels.note import NoteChannel
from connector.delivery.channels.source_email import SourceEmailChannel
from connector.delivery.channels.task import TaskChannel
from connector.errors import PermanentError
from connector.rules.channels import ALIASES, CHANNELS

REGISTRY: dict[str, type[Channel]] = {cls.name: cls for cls in (
    EmailChannel, SourceEmailChannel, LetterChannel, TaskChannel, NoteChannel)}
if set(REGISTRY) != set(CHANNELS):  # pragma: no cover - a programming error, caught by any test
    raise RuntimeError(f"channels declared {sorted(CHANNELS)} but implemented {sorted(REGISTRY)}")


def channels_for(services: Services) -> dict[str, Channel]:
    """One instance of every channel, sharing the services (and the document cache)."""
    built = {name: cls(services) for name, cls in REGISTRY.items()}
    built.update({alias: built[name] for alias, name in ALIASES.items()})
    return built


def channel_of(channels: dict[str, Channel], name: str) -> Channel:
    if name not in channels:
        raise PermanentError(f"channel {name!r} cannot be delivered (known: "
                             f"{', '.join(sorted(REGISTRY))})")
    return channels[name]


__all__ = ["REGISTRY", "Channel", "Delivery", "Services", "channel_of", "channels_for"]
