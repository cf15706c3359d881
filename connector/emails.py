"""Is this an email address we may write to? Syntax, IDNA domains and UTF-8 local parts, checked by
the `email-validator` library (RFC 5321/5322/6531), never by a hand-written regex. One shortcut:
the plain shape every ledger is full of (`compta@exemple.fr`: ASCII letters, digits and `._%+-`)
is answered without the library, with the library's own answer for that shape (a test compares
both on thousands of addresses): planning asks about every customer's addresses on every run.

At the bottom of the house: the models split a vendor's free-text field into addresses, the sync
logs the ones refused, the dispatcher re-checks recipients right before sending.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# What vendors put between several addresses in one field ("a@x.fr; b@x.fr", "a@x.fr, b@x.fr").
SEPARATORS = re.compile(r"[;,\s]+")
# Dot-atom local part of common characters, and a domain of letter-digit-hyphen labels (no label
# starting or ending with "-", none with "--" such as IDNA's "xn--"), ending in a letters-only TLD.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?!-))*(?<!-)"
PLAIN = re.compile(rf"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


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
    plain = _plain(value.strip())
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value.strip(), check_deliverability=False,
                                allow_smtputf8=True)
    except EmailNotValidError as exc:
        return InvalidAddress(value, str(exc))
    return Address(normalized=result.normalized, ascii=result.ascii_email)


def _plain(value: str) -> Address | None:
    """The library's answer for a plain ASCII address, or None to ask the library."""
    if len(value) > 254 or PLAIN.fullmatch(value) is None:
        return None
    local, _, domain = value.partition("@")
    domain = domain.lower()
    if len(local) > 64 or len(domain) > 253 or any(
            len(label) > 63 for label in domain.split(".")) or any(
            domain == special or domain.endswith("." + special)
            for special in _special_use_domains()):
        return None
    address = f"{local}@{domain}"
    return Address(normalized=address, ascii=address)


@functools.cache
def _special_use_domains() -> tuple[str, ...]:
    """The library's reserved domains (`.local`, `.test`…); imported with the library on the
    first address asked about (its regular expressions take a while to build), so a command that
    checks none, such as `status`, never loads it."""
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    return tuple(SPECIAL_USE_DOMAIN_NAMES)


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
