"""The email package's policies, made cheap to use thousands of times a run; the same bytes.

`email.policy.default` rebuilds, for every header of every message, a new header class
(`HeaderRegistry.__getitem__` calls `type()`), parses the value and, when the message is written,
folds it again. Most headers of a reminder are the same in every message of a run (From,
Reply-To, Auto-Submitted, MIME-Version, X-Relance-Level, each part's Content-Type and
Content-Transfer-Encoding, the Date of a frozen clock; From, given as an `Address`, by its name and address): `POLICY` and `POLICY_UTF8` are the
default and SMTPUTF8 policies with the header classes made once and those headers parsed and
folded once per value. Values that differ per message (Subject, To, the multipart boundary) are
parsed as before. The output is that of the email package itself;
tests/delivery/test_golden_eml.py holds it to the bytes.
"""

from __future__ import annotations

from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.policy import EmailPolicy
from typing import Any

REPEATED = frozenset({"from", "reply-to", "date", "auto-submitted", "mime-version",
                      "content-type", "content-transfer-encoding", "x-relance-level", "subject"})
"""Headers whose values repeat from one message to the next (a boundary never does; a subject
often does: "Atelier Dupuis – 2 factures en attente de règlement")."""
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
    """EmailPolicy whose repeated headers are parsed and folded once per distinct value."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
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
        if not _repeated(name, value):
            return super().fold_binary(name, value)
        key = (self.utf8, self.max_line_length, self.linesep, self.cte_type,
               self.refold_source, name, type(value).__mro__[1:2], str(value))
        found = _folded.get(key)
        if found is None:
            if len(_folded) > LIMIT:
                _folded.clear()
            found = _folded[key] = super().fold_binary(name, value)
        return found


POLICY = _Policy(header_factory=_Registry())
"""Same settings as `email.policy.default`."""
POLICY_UTF8 = POLICY.clone(linesep="\r\n", utf8=True)
"""Same settings as `email.policy.SMTPUTF8` (a UTF-8 local part)."""
