"""Instalments bear interest from their own due date on their own balance; the invoice's payments
are imputed to them oldest first (art. 1342-10 C. civ.) unless the source says otherwise; linked
credit notes lower the base from their date. Figures worked by hand (H1 2026: 2.15 + 10 =
12.15 %, exact days / 365, rounded per item)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connector.models import Instalment, Invoice
from connector.rules.imputation import Movement
from connector.rules.payload import DueItem
from connector.rules.penalties import claim

D = Decimal
JAN31, MAR31, UNTIL = dt.date(2026, 1, 31), dt.date(2026, 3, 31), dt.date(2026, 4, 30)
# 10 000 € in two instalments: 4 000 € due 31 January, 6 000 € due 31 March 2026;
# 2 500 € paid 20 February, 1 000 € paid 15 April
HISTORY = {"F1": [Movement(dt.date(2026, 2, 20), D("2500")),
                  Movement(dt.date(2026, 4, 15), D("1000"))]}


def instalment(n: int, due: dt.date, amount: str, residual: str, before: str) -> DueItem:
    return DueItem(f"F1#{n}", "F1", "F-1", dt.date(2026, 1, 1), due, "EUR", D(amount),
                   D(residual), (UNTIL - due).days, instalment=n, instalments=2,
                   paid_before=D(before))


def test_payments_go_to_the_oldest_instalment_first() -> None:
    # oldest first: #1 gets 2 500 (20 Feb) and 1 000 (15 Apr): 500 € left; #2 untouched
    items = [instalment(1, JAN31, "4000", "500", "0"), instalment(2, MAR31, "6000", "6000",
                                                                   "3500")]
    figures = claim(items, UNTIL, kind="company", history=HISTORY)
    first, second = figures.by_invoice["F1#1"], figures.by_invoice["F1#2"]
    # #1: 1–20 Feb on 4 000 (20 d) = 26.6301; 21 Feb–15 Apr on 1 500 (54 d) = 26.9630;
    #     16–30 Apr on 500 (15 d) = 2.4966 → 56.0897
    assert [(p.days, p.base) for p in first.periods] == [(20, D("4000")), (54, D("1500")),
                                                         (15, D("500"))]
    assert first.interest == D("56.09")  # today's 500 € over 89 days would say 14.81
    # #2: from its own due date, 1–30 April on 6 000 (30 d) = 59.9178
    assert [(p.start, p.days, p.base) for p in second.periods] == [
        (dt.date(2026, 4, 1), 30, D("6000"))]
    assert second.interest == D("59.92")
    assert figures.interest == D("116.01") and figures.indemnity == D("40.00")  # one €40


def test_the_source_may_impute_otherwise() -> None:
    # the source put the 15 April payment on #2: #1 has 1 500 € left, #2 5 000 €
    items = [instalment(1, JAN31, "4000", "1500", "0"), instalment(2, MAR31, "6000", "5000",
                                                                    "2500")]
    figures = claim(items, UNTIL, kind="company", history=HISTORY)
    # #1: 1–20 Feb on 4 000 = 26.6301; 21 Feb–30 Apr on 1 500 (69 d) = 34.4527 → 61.0828
    assert figures.by_invoice["F1#1"].interest == D("61.08")
    # #2: 1–15 Apr on 6 000 = 29.9589; 16–30 Apr on 5 000 = 24.9658 → 54.9247
    assert [(p.days, p.base) for p in figures.by_invoice["F1#2"].periods] == [
        (15, D("6000")), (15, D("5000"))]
    assert figures.by_invoice["F1#2"].interest == D("54.92")


def test_a_history_that_does_not_add_up_keeps_todays_balance() -> None:
    # the source says 4 000 € are paid on #1 and the history knows of 3 500: no guess
    items = [instalment(2, MAR31, "6000", "5500", "4000")]
    figures = claim(items, UNTIL, kind="company", history=HISTORY)
    assert [(p.days, p.base) for p in figures.by_invoice["F1#2"].periods] == [(30, D("5500"))]


def test_a_linked_credit_note_lowers_the_base_from_its_date_oldest_instalment_first() -> None:
    # no payment; an open 700 € credit note on F1 dated 10 March: 700 € of #1 (oldest) from
    # 11 March. #1: 1 Feb–10 Mar on 4 000 (38 d) = 50.5973; 11 Mar–30 Apr on 3 300 (51 d) =
    # 56.0231 → 106.6204; #2 untouched: 30 d on 6 000 = 59.9178
    items = [instalment(1, JAN31, "4000", "4000", "0"), instalment(2, MAR31, "6000", "6000",
                                                                    "0")]
    credit = {"F1": [Movement(dt.date(2026, 3, 10), D("700"), "credit")]}
    figures = claim(items, UNTIL, kind="company", credits=credit)
    assert figures.by_invoice["F1#1"].interest == D("106.62")
    assert figures.by_invoice["F1#2"].interest == D("59.92")


def test_paid_before_counts_what_is_paid_on_earlier_instalments_by_due_date() -> None:
    invoice = Invoice(external_id="F1", number="F-1", customer_id="C", status="partial",
                      issue_date=dt.date(2026, 1, 1), due_date=MAR31, total=D("10000"),
                      residual=D("6500"), instalments=(
                          Instalment(due_date=MAR31, amount=D("6000"), residual=D("6000")),
                          Instalment(due_date=JAN31, amount=D("4000"), residual=D("500"))))
    assert invoice.paid_before("F1#1") == D("3500")  # #2 (31 Jan) comes first
    assert invoice.paid_before("F1#2") == D("0")
    assert invoice.paid_before("F1") is None


def test_the_freshness_gate_brings_paid_before_up_to_date() -> None:
    """Planned when nothing was paid; by sending time 3 500 € are paid on the first instalment:
    the second's share of the payments starts after them, as the source now says."""
    from connector.delivery.dispatch import _current
    planned = instalment(2, MAR31, "6000", "6000", "0")
    now = Invoice(external_id="F1", number="F-1", customer_id="C", status="partial",
                  issue_date=dt.date(2026, 1, 1), due_date=MAR31, total=D("10000"),
                  residual=D("6500"), instalments=(
                      Instalment(due_date=JAN31, amount=D("4000"), residual=D("500")),
                      Instalment(due_date=MAR31, amount=D("6000"), residual=D("6000"))))
    fresh = _current(planned, {"F1": now})
    assert fresh is not None and fresh.paid_before == D("3500") and fresh.residual == D("6000")
