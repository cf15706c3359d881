"""The cheaper email policies write exactly what the email package's own policies write."""

from __future__ import annotations

import datetime as dt
import random
from email import policy

import pytest

from connector.config import SenderConfig
from connector.delivery import email as email_delivery
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
}


def messages(subject: str, recipients: list[str]) -> list[bytes]:
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
        out.append(message.as_bytes())
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_bytes_are_those_of_the_standard_policies(case: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    subject, recipients = CASES[case]
    ours = messages(subject, recipients) + messages(subject, recipients)  # warm caches too
    monkeypatch.setattr(email_delivery, "POLICY", policy.default)
    monkeypatch.setattr(email_delivery, "POLICY_UTF8", policy.SMTPUTF8)
    standard = messages(subject, recipients) * 2
    assert ours == standard
    assert b"Subject: " in ours[0] and b"X-Relance-Key: " in ours[0]
