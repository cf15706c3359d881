"""Business days, French public holidays and the send window. Pure: every function takes the date.

Reminders go out on business days only: not on a weekend, not on a French public holiday (from the
`holidays` package, which follows the legal list), and, for firms in Alsace-Moselle, not on Good
Friday or 26 December either (local law, `calendar = "alsace-moselle"`). A plan asked for on a
non-business day is empty; the next business day catches up, because the engine always takes the
highest level an invoice has reached, so no level is lost, only its date moves.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import importlib.util
import re
import sys
import types
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from connector.clock import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from holidays.countries.france import France

CalendarName = Literal["france", "alsace-moselle", "none"]
# holidays' subdivision code for Moselle (57); Bas-Rhin and Haut-Rhin share the same two days.
_ALSACE_MOSELLE = "57"


@lru_cache(maxsize=1)
def _france() -> type[France]:
    """The `holidays` package's France alone. Importing `holidays.countries.france` runs the
    `holidays.countries` package first, which imports all ~280 countries (60-70 ms at every
    start, issue 18); a package module standing for it, with the same search path, lets Python
    find france.py without running that `__init__`. Any other country still imports by name."""
    if "holidays.countries" not in sys.modules:
        found = importlib.util.find_spec("holidays")
        if found is not None and found.submodule_search_locations:
            package = types.ModuleType("holidays.countries")
            package.__path__ = [str(Path(next(iter(found.submodule_search_locations)))
                                    / "countries")]
            package.__package__ = "holidays.countries"
            sys.modules["holidays.countries"] = package
    from holidays.countries.france import France

    return France


def _calendar_of(name: str, year: int) -> France:
    subdiv = _ALSACE_MOSELLE if name == "alsace-moselle" else None
    return _france()(years=year, subdiv=subdiv)


@lru_cache(maxsize=64)
def _holidays(name: str, year: int) -> frozenset[dt.date]:
    if name == "none":
        return frozenset()
    return frozenset(_calendar_of(name, year).keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days count. `none` makes every day a business day (tests, 7/7 businesses)."""

    name: CalendarName = "france"

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's name, or None (used by `rules explain`)."""
        if day not in _holidays(self.name, day.year):
            return None
        return str(_calendar_of(self.name, day.year).get(day))

    def is_business_day(self, day: dt.date) -> bool:
        if self.name == "none":
            return True
        return day.weekday() < 5 and day not in _holidays(self.name, day.year)

    def why_not(self, day: dt.date) -> str | None:
        """None on a business day, else the reason in words."""
        if self.is_business_day(day):
            return None
        if day.weekday() >= 5:
            return f"{day.isoformat()} is a {day.strftime('%A')}"
        return f"{day.isoformat()} is a public holiday ({self.holiday(day)})"

    def add_business_days(self, start: dt.date, count: int) -> dt.date:
        """`count` business days after `start` (before it when negative); 0 gives `start`."""
        step = 1 if count >= 0 else -1
        day, left = start, abs(count)
        while left:
            day += dt.timedelta(days=step)
            if self.is_business_day(day):
                left -= 1
        return day

    def next_business_day(self, day: dt.date) -> dt.date:
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def last_business_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a business day, else the one before it."""
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day


def end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class SendWindow:
    """Hours during which messages may leave, in the tenant's time zone ("08:30-18:00")."""

    start: dt.time
    end: dt.time
    timezone: str = DEFAULT_TIMEZONE
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    @classmethod
    def parse(cls, text: str | None, timezone: str = DEFAULT_TIMEZONE,
              calendar: BusinessCalendar | None = None) -> SendWindow | None:
        if not text:
            return None
        match = _WINDOW.match(text.strip())
        if not match:
            raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start = dt.time(h1, m1)
        end = dt.time.max if (h2, m2) >= (24, 0) else dt.time(h2, m2)
        if end <= start:
            raise ValueError(f"the window ends before it starts: {text!r}")
        return cls(start, end, timezone, calendar or BusinessCalendar())

    def allows(self, now: dt.datetime) -> bool:
        """True when `now` (aware) falls on a business day inside the hours, in the tenant's zone."""
        local = now.astimezone(zoneinfo.ZoneInfo(self.timezone))
        return self.calendar.is_business_day(local.date()) and \
            self.start <= local.time().replace(tzinfo=None) < self.end


def parse_window(text: str | None) -> str | None:
    """Validator for the config: raises ValueError with the expected shape."""
    SendWindow.parse(text)
    return text
