"""Is this an email address we may write to? Syntax, IDNA domains and UTF-8 local parts, checked by
the `email-validator` library (RFC 5321/5322/6531), never by a hand-written regex.

At the bottom of the house: the models split a vendor's free-text field into addresses, the sync
logs the ones refused, the dispatcher re-checks recipients right before sending.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

# What vendors put between several addresses in one field ("a@x.fr; b@x.fr", "a@x.fr, b@x.fr").
SEPARATORS = re.compile(r"[;,\s]+")


@dataclass(frozen=True)
class Address:
    """A valid address: `ascii` is what goes on the wire when it can be ASCII (an IDN domain in
    punycode); None when the local part itself is UTF-8 and needs a server offering SMTPUTF8."""

    normalized: str
    ascii: str | None

    @property
    def needs_smtputf8(self) -> bool:
        return self.ascii is None

    @property
    def wire(self) -> str:
        return self.ascii or self.normalized


class InvalidAddress(ValueError):
    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r}: {reason}")
        self.value = value
        self.reason = reason


def check(value: str) -> Address:
    """The address, normalized (domain lower-cased and in Unicode); InvalidAddress else."""
    found = _checked(value)
    if isinstance(found, InvalidAddress):
        raise InvalidAddress(found.value, found.reason)
    return found


@functools.lru_cache(maxsize=65536)
def _checked(value: str) -> Address | InvalidAddress:
    """Cached: planning asks about every customer's addresses on every run."""
    try:
        result = validate_email(value.strip(), check_deliverability=False,
                                allow_smtputf8=True)
    except EmailNotValidError as exc:
        return InvalidAddress(value, str(exc))
    return Address(normalized=result.normalized, ascii=result.ascii_email)


def split(text: str | None) -> tuple[list[str], list[InvalidAddress]]:
    """The addresses in one field, and what in it is not an address (with the reason)."""
    good: list[str] = []
    bad: list[InvalidAddress] = []
    for part in SEPARATORS.split(text or ""):
        if not part:
            continue
        try:
            good.append(check(part).normalized)
        except InvalidAddress as exc:
            bad.append(exc)
    return good, bad
