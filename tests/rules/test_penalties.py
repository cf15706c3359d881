"""Late-payment figures an accountant can check by hand: days × rate / 365, €40 once, B2C none."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from connector.rules.engine import DueItem
from connector.rules.penalties import PenaltyTerms, claim, late_penalties
from connector.rules.rates import load_rates

D = Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), ROUND_HALF_UP)


def item(iid: str, due: dt.date, residual: str, invoice_id: str | None = None,
         noticed_on: dt.date | None = None) -> DueItem:
    return DueItem(iid, invoice_id or iid, f"F-{iid}", due - dt.timedelta(days=30), due, "EUR",
                   D(residual), D(residual), 0, noticed_on=noticed_on)


def test_rate_table_follows_the_notes() -> None:
    rates = load_rates()
    assert rates.ecb_on(dt.date(2025, 7, 1)) == D("2.15")
    assert rates.ecb_on(dt.date(2025, 5, 1)) == D("2.40")
    assert rates.legal_on(dt.date(2026, 3, 1)) == D("2.62")
    assert rates.legal_on(dt.date(2026, 3, 1), individual=True) == D("6.67")
    assert rates.legal_on(dt.date(2025, 9, 1)) == D("2.76")


def test_b2b_within_one_half_year() -> None:
    # 1 000 € due 2 Feb 2026, paid late: on 4 Mar 2026 it is 30 days late.
    # H1 2026 rate = ECB rate on 1 Jan 2026 (2.15 %) + 10 points = 12.15 %.
    penalty = late_penalties(D("1000.00"), dt.date(2026, 2, 2), dt.date(2026, 3, 4),
                             kind="company")
    assert penalty.rate == D("12.15")
    assert penalty.interest == cents(D("1000") * D("0.1215") * 30 / 365) == D("9.99")
    assert penalty.indemnity == D("40.00")


def test_b2b_split_across_two_half_years() -> None:
    # 2 500 € due 15 Jun 2025, today 10 Jul 2025:
    #   16–30 June: 15 days at ECB(1 Jan 2025) 3.15 + 10 = 13.15 %
    #   1–10 July:  10 days at ECB(1 Jul 2025) 2.15 + 10 = 12.15 %
    penalty = late_penalties(D("2500.00"), dt.date(2025, 6, 15), dt.date(2025, 7, 10),
                             kind="company")
    expected = D("2500") * D("0.1315") * 15 / 365 + D("2500") * D("0.1215") * 10 / 365
    assert [(p.days, p.rate) for p in penalty.periods] == [(15, D("13.15")), (10, D("12.15"))]
    assert penalty.interest == cents(expected) == D("21.83")


def test_nothing_on_the_due_date_itself() -> None:
    penalty = late_penalties(D("500.00"), dt.date(2026, 2, 2), dt.date(2026, 2, 2), kind="company")
    assert penalty.interest == 0 and penalty.indemnity == 0


def test_forty_euros_once_per_invoice_never_per_instalment_or_reminder() -> None:
    due = dt.date(2026, 2, 2)
    items = [item("I1#1", due, "300.00", "I1"), item("I1#2", due, "700.00", "I1"),
             item("I2", due, "100.00")]
    total = claim(items, dt.date(2026, 3, 4), kind="company")
    assert total.indemnity == D("80.00")  # I1 and I2, not three times
    again = claim(items, dt.date(2026, 3, 20), kind="company")
    assert again.indemnity == D("80.00")  # a later reminder claims the same two, not more
    # interest per item, each rounded to the cent so that the letter's breakdown adds up:
    # 300, 700 and 100 € × 12.15 % × 30 / 365 = 3.00 + 6.99 + 1.00
    assert total.interest == sum(cents(D(a) * D("0.1215") * 30 / 365)
                                 for a in ("300", "700", "100")) == D("10.99")


def test_b2c_no_indemnity_and_no_interest_before_the_formal_notice() -> None:
    due = dt.date(2026, 2, 2)
    before = late_penalties(D("1000.00"), due, dt.date(2026, 4, 1), kind="individual")
    assert before.interest == 0 and before.indemnity == 0
    # formal notice posted 1 Mar 2026, received 4 Mar (3 days' delivery by default): interest
    # from 5 to 31 Mar, 27 days at the legal rate "other cases", 2.62 %
    after = late_penalties(D("1000.00"), due, dt.date(2026, 3, 31), kind="individual",
                           noticed_on=dt.date(2026, 3, 1))
    assert after.indemnity == 0
    assert after.interest == cents(D("1000") * D("0.0262") * 27 / 365) == D("1.94")
    private = late_penalties(D("1000.00"), due, dt.date(2026, 3, 31), kind="individual",
                             noticed_on=dt.date(2026, 3, 1),
                             terms=PenaltyTerms(creditor_individual=True))
    assert private.interest == cents(D("1000") * D("0.0667") * 27 / 365)


def test_contractual_rate_replaces_the_default_and_is_raised_to_the_floor() -> None:
    terms = PenaltyTerms(contract_rate=D("9"))
    penalty = late_penalties(D("1000.00"), dt.date(2026, 2, 2), dt.date(2026, 3, 4),
                             kind="company", terms=terms)
    assert penalty.interest == cents(D("1000") * D("0.09") * 30 / 365)
    # H1 2026 floor: 3 × 2.62 % = 7.86 %: a 7.5 % clause gets the floor, and says so
    low = late_penalties(D("1000.00"), dt.date(2026, 2, 2), dt.date(2026, 3, 4), kind="company",
                         terms=PenaltyTerms(contract_rate=D("7.5")))
    assert low.rate == D("7.86") and low.interest == cents(D("1000") * D("0.0786") * 30 / 365)
    assert [(h.label, f) for h, f in low.floors] == [("2026-S1", D("7.86"))]


def test_figures_past_the_checked_table_are_marked_provisional() -> None:
    penalty = late_penalties(D("1000.00"), dt.date(2026, 10, 1), dt.date(2026, 11, 27),
                             kind="company")
    assert penalty.provisional and penalty.interest > 0
