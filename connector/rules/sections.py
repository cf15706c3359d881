"""One message per customer per day, whatever the currencies (issue 16.4).

The ladder runs per customer and currency (a stage in each), but a customer with late invoices in
two currencies must not get two emails the same day. So the messages of one channel that the engine
plans for a customer in several currencies become one: the section of the highest level leads (its
level, template and subject), the others follow as sections with their own level, items and
totals (`ReminderPayload.others`). Amounts are never summed across currencies; each item is still
recorded at its own section's level, so every currency climbs its own ladder. A formal notice (a
level with a registered letter) is never merged: it must state one claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from connector.rules.channels import CHANNELS
from connector.rules.payload import DueItem, ReminderPayload

Key = Callable[[str, Iterable[DueItem]], str]
"""(channel, every item of the message) → the message's idempotency key."""


def merge_currencies(intents: list[ReminderPayload], rank: Callable[[str], int],
                     key: Key) -> list[ReminderPayload]:
    """The customer's messages by an addressed channel, one per channel: the currency at the
    highest level first (then the one with the most items, then by code), the others as its
    sections. Other channels (tasks, letters) are left as they are."""
    if len(intents) < 2:  # most customers: one message, nothing to merge
        return intents
    by_channel: dict[str, list[ReminderPayload]] = {}
    for intent in intents:
        # a formal notice (a level that also sends a letter) stays a message of its own
        if CHANNELS[intent.channel].addressed and "letter" not in intent.level_channels:
            by_channel.setdefault(intent.channel, []).append(intent)
    merged: dict[int, ReminderPayload | None] = {}
    for channel, group in by_channel.items():
        if len({i.currency for i in group}) < 2:
            continue
        ordered = sorted(group, key=lambda i: (-rank(i.level), -len(i.items), i.currency))
        lead, others = ordered[0], tuple(ordered[1:])
        every = [item for i in ordered for item in i.items]
        merged[id(lead)] = dataclasses.replace(
            lead, key=key(channel, every), others=others,
            review=lead.review or any(o.review for o in others))
        for other in others:
            merged[id(other)] = None
    result: list[ReminderPayload] = []
    for intent in intents:
        replaced = merged.get(id(intent), intent)
        if replaced is not None:
            result.append(replaced)
    return result
