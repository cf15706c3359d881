"""Reconciliation: was a reminder delivered? Asked before any retry of a write that is not
idempotent (DESIGN §3), after a crash and after a transient failure alike.

A note, an activity, an appendix or a message sent by the source may have been created although its
answer was lost (a connection reset after the write, an answer slower than our read timeout). Such a
row is looked up by its key (`find_pushed`); only a proven absence is sent again. When the lookup
itself cannot be made (the source is down) the row stays `sending` and is asked again later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from connector.adapters.base import BaseAdapter
from connector.delivery.channels import Channel
from connector.errors import ConnectorError, TransientError
from connector.secrets import redact

log = logging.getLogger(__name__)

Verdict = Literal["sent", "absent", "unknown", "later"]
"""sent: found at the destination; absent: proven not there; unknown: nobody can ever tell
(plain SMTP); later: the lookup failed for now, ask again on the next attempt."""

SOURCE_WRITES = frozenset({"note", "source_email"})


@dataclass(frozen=True)
class Found:
    verdict: Verdict
    remote_id: str | None = None


def writes_to_source(channel: str, adapter: BaseAdapter) -> bool:
    """True when a delivery on `channel` is a write into the source that a retry could repeat."""
    return channel in SOURCE_WRITES or (channel == "task" and adapter.capabilities.tasks)


def look_up(row: Mapping[str, Any], channel: Channel, adapter: BaseAdapter) -> Found:
    """Where the reminder of `row` may have gone, asked by its idempotency key."""
    key = str(row["key"])
    if writes_to_source(str(row["channel"]), adapter):
        try:
            remote = adapter.find_pushed(key)
        except TransientError as exc:
            log.warning("reminder %s: could not look it up at the source (%s); asking again "
                        "later", key, redact(str(exc)))
            return Found("later")
        except ConnectorError as exc:
            log.warning("reminder %s: the source refused the lookup (%s)", key, redact(str(exc)))
            return Found("unknown")
        return Found("sent", remote) if remote else Found("absent")
    try:
        done = channel.already_done(key)
    except ConnectorError:
        return Found("unknown")
    if done is None:
        return Found("unknown")
    if done is False:
        return Found("absent")
    return Found("sent", done if isinstance(done, str) else None)


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt of a row already tried `attempts` times."""
    return dt.timedelta(minutes=5 * 2 ** min(max(attempts, 1) - 1, 6))
