"""What the CLI says to a person, French first, English beside it: one catalogue, `say()`.

A dict of (French, English) pairs with named `str.format` placeholders, as the cockpit
(web/words.py) and the reports (reports/labels.py) already do, rather than gettext: a message and
its translation sit on the same line, so neither can be forgotten or drift (tests/commands/
test_words.py checks both have the same placeholders), there is no .po/.mo file to compile and
ship in the wheel, and importing it costs nothing (`relance --help` stays light).

The language is the tenant's `language` once a config is loaded (`Obj.language`); before that
(init, errors while loading), `RELANCE_LANG`, then the locale (LC_ALL, LC_MESSAGES, LANG), French
by default. Amounts and dates are formatted by the caller for the same language
(connector/formatting.py). Machine output (--json) never goes through here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from connector.commands.catalogue import MESSAGES

LANGUAGES = ("fr", "en")


def say(key: str, language: str, /, **values: Any) -> str:
    """The message `key` in `language` (French unless "en"), its placeholders filled."""
    french, english = MESSAGES[key]
    return (english if language == "en" else french).format(**values)


def env_language(environ: Mapping[str, str] | None = None) -> str:
    """The language asked for outside any config: RELANCE_LANG, then the locale's prefix."""
    env = os.environ if environ is None else environ
    for name in ("RELANCE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip().lower()
        if value:
            prefix = value.replace("-", "_").split("_")[0].split(".")[0]
            return prefix if prefix in LANGUAGES else "fr"
    return "fr"



def label(prefix: str, identifier: str, language: str) -> str:
    """The words for an identifier (`state.sent`, `stream.invoices`), or the identifier itself
    when the catalogue has none (a vendor's stream, a custom level)."""
    pair = MESSAGES.get(f"{prefix}.{identifier}")
    return identifier if pair is None else pair[1 if language == "en" else 0]


def counts(values: Mapping[str, int], prefix: str, language: str) -> str:
    """"factures 12, paiements 3": a count per identifier, each named in `language`."""
    return ", ".join(f"{label(prefix, k, language)} {v}" for k, v in values.items())
