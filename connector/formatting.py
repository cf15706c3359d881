"""Amounts, rates and dates as a French (or English) reader expects them, through Babel.

At the bottom of the house so that templates, terminal tables and reports format alike.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@functools.lru_cache(maxsize=None)
def locale(language: str) -> Locale:
    """Parsed once: Babel re-parses a locale name on every call otherwise."""
    return Locale.parse(LOCALES.get(language, LOCALES["fr"]))


def money(value: Any, currency: str = "EUR", language: str = "fr") -> str:
    return str(format_currency(Decimal(str(value)), currency, locale=locale(language)))


def rate(value: Any, language: str = "fr") -> str:
    return str(format_decimal(Decimal(str(value)), locale=locale(language)))


def long_date(value: Any, language: str = "fr") -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return str(format_date(day, format="long" if language == "en" else "d MMMM y",
                           locale=locale(language)))
