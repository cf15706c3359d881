"""The balance history: each change of an invoice's amount due, with its date, so that interest
follows the balance (10 000 € due 15 March, 4 000 € paid 15 May: 61 days on 10 000 €)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from connector.rules.engine import DueItem
from connector.rules.penalties import Movement, claim
from connector.store.store import Store
from tests.helpers import NOW, invoice

DUE = dt.date(2026, 3, 15)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.close()


def sync(store: Store, residual: str, *, at: dt.datetime, paid: dt.date | None = None) -> None:
    record = invoice("I1", DUE, "10000.00", residual=residual,
                     status="paid" if residual == "0.00" else "partial" if residual != "10000.00"
                     else "open", paid_date=paid)
    store.save_page("a", "demo", "invoices", [record], [], None, now=at)


def test_each_change_is_kept_with_the_payment_date_or_the_day_it_was_seen(store: Store) -> None:
    sync(store, "10000.00", at=NOW)
    sync(store, "10000.00", at=NOW + dt.timedelta(hours=1))  # no change: no row
    sync(store, "6000.00", at=NOW + dt.timedelta(days=2), paid=dt.date(2026, 5, 15))
    sync(store, "6000.00", at=NOW + dt.timedelta(days=3), paid=dt.date(2026, 5, 15))
    sync(store, "5500.00", at=dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC))  # no date from source
    history = store.balance_history("a", "demo", ["I1"])["I1"]
    assert history == [Movement(dt.date(2026, 5, 15), Decimal("4000.00")),
                       Movement(dt.date(2026, 6, 2), Decimal("500.00"))]
    assert store.balance_history("a", "other", ["I1"]) == {}


def test_an_invoice_first_seen_partly_paid_claims_nothing_on_the_paid_part(store: Store) -> None:
    sync(store, "6000.00", at=NOW)
    assert store.balance_history("a", "demo", ["I1"])["I1"] == [
        Movement(DUE, Decimal("4000.00"), from_start=True)]  # no interest on it at all


def test_reminders_claim_interest_over_the_history(store: Store) -> None:
    sync(store, "10000.00", at=dt.datetime(2026, 3, 20, 8, tzinfo=dt.UTC))
    sync(store, "6000.00", at=dt.datetime(2026, 5, 16, 8, tzinfo=dt.UTC), paid=dt.date(2026, 5, 15))
    item = DueItem("I1", "I1", "F-I1", DUE, DUE, "EUR", Decimal("10000.00"), Decimal("6000.00"),
                   107)
    today = dt.date(2026, 6, 30)
    with_history = claim([item], today, kind="company",
                         history=store.balance_history("a", "demo", ["I1"]))
    without = claim([item], today, kind="company")
    # 61 days on 10 000 € + 46 days on 6 000 € at 12.15 %, against 107 days on 6 000 €
    assert with_history.interest == Decimal("294.93")
    assert with_history.interest - without.interest == Decimal("81.22")  # 4 000 × 12.15 % × 61 / 365
    # a history that does not add up to the residual is not used (never a guess)
    odd = DueItem("I1", "I1", "F-I1", DUE, DUE, "EUR", Decimal("10000.00"), Decimal("5000.00"), 0)
    assert claim([odd], today, kind="company",
                 history=store.balance_history("a", "demo", ["I1"])).interest == \
        claim([odd], today, kind="company").interest
