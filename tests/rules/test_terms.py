"""Payment terms as French invoices write them, to a due date (both "fin de mois" readings)."""

from __future__ import annotations

import datetime as dt

import pytest

from connector.rules.terms import PaymentTerms

D = dt.date


@pytest.mark.parametrize(("text", "issued", "due"), [
    ("30 jours", D(2026, 1, 15), D(2026, 2, 14)),
    ("30 jours nets", D(2026, 1, 31), D(2026, 3, 2)),
    ("60 j", D(2026, 1, 15), D(2026, 3, 16)),
    ("45 jours fin de mois", D(2026, 3, 10), D(2026, 4, 30)),   # 24/04, end of April
    ("45 jours fin de mois", D(2026, 1, 15), D(2026, 3, 31)),   # 01/03, end of March
    ("30 jours fin de mois le 10", D(2026, 1, 15), D(2026, 3, 10)),
    ("fin de mois", D(2026, 2, 3), D(2026, 2, 28)),
    ("à réception", D(2026, 2, 3), D(2026, 2, 3)),
    ("Comptant", D(2026, 2, 3), D(2026, 2, 3)),
    ("30 days", D(2026, 2, 3), D(2026, 3, 5)),
    ("45 days end of month", D(2026, 3, 10), D(2026, 4, 30)),
])
def test_due_dates(text: str, issued: dt.date, due: dt.date) -> None:
    assert PaymentTerms.parse(text).due(issued) == due


def test_the_other_lawful_reading_of_fin_de_mois() -> None:
    terms = PaymentTerms.parse("45 jours fin de mois", "end_then_add")
    assert terms.due(D(2026, 3, 10)) == D(2026, 5, 15)  # 31/03 + 45 days


@pytest.mark.parametrize("text", ["", "quand il veut", "30 semaines", "400 jours",
                                  "30 jours fin de mois le 32"])
def test_what_cannot_be_read_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(ValueError, match="payment terms"):
        PaymentTerms.parse(text)
