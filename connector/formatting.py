"""Amounts, rates and dates as a French (or English) reader expects them, through Babel.

At the bottom of the house so that templates, terminal tables and reports format alike.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any

import orjson
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@functools.cache
def locale(language: str) -> Locale:
    """Parsed once: Babel re-parses a locale name on every call otherwise."""
    return Locale.parse(LOCALES.get(language, LOCALES["fr"]))


def money(value: Any, currency: str = "EUR", language: str = "fr") -> str:
    amount = Decimal(str(value))
    shape = _money_shape(currency, language)
    if shape is None or amount < 0 or not amount.is_finite():
        return str(format_currency(amount, currency, locale=locale(language)))
    return _apply(shape, amount)


_SAMPLES = ("0", "0.5", "7", "12.34", "999.99", "1000", "1234567.891", "0.005", "100000000")


@functools.cache
def _money_shape(currency: str, language: str) -> tuple[int, str, str, str, str] | None:
    """How Babel writes a positive amount in this currency and language, read off its output once:
    (decimals, text before the number, group separator, decimal point, text after), or None when
    the shortcut would not give Babel's very words (then Babel formats every amount). A plan table
    of 40k lines costs 19 µs a line through Babel, well under 1 µs this way (issue 18)."""
    where = locale(language)
    sample = str(format_currency(Decimal("1111111.25"), currency, locale=where))
    first = next((i for i, c in enumerate(sample) if c.isdigit()), None)
    last = next((i for i in range(len(sample) - 1, -1, -1) if sample[i].isdigit()), None)
    if first is None or last is None or not sample.startswith("1", first):
        return None
    number = sample[first:last + 1]
    group = number[1]
    marks = [c for c in number if not c.isdigit()]
    point = marks[-1] if number.endswith(("25", "2")) and len(marks) == 3 else ""
    digits = len(number) - number.rfind(point) - 1 if point else 0
    shape = (digits, sample[:first], group, point or ".", sample[last + 1:])
    if any(_apply(shape, Decimal(v)) != str(format_currency(Decimal(v), currency, locale=where))
           for v in _SAMPLES):
        return None
    return shape


def _apply(shape: tuple[int, str, str, str, str], amount: Decimal) -> str:
    digits, prefix, group, point, suffix = shape
    number = f"{amount:,.{digits}f}".replace(",", "\0").replace(".", point).replace("\0", group)
    return prefix + number + suffix


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


def indented_json(values: Any) -> str:
    """`json.dumps(values, indent=2, ensure_ascii=False)`'s text, by orjson: the standard library
    indents in Python (1.3 s of `report --json` at 100k documents), with nested functions that
    make reference cycles on every call (+57 MB for `plan --json` under `one_pass`, issue 18).
    The standard library where orjson refuses: a lone surrogate, an integer past 64 bits."""
    try:
        return orjson.dumps(values, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:
        return json.dumps(values, indent=2, ensure_ascii=False)
