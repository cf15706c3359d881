"""The cheaper email policies write exactly what the email package's own policies write."""

from __future__ import annotations

import datetime as dt
import random
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.message import EmailMessage

import pytest

from connector.config import SenderConfig
from connector.delivery import email as email_delivery
from connector.delivery import mime
from connector.delivery.render import Rendered

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone.utc)
SENDER = SenderConfig(name="Atelier Dupuis & Fils – Lyon", email="compta@atelier-dupuis.fr",
                      reply_to="relances@atelier-dupuis.fr")
TEXT = ("Bonjour,\n\nSauf erreur de notre part, nous n'avons pas encore reçu le règlement des "
        "factures suivantes, arrivées à échéance :\n\n- Facture F2026-1 : 1 010,59 €\n")
CASES = {
    "accented subject, two recipients": (
        "Atelier Dupuis – 3 factures en attente de règlement", ["a@exemple.fr", "b@exemple.fr"]),
    "a subject long enough to fold": (
        "Atelier Dupuis & Fils – Lyon – Mise en demeure de payer les factures F2026-00001, "
        "F2026-00002 et F2026-00003 avant le 15 décembre 2026", ["compta@client.fr"]),
    "a UTF-8 local part (SMTPUTF8)": ("Relance", ["Ève.Dupré@exemple.fr", "x@exemple.fr"]),
    "an IDN domain": ("Relance", ["compta@société.fr"]),
    "recipients too many for one line": (
        "Relance", [f"comptabilite.fournisseurs{n}@groupe-exemple.fr" for n in range(4)]),
}


def messages(subject: str, recipients: list[str], standard: bool = False) -> list[bytes]:
    """The same three messages (the last with a PDF), boundaries drawn from a fixed seed."""
    random.seed(7)
    rendered = Rendered(subject=subject, text=TEXT, html=f"<p>{TEXT}</p>")
    out = []
    for n in range(3):
        attachments = [("facture-F1.pdf", b"%PDF-1.4 " * 200, "application/pdf")] if n == 2 \
            else []
        message = email_delivery.build_message(
            rendered, sender=SENDER, recipients=recipients, key=f"{n:032x}", now=NOW,
            attachments=attachments, level="first", invoices=["F2026-1", "F2026-2"])
        message["Cc"] = "dirigeant@client.fr"
        out.append(message.as_bytes() if standard else mime.as_bytes(message))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_bytes_are_those_of_the_standard_policies(case: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    subject, recipients = CASES[case]
    ours = messages(subject, recipients) + messages(subject, recipients)  # warm caches too
    monkeypatch.setattr(email_delivery, "POLICY", policy.default)
    monkeypatch.setattr(email_delivery, "POLICY_UTF8", policy.SMTPUTF8)
    standard = messages(subject, recipients, standard=True) * 2
    assert ours == standard
    assert b"Subject: " in ours[0] and b"X-Relance-Key: " in ours[0]


ODD_VALUES = [
    "<0123@atelier-dupuis.fr>", "a@b.fr, c@d.fr", "a@b.fr,c@d.fr", "a@b.fr,  c@d.fr",
    " a@b.fr", "a@b.fr ", "=?utf-8?q?Caf=C3=A9?= <a@b.fr>", "=?utf-8?q?x?=", '"a, b"@x.fr',
    "(note) a@b.fr", "Dupré <a@b.fr>", "a@b.fr\tc", "F2026-1,F2026-2," + "F2026-3" * 12, "x" * 73,
    "x" * 74, "", "a@@b", "a\x1cb",
]  # not "<>": the standard Message-ID parser raises IndexError on it (ours when it is read back)


@pytest.mark.parametrize("name", ["To", "Cc", "Message-ID", "X-Relance-Key",
                                  "X-Relance-Invoices"])
def test_a_per_message_header_is_written_as_the_standard_policy_writes_it(name: str) -> None:
    """Odd values too: what the shortcut takes must be what parsing and folding write; what it
    does not take goes the standard way (an error stays an error)."""
    for value in ODD_VALUES:
        written = []
        for chosen in (mime.POLICY, policy.default):
            message = EmailMessage(policy=chosen)
            try:
                message[name] = value
            except ValueError:  # a line break: refused by both
                written.append((b"refused", ""))
                continue
            message.set_content("x")
            try:
                written.append((message.as_bytes() if chosen is policy.default
                                else mime.as_bytes(message), str(message[name])))
            except UnicodeEncodeError:  # non-ASCII where 7-bit is due: unwritable by both
                written.append((b"unwritable", ""))
        assert written[0] == written[1], value


def test_a_boundary_that_occurs_in_a_part_is_never_used() -> None:
    """The draw the check is skipped for is the standard one; when a part holds it (a text
    quoting that very line), another boundary is drawn and the message parses back whole."""
    random.seed(11)
    boundary = BytesGenerator._make_boundary()  # type: ignore[attr-defined]
    text = f"Bonjour,\n--{boundary}\nfin\n"
    message = EmailMessage(policy=mime.POLICY)
    message["X-Relance-Key"] = "k"
    message.set_content(text)
    message.add_alternative(f"<p>{text}</p>", subtype="html")
    random.seed(11)
    written = mime.as_bytes(message)
    parsed = message_from_bytes(written, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    used = parsed.get_boundary()
    assert used is not None and used != boundary and f"--{boundary}\n".encode() in written
    assert [part.get_content() for part in parsed.iter_parts()] == [text, f"<p>{text}</p>\n"]
