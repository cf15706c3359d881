"""The balance history: each change of an invoice's amount due, with its date, so that interest
follows the balance (10 000 € due 15 March, 4 000 € paid 15 May: 61 days on 10 000 €)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from connector.models import Instalment, Invoice
from connector.rules.engine import DueItem, item_share
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


def test_instalments_from_the_store_bear_interest_each_on_its_own_balance(store: Store) -> None:
    """10 000 € in two instalments (4 000 € due 31 Jan, 6 000 € due 31 Mar 2026), seen whole on
    1 Feb, then 2 500 € paid on 20 Feb: oldest first, on the first instalment. Counted on
    30 Apr at 12.15 %: 1st 20 days × 4 000 = 26.6301 + 69 days × 1 500 = 34.4527 → 61.08 €;
    2nd 30 days × 6 000 → 59.92 €. And a part already paid when first seen bears nothing."""
    jan31, mar31 = dt.date(2026, 1, 31), dt.date(2026, 3, 31)

    def record(first: str, residual: str, paid: dt.date | None = None) -> Invoice:
        return invoice("S1", mar31, "10000.00", residual=residual, status="partial"
                       if residual != "10000.00" else "open", paid_date=paid, instalments=(
                           Instalment(due_date=jan31, amount=Decimal("4000.00"),
                                      residual=Decimal(first)),
                           Instalment(due_date=mar31, amount=Decimal("6000.00"),
                                      residual=Decimal("6000.00"))))
    store.save_page("a", "demo", "invoices", [record("4000.00", "10000.00")], [], None,
                    now=dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC))
    paid = record("1500.00", "7500.00", dt.date(2026, 2, 20))
    store.save_page("a", "demo", "invoices", [paid], [], None,
                    now=dt.datetime(2026, 2, 21, 8, tzinfo=dt.UTC))
    today = dt.date(2026, 4, 30)
    items = [DueItem(item_id, "S1", "F-S1", jan31, due, "EUR", item_share(paid, item_id)[1],
                     residual, (today - due).days, paid_before=paid.paid_before(item_id))
             for item_id, due, residual in paid.due_items()]
    figures = claim(items, today, kind="company",
                    history=store.balance_history("a", "demo", ["S1"]))
    assert figures.by_invoice["S1#1"].interest == Decimal("61.08")
    assert figures.by_invoice["S1#2"].interest == Decimal("59.92")

    # another invoice first seen with 2 500 € of its first instalment already paid, on a day
    # after that instalment fell due: when it was paid is unknown, so it bears no interest
    # (1 500 € over 89 days, 1 Feb–30 Apr = 44.4390 → 44.44 €), not 4 000 € until the sync
    late = invoice("S2", mar31, "10000.00", residual="7500.00", status="partial", instalments=(
        Instalment(due_date=jan31, amount=Decimal("4000.00"), residual=Decimal("1500.00")),
        Instalment(due_date=mar31, amount=Decimal("6000.00"), residual=Decimal("6000.00"))))
    store.save_page("a", "demo", "invoices", [late], [], None,
                    now=dt.datetime(2026, 4, 2, 8, tzinfo=dt.UTC))
    first = DueItem("S2#1", "S2", "F-S2", jan31, jan31, "EUR", Decimal("4000.00"),
                    Decimal("1500.00"), 89, paid_before=Decimal(0))
    figures = claim([first], today, kind="company",
                    history=store.balance_history("a", "demo", ["S2"]))
    assert [(p.days, p.base) for p in figures.by_invoice["S2#1"].periods] == [
        (89, Decimal("1500.00"))]
    assert figures.interest == Decimal("44.44")


def test_a_credit_note_allocated_in_the_source_keeps_its_own_date(store: Store) -> None:
    """10 000 € due 15 March 2026; a 1 000 € credit note linked to it, dated 1 April, open on the
    2 April sync and allocated to the invoice by 10 May. The drop is dated 1 April (as the
    letters counted it while it was open), not 10 May. At 12.15 % to 31 May: 16 Mar–1 Apr,
    17 days × 10 000 = 56.5890; 2 Apr–31 May, 60 days × 9 000 = 179.7534 → 236.34 €
    (dated 10 May it would have said 249.32 €)."""
    def page(residual: str, credit_left: str, at: dt.datetime) -> None:
        store.save_page("a", "demo", "invoices", [
            invoice("I2", DUE, "10000.00", residual=residual,
                    status="open" if residual == "10000.00" else "partial"),
            invoice("CN", dt.date(2026, 4, 1), "1000.00", residual=credit_left,
                    kind="credit_note", status="open" if credit_left != "0.00" else "paid",
                    issue_date=dt.date(2026, 4, 1), credited_invoice_id="I2")], [], None, now=at)
    page("10000.00", "1000.00", dt.datetime(2026, 4, 2, 8, tzinfo=dt.UTC))
    page("9000.00", "0.00", dt.datetime(2026, 5, 10, 8, tzinfo=dt.UTC))
    history = store.balance_history("a", "demo", ["I2"])
    assert history == {"I2": [Movement(dt.date(2026, 4, 1), Decimal("1000.00"))]}
    item = DueItem("I2", "I2", "F-I2", DUE, DUE, "EUR", Decimal("10000.00"), Decimal("9000.00"),
                   77)
    assert claim([item], dt.date(2026, 5, 31), kind="company",
                 history=history).interest == Decimal("236.34")
