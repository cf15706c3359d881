"""Amounts read exactly as Babel writes them, shortcut or not (connector/formatting.py)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from connector import formatting


@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "JPY", "TND", "CHF", "XOF"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_money_is_babels_money(currency: str, language: str) -> None:
    rng = random.Random(f"{currency}{language}")
    values = [Decimal(rng.randint(0, 10 ** rng.randint(1, 13))) / 10 ** rng.randint(0, 4)
              for _ in range(3000)] + [Decimal("-12.5"), Decimal("0"), Decimal("0.005")]
    where = formatting.locale(language)
    for value in values:
        assert formatting.money(value, currency, language) == \
            str(format_currency(value, currency, locale=where)), value


def test_the_french_amount_a_customer_reads() -> None:
    assert formatting.money(Decimal("15556.96")) == "15\u202f556,96\xa0€"
    assert formatting._money_shape("EUR", "fr") is not None  # the shortcut is taken
