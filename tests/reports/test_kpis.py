"""The formulas and the per-document maths, one by one, on numbers small enough to check by eye."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from connector.reports import kpis
from connector.reports.forecast import Habit, OpenItem, forecast
from connector.reports.ledger import (
    ScheduleItem,
    Settlement,
    balance_changes,
    owed_on,
    settled_days,
    settlements,
)
from tests.helpers import invoice

DAY = dt.date(2026, 6, 30)


@pytest.mark.parametrize(("days", "bucket"), [
    (-5, "not_due"), (0, "not_due"), (1, "d1_30"), (30, "d1_30"), (31, "d31_60"),
    (60, "d31_60"), (61, "d61_90"), (90, "d61_90"), (91, "d91_plus"), (400, "d91_plus")])
def test_buckets(days: int, bucket: str) -> None:
    assert kpis.bucket(days) == bucket


def test_ratios_are_none_without_a_denominator() -> None:
    assert kpis.ratio_dso(D(100), D(0), 90) is None
    assert kpis.cei(D(0), D(0), D(0), D(0)) is None
    assert kpis.percent(1, 0) is None


def test_countback_walks_months_newest_first() -> None:
    # 1000 owed; this month (10 days so far) sold 300, last month (30 days) 500, before (31) 800:
    # 10 + 30 + 200/800 × 31 = 47.75 → 47.8
    assert kpis.countback_dso(D(1000), [(10, D(300)), (30, D(500)), (31, D(800))]) == D("47.8")
    # a month without sales adds its days and consumes nothing
    assert kpis.countback_dso(D(100), [(30, D(0)), (31, D(200))]) == D("45.5")
    # older than the months given: unknown, not a made-up number
    assert kpis.countback_dso(D(1000), [(30, D(100))]) is None


def test_month_windows_and_ends() -> None:
    assert kpis.month_windows(dt.date(2026, 3, 10), 3) == [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 10)), (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 31))]
    assert kpis.month_ends(dt.date(2026, 3, 10), 2) == [dt.date(2026, 1, 31),
                                                         dt.date(2026, 2, 28)]


@pytest.mark.parametrize(("days", "score"), [
    ([0, 0], 100),  # always on time
    ([-10, -20], 100),  # early is not better than on time
    ([10, 10], 50),  # 100 − 10 − 40
    ([90, 90], 0),  # lateness capped at 60 points: 100 − 60 − 40
    ([0, 20], 70),  # mean 10, half late: 100 − 10 − 20
])
def test_score_formula(days: list[int], score: int) -> None:
    stats = kpis.Lateness()
    for value in days:
        stats.add(value)
    assert kpis.behaviour_score(stats).value == score


def test_no_settled_item_means_no_score() -> None:
    assert kpis.behaviour_score(kpis.Lateness()).value is None


def test_settlements_fill_the_gap_the_payments_leave() -> None:
    # 1000 invoice, 300 left: payments say 500 (06-01) and 400 (06-05), but only 700 was settled.
    doc = invoice("I", dt.date(2026, 5, 1), "1000.00", residual="300.00", status="partial")
    events = settlements(doc, [(dt.date(2026, 6, 5), D(400)), (dt.date(2026, 6, 1), D(500))], DAY)
    assert events == [Settlement(dt.date(2026, 6, 1), D(500), True),
                      Settlement(dt.date(2026, 6, 5), D(200), True)]
    assert owed_on(doc, events, dt.date(2026, 6, 2)) == D(500)
    assert owed_on(doc, events, DAY) == D(300)
    assert owed_on(doc, events, dt.date(2026, 3, 1)) == 0  # before its issue date (04-01)


def test_the_balance_on_any_day_is_the_sum_of_its_dated_changes() -> None:
    # issued 04-01; a deposit before the issue date (03-20), then 06-01: both taken on their day,
    # the deposit from the issue date on (the balance is 0 before the invoice exists).
    doc = invoice("I", dt.date(2026, 5, 1), "1000.00", residual="300.00", status="partial")
    events = settlements(doc, [(dt.date(2026, 3, 20), D(100)), (dt.date(2026, 6, 1), D(600))],
                         DAY)
    changes = balance_changes(doc, events)
    assert changes == [(doc.issue_date, D(1000)), (doc.issue_date, D(-100)),
                       (dt.date(2026, 6, 1), D(-600))]
    for day in (dt.date(2026, 3, 19), dt.date(2026, 3, 25), doc.issue_date, dt.date(2026, 5, 31),
                dt.date(2026, 6, 1), DAY):
        assert sum((c for d, c in changes if d <= day), D(0)) == owed_on(doc, events, day), day


def test_unexplained_settlement_without_a_date_counts_as_owed_until_today() -> None:
    doc = invoice("I", dt.date(2026, 5, 1), "100.00", residual="0", status="paid")
    (event,) = settlements(doc, [], DAY)
    assert event == Settlement(DAY, D(100), False)


def test_instalments_are_settled_earliest_first() -> None:
    items = [ScheduleItem("I#2", dt.date(2026, 6, 1), D(70)),
             ScheduleItem("I#1", dt.date(2026, 5, 1), D(30))]
    events = [Settlement(dt.date(2026, 5, 3), D(20), True),
              Settlement(dt.date(2026, 5, 9), D(40), True)]
    # 20 then 10 of the second payment complete I#1 on 05-09; I#2 has only 30 of 70.
    assert settled_days(items, events) == {"I#1": (dt.date(2026, 5, 9), True), "I#2": None}


MONDAY = dt.date(2026, 6, 29)


def test_forecast_one_item_lands_around_its_expected_day() -> None:
    # Due Thursday 07-09, customer pays on time with spread 2 days: the week 07-06..07-12 is
    # ±3.5 days around it: P = 2Φ(1.75) − 1 = 0.91988 → 919.88 of 1000.
    item = OpenItem(("t", "s", "A"), dt.date(2026, 7, 9), D("1000.00"))
    outlook = forecast([item], {("t", "s", "A"): Habit(0.0, 2.0)}, Habit(0, 0), MONDAY, 4)
    week = outlook.weeks[1]
    assert week.start == dt.date(2026, 7, 6) and week.expected == D("919.88")
    # band: 1.2816 × √(1000² × 0.91988 × 0.08012) = 1.2816 × 271.47 = 347.92
    assert week.high - week.expected == D("347.92") and week.low == week.expected - D("347.92")
    assert sum(w.expected for w in outlook.weeks) + outlook.later == D("1000.00")


def test_forecast_shifts_by_the_customer_habit_and_uses_the_fallback() -> None:
    due = dt.date(2026, 7, 2)
    items = [OpenItem(("t", "s", "late"), due, D(100)), OpenItem(("t", "s", "new"), due, D(100))]
    outlook = forecast(items, {("t", "s", "late"): Habit(21.0, 1.0)}, Habit(0.0, 1.0), MONDAY, 6)
    expected = [w.expected for w in outlook.weeks]
    # "new" has no history: the ledger-wide habit (on time) → week of 06-29; "late" pays
    # 21 days after 07-02 = Thursday 07-23 → week of 07-20, with the minimum spread of 2 days
    # (2Φ(1.75) − 1 = 91.99 %; cents are rounded on the running total, so ± 0.01).
    assert expected[0] > D(95) and abs(expected[3] - D("91.99")) <= D("0.01")
    assert expected[1] + expected[2] < D(10)


def test_forecast_never_places_money_in_the_past_and_skips_doubtful() -> None:
    items = [OpenItem(("t", "s", "A"), MONDAY - dt.timedelta(days=40), D(100)),
             OpenItem(("t", "s", "A"), MONDAY - dt.timedelta(days=120), D(50))]
    outlook = forecast(items, {}, Habit(0.0, 3.0), MONDAY + dt.timedelta(days=2), 3)
    assert outlook.doubtful == D(50)
    # Expected now, from today (Wednesday) on: P(0 ≤ X < 4.5 | X ≥ −0.5) with X ~ N(0, 3)
    # = (Φ(1.5) − Φ(−1/6)) / (1 − Φ(−1/6)) = 0.4994 / 0.5662 = 88.2 %, none before today.
    assert outlook.weeks[0].expected == D("88.20")
    assert sum(w.expected for w in outlook.weeks) + outlook.later == D(100)


def test_a_score_cannot_contradict_the_aging() -> None:
    """Issue 20: a customer whose balance is 90+ days late is not a good payer, whatever its past."""
    clean = kpis.Lateness()
    for _ in range(20):
        clean.add(0)  # twenty invoices paid on the day
    assert kpis.behaviour_score(clean).value == 100
    clean.add_open(120)  # and one unpaid 120 days after its due date
    score = kpis.behaviour_score(clean)
    assert score.value is not None and score.value <= 40
    assert (score.paid_items, score.avg_days_late, score.open_late) == (20, 0, 1)
    only_late = kpis.Lateness()
    only_late.add_open(95)  # never paid anything, 95 days late: evidence, and the worst score
    assert kpis.behaviour_score(only_late).value == 0
    on_time = kpis.Lateness()
    on_time.add_open(0)  # not late yet: no evidence
    assert kpis.behaviour_score(on_time).value is None
