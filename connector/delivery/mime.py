"""The email package's policies, made cheap to use thousands of times a run; the same bytes.

`email.policy.default` rebuilds, for every header of every message, a new header class
(`HeaderRegistry.__getitem__` calls `type()`), parses the value and, when the message is written,
folds it again. Most headers of a reminder are the same in every message of a run (From,
Reply-To, Auto-Submitted, MIME-Version, X-Relance-Level, each part's Content-Type and
Content-Transfer-Encoding, the Date of a frozen clock; From, given as an `Address`, by its name and address): `POLICY` and `POLICY_UTF8` are the
default and SMTPUTF8 policies with the header classes made once and those headers parsed and
folded once per value. Values that differ per message and are plain ASCII on one line (To, Cc,
Message-ID, X-Relance-Key, X-Relance-Invoices) are kept as the text they are: written as they
came, which is what parsing and folding them gave; a multipart Content-Type with its drawn
boundary is folded as a model of the same shape was. `as_bytes` writes a message with a generator
that draws the multipart boundary as the email package does but checks it against the parts with
a substring search, not a regular expression compiled per message. The output is that of the
email package itself; tests/delivery/test_mime.py and test_golden_eml.py hold it to the bytes.
"""

from __future__ import annotations

import io
import re
from email.generator import BytesGenerator
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import Message
from email.policy import EmailPolicy
from typing import Any

REPEATED = frozenset({"from", "reply-to", "date", "auto-submitted", "mime-version",
                      "content-type", "content-transfer-encoding", "x-relance-level", "subject"})
"""Headers whose values repeat from one message to the next (a boundary never does; a subject
often does: "Atelier Dupuis – 2 factures en attente de règlement")."""
PLAIN = frozenset({"to", "cc", "message-id", "x-relance-key", "x-relance-invoices"})
"""Headers that differ per message and whose plain values are their own folded form."""
_PLAIN_VALUE = re.compile(r"[!-~]+(?:, [!-~]+)*")
"""Printable ASCII words, separated by ", " only: no encoded word to decode (checked apart), no
line break, no run of spaces for the parser to keep or fold."""
_DRAWN = re.compile(r'multipart/[a-z]+; boundary="(={15}[0-9]{19}==)"')
"""A multipart Content-Type as the generator sets it, its boundary as the email package draws
it: folded as a model of the same shape is, the model's boundary then replaced by the drawn one
(digits for digits: the same tokens, the same folding)."""
_MODEL = "=" * 15 + "0" * 19 + "=="
LIMIT = 4096
_parsed: dict[tuple[str, ...], tuple[str, Any]] = {}
_folded: dict[tuple[Any, ...], bytes] = {}


class _Registry(HeaderRegistry):
    """The standard registry, each header's class built once instead of once per header."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


def _repeated(name: str, value: object) -> bool:
    return name.lower() in REPEATED and isinstance(value, str) and "boundary=" not in value


class _Policy(EmailPolicy):
    """EmailPolicy whose repeated headers are parsed and folded once per distinct value, and
    whose plain per-message headers are not parsed at all."""

    def _plain(self, name: str, value: object) -> bool:
        """A value the header registry would write back as it is: one short line of plain
        ASCII (`fold_binary` writes a str value that fits on a line unchanged, as the parsed
        header's fold does, its parse tree keeping every character of such a value)."""
        return (isinstance(value, str) and name.lower() in PLAIN and "=?" not in value
                and len(name) + 2 + len(value) <= (self.max_line_length or len(value))
                and _PLAIN_VALUE.fullmatch(value) is not None)

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if self._plain(name, value) or _drawn(name, value):
            return name, value  # reading it back (`message["To"]`) parses it, as before
        if isinstance(value, Address) and name.lower() in REPEATED:  # the sender, every message
            key: tuple[str, ...] = (name, "address", value.display_name, value.addr_spec)
        elif not _repeated(name, value) or hasattr(value, "name"):
            return super().header_store_parse(name, value)
        else:
            key = (name, str(value))
        found = _parsed.get(key)
        if found is None:
            if len(_parsed) > LIMIT:
                _parsed.clear()
            found = _parsed[key] = super().header_store_parse(name, value)
        return found

    def fold_binary(self, name: str, value: Any) -> bytes:
        boundary = _drawn(name, value)
        if boundary:
            model = self._fold_once(name, value.replace(boundary, _MODEL))
            return model.replace(_MODEL.encode("ascii"), boundary.encode("ascii"))
        if not _repeated(name, value):
            return super().fold_binary(name, value)
        return self._fold_once(name, value)

    def _fold_once(self, name: str, value: Any) -> bytes:
        key = (self.utf8, self.max_line_length, self.linesep, self.cte_type,
               self.refold_source, name, type(value).__mro__[1:2], str(value))
        found = _folded.get(key)
        if found is None:
            if len(_folded) > LIMIT:
                _folded.clear()
            found = _folded[key] = super().fold_binary(name, value)
        return found


def _drawn(name: str, value: object) -> str:
    """The drawn boundary of a multipart Content-Type set by the generator, else ''."""
    if type(value) is not str or name.lower() != "content-type":
        return ""
    match = _DRAWN.fullmatch(value)
    return match[1] if match else ""


POLICY = _Policy(header_factory=_Registry())
"""Same settings as `email.policy.default`."""
POLICY_UTF8 = POLICY.clone(linesep="\r\n", utf8=True)
"""Same settings as `email.policy.SMTPUTF8` (a UTF-8 local part)."""


class _Generator(BytesGenerator):
    """The email package's generator; a boundary found nowhere in the parts (a random 19-digit
    number: always) is taken without compiling a pattern for it, as the standard check would."""

    @classmethod
    def _make_boundary(cls, text: str | bytes | None = None) -> str:
        draw = super()._make_boundary  # type: ignore[misc]  # (not in typeshed)
        boundary = str(draw())  # the same random draw, unchecked
        if text is None or not _occurs("--" + boundary, text):
            return boundary
        return str(draw(text))  # it occurs: the standard check, with a new draw


def _occurs(needle: str, text: str | bytes) -> bool:
    return needle.encode("ascii") in text if isinstance(text, bytes) else needle in text


def as_bytes(message: Message) -> bytes:
    """`message.as_bytes()`, with the cheaper boundary check."""
    out = io.BytesIO()
    _Generator(out, mangle_from_=False, policy=message.policy).flatten(message)
    return out.getvalue()
