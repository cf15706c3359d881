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


@functools.cache
def locale(language: str) -> Locale:
    """Parsed once: Babel re-parses a locale name on every call otherwise."""
    return Locale.parse(LOCALES.get(language, LOCALES["fr"]))


def money(value: Any, currency: str = "EUR", language: str = "fr") -> str:
    return str(format_currency(Decimal(str(value)), currency, locale=locale(language)))


def rate(value: Any, language: str = "fr") -> str:
    return str(format_decimal(Decimal(str(value)), locale=locale(language)))


def long_date(value: Any, language: str = "fr") -> str:
    """"1 December 2026"; in French the first of the month is an ordinal: "1er décembre 2026"."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if language == "en":
        return str(format_date(day, format="long", locale=locale(language)))
    text = str(format_date(day, format="MMMM y", locale=locale(language)))
    return f"{'1er' if day.day == 1 else day.day} {text}"


def ngettext(singular: str, plural: str, count: int, language: str = "fr") -> str:
    """gettext's ngettext with the language's CLDR plural rule from Babel: French puts 0 and 1 in
    the singular ("0 jour", "1 jour"), English only 1; the many-form of French millions is plural."""
    return singular if locale(language).plural_form(abs(count)) == "one" else plural
