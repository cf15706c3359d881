"""Every figure of the report on the hand-built ledger of golden.py, computed by hand below."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from connector.reports import Report, behaviour_scores, build_report
from connector.reports.kpis import Score
from connector.store.store import Store
from tests.helpers import NOW
from tests.reports import golden


def _line(report: Report, cid: str):  # type: ignore[no-untyped-def]
    return next(c for c in report.customers if c.key[2] == cid)


def test_aging_by_customer_and_total(golden_report: Report) -> None:
    # A: A2 400 is 30 days late (05-31 → 06-30): still 1–30; A3 300 not yet due; ACN 100 open.
    a = _line(golden_report, "A")
    assert a.name == "Alpha"
    assert a.buckets == {"not_due": D("300.00"), "d1_30": D("400.00"), "d31_60": 0,
                         "d61_90": 0, "d91_plus": 0}
    assert (a.gross, a.credits, a.net) == (D("700.00"), D("100.00"), D("600.00"))
    # B: B1 500 is 141 days late (19+31+30+31+30); B3's 2nd instalment 700 is 11 days late;
    # B3's paid 1st instalment, B2 (paid) and B4/BCN (cancelled + reversal) are not owed.
    b = _line(golden_report, "B")
    assert b.buckets == {"not_due": 0, "d1_30": D("700.00"), "d31_60": 0, "d61_90": 0,
                         "d91_plus": D("500.00")}
    assert (b.credits, b.net) == (0, D("1200.00"))
    # C: C2 (disputed) is due tomorrow: not yet due, and shown as disputed.
    c = _line(golden_report, "C")
    assert c.buckets["not_due"] == D("200.00") and c.disputed == D("200.00")
    assert golden_report.aging_total == {"not_due": D("500.00"), "d1_30": D("1100.00"),
                                         "d31_60": 0, "d61_90": 0, "d91_plus": D("500.00")}
    # Largest net balance first.
    assert [c.key[2] for c in golden_report.customers] == ["B", "A", "C"]


def test_receivables_and_overdue_rate(golden_report: Report) -> None:
    s = golden_report.summary
    # gross 500 + 1100 + 500 = 2100; credit notes 100 → net 2000; overdue 1100 + 500 = 1600;
    # current net = not yet due 500 − credit notes 100 = 400.
    assert (s["receivables_gross"], s["open_credit_notes"], s["receivables_net"]) == (
        D("2100.00"), D("100.00"), D("2000.00"))
    assert (s["overdue"], s["current_net"], s["disputed"]) == (D("1600.00"), D("400.00"),
                                                               D("200.00"))
    # by amount: 1600 / 2100 = 76.19 % ; by count: A2, B1, B3 late of A2, A3, B1, B3, C2 = 3/5.
    assert s["overdue_rate_amount"] == D("76.2")
    assert (s["overdue_invoices"], s["open_invoices"], s["overdue_rate_count"]) == (3, 5, D("60.0"))


def test_dso_both_methods_best_dso_and_add(golden_report: Report) -> None:
    s = golden_report.summary
    # Sales issued 04-02..06-30, net of credit notes, B4 and its reversal BCN left out:
    # A2 600 + A3 300 − ACN 100 + B2 800 + B3 1000 + C2 200 = 2800.
    assert s["sales"] == D("2800.00")
    # Ratio: 2000 / 2800 × 90 = 64.29 days.
    assert s["dso"] == D("64.3")
    # Count-back: June sales 300 − 100 + 200 = 400 < 2000 → 30 days, 1600 left;
    # May sales 600 + 1000 = 1600 covers the rest: + 1600/1600 × 31 = 61.0 days.
    assert s["dso_countback"] == D("61.0")
    # Best possible DSO: current 400 / 2800 × 90 = 12.86; ADD = 64.3 − 12.9 = 51.4
    # (= overdue 1600 / 2800 × 90 = 51.43).
    assert s["best_dso"] == D("12.9") and s["add"] == D("51.4")


def test_cei(golden_report: Report) -> None:
    s = golden_report.summary
    # Owed at the end of 04-01: A1 1000 (paid 04-10) + B1 500; C1 was paid 03-13 → 1500.
    assert s["receivables_begin"] == D("1500.00")
    # (1500 + 2800 − 2000) / (1500 + 2800 − 400) = 2300 / 3900 = 58.97 %
    assert s["cei"] == D("59.0")


def test_dso_trend_rebuilds_past_balances(golden_report: Report) -> None:
    points = {p.day: p for p in golden_report.trend}
    assert sorted(points) == [dt.date(2025, 12, 31), dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                              dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31),
                              golden.TODAY]
    may = points[dt.date(2026, 5, 31)]
    # Owed 05-31: A2 600 (its payment came 06-10) + B1 500 + B3 1000 − 300 paid 05-25 = 1800.
    # Sales 03-03..05-31: A2 600 + B2 800 + B3 1000 = 2400 → 1800 / 2400 × 90 = 67.5.
    # Count-back: May 1600 → 31 days, 200 left; April 800 (B4 left out) → 200/800 × 30 = 7.5.
    assert (may.receivables, may.sales, may.dso, may.dso_countback) == (
        D("1800.00"), D("2400.00"), D("67.5"), D("38.5"))
    # Nothing issued yet at the end of 2025: no ratio (no sales), count-back 0.
    empty = points[dt.date(2025, 12, 31)]
    assert (empty.receivables, empty.dso, empty.dso_countback) == (0, None, D("0.0"))
    assert points[golden.TODAY].dso == D("64.3")


def test_reminder_success_per_level(golden_report: Report) -> None:
    levels = {lv.level: lv for lv in golden_report.levels}
    first, second = levels["first"], levels["second"]
    # first: A2 unpaid (only 200 of 600 came), B3#2 pending (window to 07-04), C1 paid 03-13
    # within 14 days of 03-05. The failed reminder on A1 never went out: not counted.
    assert (first.reminded, first.paid, first.unpaid, first.pending, first.credited) == (
        3, 1, 1, 1, 0)
    assert first.rate == D("50.0")
    # second: B1 by email and task counts once, unpaid; B4 was credited: not judged.
    assert (second.reminded, second.paid, second.unpaid, second.credited) == (2, 0, 1, 1)
    assert second.rate == D("0.0")
    # ordered by how late the level comes: first (mean 8/3 days after due) before second
    assert [lv.level for lv in golden_report.levels] == ["first", "second"]


def test_reminder_window_is_a_parameter(golden_store: Store) -> None:
    # With 5 days, C1 (paid 8 days after its reminder) is no longer a success, and B3#2's
    # window (06-20 → 06-25) is over: unpaid, not pending.
    report = build_report(golden_store, [(golden.TENANT, golden.SOURCE)], golden.TODAY,
                          window_days=5)
    first = next(lv for lv in report.levels if lv.level == "first")
    assert (first.paid, first.unpaid, first.pending) == (0, 3, 0)


def test_lateness_and_scores(golden_report: Report) -> None:
    # The score counts the settled items and those still unpaid past their due date (days late so
    # far); the average and share shown are the settled items'.
    # A: A1 paid 10 days late, A2 unpaid 30 days late → mean 20, 100 % late → 100 − 20 − 40 = 40.
    assert _line(golden_report, "A").score == Score(40, 1, D("10.0"), D("100.0"), open_late=1)
    # B: paid B2 10 days early (−10), B3#1 5 days late; unpaid B1 141 days late and B3#2 11:
    # mean (−10 + 5 + 141 + 11) / 4 = 36.75, 3 of 4 late → 100 − 36.75 − 30 = 33. (Paid items
    # alone gave 80: a "good payer" whose oldest invoice is 141 days late.)
    # Paid items: mean −2.5, 50 % late, spread √(((−10+2.5)² + (5+2.5)²)/2) = 7.5.
    b = _line(golden_report, "B")
    assert b.score == Score(33, 2, D("-2.5"), D("50.0"), open_late=2)
    assert b.lateness.spread == 7.5
    # C: C1 has no payment row: its paid_date 03-13 is the settlement day → 10 days late.
    assert _line(golden_report, "C").score == Score(50, 1, D("10.0"), D("100.0"))
    s = golden_report.summary
    # everyone: 10, −10, 5, 10 → mean 3.75 → 3.8; 3 of 4 late.
    assert (s["paid_items"], s["avg_days_late"], s["late_percent"]) == (4, D("3.8"), D("75.0"))


def test_behaviour_scores_for_rules(golden_store: Store) -> None:
    scores = behaviour_scores(golden_store, golden.TENANT, golden.SOURCE, golden.TODAY)
    assert {k: v.value for k, v in scores.items()} == {"A": 40, "B": 33, "C": 50}
    # As of 05-01 only C1 and A1 were settled, and B1 was already 81 days late: B's score says so.
    early = behaviour_scores(golden_store, golden.TENANT, golden.SOURCE, dt.date(2026, 5, 1))
    assert set(early) == {"A", "B", "C"} and early["B"].value == 0 and early["B"].paid_items == 0


def test_forecast_of_the_golden_ledger(golden_report: Report) -> None:
    outlook = golden_report.forecast
    # B1 (141 days late) is doubtful, C2 is disputed: neither is forecast.
    assert outlook.doubtful == D("500.00")
    # A2 400 + A3 300 + B3#2 700 are spread over the weeks or after them, to the cent.
    assert outlook.expected_total + outlook.later == D("1400.00") and outlook.later >= 0
    assert len(outlook.weeks) == 13 and outlook.weeks[0].start == dt.date(2026, 6, 29)
    assert all(w.low <= w.expected <= w.high for w in outlook.weeks)
    # A2 (habit +10 days, expected 06-10, already past) is expected from today on: the first
    # two weeks carry most of it and of B3#2 (habit −2.5 days, overdue too).
    assert outlook.weeks[0].expected + outlook.weeks[1].expected > D(800)


def test_firm_view_adds_tenants_up(golden_store: Store) -> None:
    golden.fill(golden_store, tenant="other")
    both = build_report(golden_store, [(golden.TENANT, golden.SOURCE), ("other", golden.SOURCE)],
                        golden.TODAY)
    assert both.multi_tenant and len(both.customers) == 6
    assert both.summary["receivables_net"] == D("4000.00")
    assert both.summary["sales"] == D("5600.00") and both.summary["dso"] == D("64.3")
    assert {c.key[0] for c in both.customers} == {"golden", "other"}
    from connector.reports.tables import report_tables
    aging = report_tables(both)[1]
    assert aging.keys[0] == "tenant" and {r["tenant"] for r in aging.records()} == {
        "golden", "other", ""}


def test_other_currencies_are_counted_apart(golden_store: Store) -> None:
    from tests.helpers import invoice
    golden_store.save_page(golden.TENANT, golden.SOURCE, "invoices",
                           [invoice("U1", golden.TODAY, "99.00", customer_id="A", currency="USD")],
                           [], None, now=NOW)
    report = build_report(golden_store, [(golden.TENANT, golden.SOURCE)], golden.TODAY)
    assert report.skipped_currencies == {"USD": 1}
    assert report.summary["receivables_gross"] == D("2100.00")
