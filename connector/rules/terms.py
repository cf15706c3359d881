"""Payment terms as French invoices state them ("30 jours", "45 jours fin de mois", "à
réception"), turned into a due date. Sources without due dates (the FEC, some spreadsheets) use
them; the computation is pure so it is tested once here.

"N jours fin de mois" has two lawful readings (C. com. L. 441-10; DGCCRF and CEPC answers):
invoice date + N days, then the end of that month ("add_then_end", the first practice the CEPC
describes), or the end of the invoice's month, then + N days ("end_then_add"). The reading is
configured; "le 10" after "fin de mois" moves the date to that day of the following month.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from connector.rules.calendar import end_of_month

EndOfMonthRule = Literal["add_then_end", "end_then_add"]
_TERMS = re.compile(
    r"^(?:(?P<days>\d{1,3})\s*(?:jours?|j|days?|d)(?:\s*nets?)?)?\s*"
    r"(?P<eom>(?:,\s*)?(?:fin\s+de\s+mois|fdm|end\s+of\s+month|eom))?\s*"
    r"(?:(?:,\s*)?(?:le|on\s+the)\s+(?P<day>\d{1,2}))?$")
_IMMEDIATE = {"a reception", "comptant", "reception", "immediat", "due on receipt",
              "on receipt", "0", "0 jour", "0 jours"}


@dataclass(frozen=True)
class PaymentTerms:
    """`days` after the invoice date, optionally to the end of month, optionally on `day`."""

    days: int
    end_of_month: bool = False
    day_of_month: int | None = None
    rule: EndOfMonthRule = "add_then_end"
    text: str = ""

    @classmethod
    def parse(cls, text: str, rule: EndOfMonthRule = "add_then_end") -> PaymentTerms:
        """The terms a person wrote; a ValueError names what could not be read."""
        plain = _plain(text)
        if plain in _IMMEDIATE:
            return cls(0, text=text)
        match = _TERMS.match(plain)
        if not plain or match is None or not (match["days"] or match["eom"]):
            raise ValueError(f"payment terms {text!r} not understood (write e.g. \"30 jours\", "
                             f"\"45 jours fin de mois\", \"30 jours fin de mois le 10\")")
        days = int(match["days"] or 0)
        day = int(match["day"]) if match["day"] else None
        if day is not None and not 1 <= day <= 31:
            raise ValueError(f"payment terms {text!r}: no day {day} in a month")
        if days > 366:
            raise ValueError(f"payment terms {text!r}: more than a year")
        return cls(days, bool(match["eom"]), day, rule, text)

    def due(self, issued: dt.date) -> dt.date:
        """The due date of an invoice issued on `issued`."""
        if not self.end_of_month:
            due = issued + dt.timedelta(days=self.days)
        elif self.rule == "end_then_add":
            due = end_of_month(issued) + dt.timedelta(days=self.days)
        else:
            due = end_of_month(issued + dt.timedelta(days=self.days))
        if self.day_of_month is not None:
            following = end_of_month(due) + dt.timedelta(days=1)
            due = following.replace(day=min(self.day_of_month, end_of_month(following).day))
        return due


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", folded.strip().lower().replace("à", "a"))
