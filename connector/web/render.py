"""Jinja2 for the cockpit: autoescaping on for every template (a customer named `<b>{{x}}</b>`
is shown as those characters), the words in the reader's language, amounts and dates via Babel."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from connector import formatting
from connector.clock import local_time
from connector.reports.labels import labels
from connector.rules.words import STAGE_WORDS
from connector.web.words import known, word

TEMPLATES = Path(__file__).with_name("templates")


def _money(value: Any, currency: str = "EUR", language: str = "fr") -> str:
    if value is None or value == "":
        return "–"
    return formatting.money(Decimal(str(value)), currency, language)


def _day(value: Any, language: str = "fr") -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    day: dt.date = value
    return day.strftime("%d/%m/%Y") if language == "fr" else day.isoformat()


def _label(value: Any, kind: str, language: str = "fr") -> str:
    """An identifier (a level, a channel, a status, a role) as a person reads it; one the
    cockpit has no words for (a custom level) is shown as it is."""
    if value is None or value == "":
        return ""
    text = str(value)
    if kind == "level":
        return STAGE_WORDS["en" if language == "en" else "fr"].get(text, text)
    return known(f"{kind}_{text}", language, text)


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = _money
    env.filters["day"] = _day
    env.filters["label"] = _label
    env.filters["moment"] = lambda v, tz="Europe/Paris": local_time(v, tz)
    return env


def page(template: str, language: str, **values: Any) -> str:
    def t(key: str, **fields: Any) -> str:
        return word(key, language, **fields)

    def r(key: str) -> str:  # the report's own labels (KPI names, aging buckets)
        return labels(language).get(key, key)

    return environment().get_template(template).render(t=t, r=r, lang=language, **values)
