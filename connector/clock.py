"""The tenant's clock: the only place in relance that reads the machine's time.

Every "now" and every "today" comes from a `Clock` the tenant owns, in the tenant's time zone.
`--today D` moves that clock by whole days, keeping the local hour, so that a simulation or the
replay of a missed day behaves exactly as it would have on D: today, `sent_at`, the minimum gap
between two messages and the email `Date:` header all agree. Store, outbox, pauses, dispatcher and
scheduler take the clock (or a moment read from it) as an argument and never read time themselves.
Network timing (rate budgets, timeouts) is not business time and uses `time.monotonic` or
`time.time` in `http.py` (and the shared budgets of `store/budgets.py`), injectable there.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

UTC = dt.timezone.utc
DEFAULT_TIMEZONE = "Europe/Paris"
Now = Callable[[], dt.datetime]
"""Anything that answers an aware UTC moment: a `Clock` or, in tests, a plain lambda."""


def system_now() -> dt.datetime:
    """The machine's clock, in UTC. Everything else asks a `Clock`."""
    return dt.datetime.now(UTC)


@functools.lru_cache(maxsize=64)
def zone(timezone: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(timezone)


def local_day(moment: dt.datetime, timezone: str) -> dt.date:
    """The calendar day `moment` falls on in `timezone` (a naive moment is UTC, as SQLite returns
    it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(timezone)).date()


def local_time(moment: dt.datetime | str | None, timezone: str) -> str:
    """A stored moment as a person reads it: "2026-11-27 09:30 CET" in the tenant's zone (a
    naive moment is UTC, as SQLite returns it; an ISO string is parsed first)."""
    if moment is None or moment == "":
        return "-"
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class Clock:
    """A tenant's time: `now()` in UTC and `today()` in the tenant's zone, possibly moved."""

    timezone: str = DEFAULT_TIMEZONE
    shift: dt.timedelta = dt.timedelta(0)
    source: Now | None = field(default=None, repr=False, compare=False)
    """Where the moment comes from; None is the machine's clock, looked up at each call."""

    def now(self) -> dt.datetime:
        return (self.source or system_now)() + self.shift

    def __call__(self) -> dt.datetime:
        """A clock stands wherever a `Now` is expected."""
        return self.now()

    def today(self) -> dt.date:
        return local_day(self.now(), self.timezone)

    def on(self, day: dt.date | None) -> Clock:
        """This clock moved so that `today()` is `day`, at the same local hour (None: unmoved)."""
        if day is None:
            return self
        now = self.now()
        local = now.astimezone(zone(self.timezone))
        target = dt.datetime.combine(day, local.time().replace(tzinfo=None), zone(self.timezone))
        return Clock(self.timezone, self.shift + (target - now), self.source)

    @classmethod
    def frozen(cls, moment: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> Clock:
        """A clock that always answers `moment` (tests, simulations of one instant)."""
        return cls(timezone, dt.timedelta(0), lambda: moment)


MACHINE = Clock()
"""The machine's time, for what is not business time: lease locks, a firm's scheduler, the
vendors' own timelines. Looked up at each call, so a test can move every clock at once."""
