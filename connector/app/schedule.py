"""When a tenant's jobs are due: pure functions of its schedule, its last runs and `now`.

Two jobs per tenant: `reminders` (sync + plan + deliver) once per business day at a local time, and
`sync` every N minutes. Both are shifted by a small jitter, derived from the tenant's name so that a
firm's hundred clients do not all hit their accounting systems in the same second, and so that a
simulated run is reproducible. Nothing here reads the clock or the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.clock import local_day, zone

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Holiday = Callable[[dt.date], bool]


class Schedule(BaseModel):
    """The `[schedule]` table of firm.toml (a client file may override any key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    reminders_at: dt.time = dt.time(8, 30)
    """Local time (the tenant's `timezone`) of the daily reminders run."""
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    """Days the reminders run (business days by default); public holidays are left out by the
    scheduler's `holiday` hook."""
    sync_every_minutes: float = Field(default=60, gt=0)
    jitter_minutes: float = Field(default=5, ge=0)
    retry_minutes: float = Field(default=15, gt=0)
    """After a failed reminders run, try again this much later (the same day only)."""


def no_holiday(_day: dt.date) -> bool:
    """No public holidays. The scheduler passes each tenant's calendar instead (rules/calendar.py,
    the policy's `calendar`: French public holidays by default)."""
    return False


def jitter(tenant: str, slot: str, minutes: float) -> dt.timedelta:
    """A stable offset in [0, minutes) for this tenant and this slot (a day, a sync period)."""
    if minutes <= 0:
        return dt.timedelta(0)
    digest = hashlib.sha256(f"{tenant}|{slot}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2 ** 64
    return dt.timedelta(seconds=round(fraction * minutes * 60))


def reminders_start(schedule: Schedule, tenant: str, timezone: str, day: dt.date) -> dt.datetime:
    """When the reminders run of `day` may start (UTC), jitter included."""
    local = dt.datetime.combine(day, schedule.reminders_at, tzinfo=zone(timezone))
    return (local + jitter(tenant, day.isoformat(), schedule.jitter_minutes)) \
        .astimezone(dt.timezone.utc)


def runs_on(schedule: Schedule, day: dt.date, holiday: Holiday) -> bool:
    return schedule.enabled and WEEKDAYS[day.weekday()] in schedule.days and not holiday(day)


def next_reminders(schedule: Schedule, tenant: str, timezone: str, now: dt.datetime, *,
                   done_today: bool, retry_after: dt.datetime | None,
                   holiday: Holiday = no_holiday,
                   today: dt.date | None = None) -> dt.datetime | None:
    """When the reminders job is next due (<= now means: due now); None if never (disabled).

    `done_today`: an `ok` run exists for the current local day. `retry_after`: earliest retry of
    a failed run today. `today` forces the day (`--today`), in which case only that day runs.
    """
    day = today or local_day(now, timezone)
    if runs_on(schedule, day, holiday) and not done_today:
        start = reminders_start(schedule, tenant, timezone, day)
        return max(start, retry_after) if retry_after else start
    if today is not None:
        return None
    for ahead in range(1, 15):
        candidate = day + dt.timedelta(days=ahead)
        if runs_on(schedule, candidate, holiday):
            return reminders_start(schedule, tenant, timezone, candidate)
    return None


def next_sync(schedule: Schedule, tenant: str,
              last_started: dt.datetime | None) -> dt.datetime | None:
    """When the hourly (or so) sync is next due; the first one is due at once."""
    if not schedule.enabled:
        return None
    if last_started is None:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    period = dt.timedelta(minutes=schedule.sync_every_minutes)
    return last_started + period + jitter(tenant, last_started.isoformat(),
                                          min(schedule.jitter_minutes,
                                              schedule.sync_every_minutes / 4))
