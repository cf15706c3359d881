"""Business days, French public holidays and the send window. Pure: every function takes the date.

Reminders go out on business days only: not on a weekend, not on a French public holiday (the
legal list, Code du travail L3133-1), and, for firms in Alsace-Moselle, not on Good Friday or
26 December either (local law, L3134-13, `calendar = "alsace-moselle"`). A plan asked for on a
non-business day is empty; the next business day catches up, because the engine always takes the
highest level an invoice has reached, so no level is lost, only its date moves.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from dateutil.easter import easter

from connector.clock import DEFAULT_TIMEZONE

CalendarName = Literal["france", "alsace-moselle", "none"]
Names = tuple[str, str]  # French, English

# The public holidays computed from their rules (Easter from python-dateutil), with the names the
# `holidays` package gives them: the same days and names as its France (subdivision 57 for
# Alsace-Moselle) for 1960-2060, compared in tests/rules/test_calendar.py. Importing that package
# (its calendars, gettext catalogues) cost ~50 ms of every plan (issue 18).
_ON_DATE: tuple[tuple[int, int, Names], ...] = (
    (1, 1, ("Jour de l'an", "New Year's Day")),
    (5, 1, ("Fête du Travail", "Labor Day")),
    (7, 14, ("Fête nationale", "National Day")),
    (8, 15, ("Assomption", "Assumption Day")),
    (11, 1, ("Toussaint", "All Saints' Day")),
    (11, 11, ("Armistice", "Armistice Day")),
    (12, 25, ("Noël", "Christmas Day")),
)
_VICTORY = (5, 8, ("Fête de la Victoire", "Victory Day"))  # removed 1960, back since 1982
_AFTER_EASTER: tuple[tuple[int, Names], ...] = (
    (1, ("Lundi de Pâques", "Easter Monday")),
    (39, ("Ascension", "Ascension Day")),
)
# a working day (the "journée de solidarité") from 2005 to 2007 (loi 2004-626, loi 2008-351)
_WHIT_MONDAY = (50, ("Lundi de Pentecôte", "Pentecost Monday"))
_ALSACE_MOSELLE_ON_DATE = ((12, 26, ("Saint-Étienne", "Saint Stephen's Day")),)
_ALSACE_MOSELLE_AFTER_EASTER = ((-2, ("Vendredi saint", "Good Friday")),)


@lru_cache(maxsize=64)
def _holidays(name: str, year: int) -> dict[dt.date, Names]:
    if name == "none":
        return {}
    on_date = list(_ON_DATE)
    if year >= 1982:
        on_date.append(_VICTORY)
    after_easter = list(_AFTER_EASTER)
    if not 2005 <= year <= 2007:
        after_easter.append(_WHIT_MONDAY)
    if name == "alsace-moselle":
        on_date += _ALSACE_MOSELLE_ON_DATE
        after_easter += _ALSACE_MOSELLE_AFTER_EASTER
    sunday = easter(year)
    named: dict[dt.date, list[Names]] = {}
    for day, names in [*((dt.date(year, month, day), names) for month, day, names in on_date),
                       *((sunday + dt.timedelta(days=n), names) for n, names in after_easter)]:
        named.setdefault(day, []).append(names)
    # Ascension on 1 or 8 May: both names, in the order the holidays package writes them
    return {day: ("; ".join(sorted(fr for fr, _ in both)), "; ".join(sorted(en for _, en in both)))
            for day, both in named.items()}


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days count. `none` makes every day a business day (tests, 7/7 businesses)."""

    name: CalendarName = "france"

    def holiday(self, day: dt.date, language: str = "fr") -> str | None:
        """The holiday's name in French (or English), or None (used by `rules explain`)."""
        names = _holidays(self.name, day.year).get(day)
        if names is None:
            return None
        return names[1] if language == "en" else names[0]

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
        return f"{day.isoformat()} is a public holiday ({self.holiday(day, 'en')})"

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
