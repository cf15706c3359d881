"""Prescription: 5 years between businesses, 2 for a consumer, restarted by a partial payment."""

from __future__ import annotations

import datetime as dt

from connector.rules.prescription import limitation, limitation_date, prescription_findings
from tests.helpers import invoice


def test_five_years_b2b_two_years_b2c_from_the_due_date() -> None:
    due = dt.date(2022, 3, 15)
    assert limitation_date(due, "company") == dt.date(2027, 3, 15)
    assert limitation_date(due, "public") == dt.date(2027, 3, 15)
    assert limitation_date(due, "individual") == dt.date(2024, 3, 15)
    assert limitation_date(dt.date(2024, 2, 29), "individual") == dt.date(2026, 2, 28)


def test_a_partial_payment_restarts_the_period() -> None:
    assert limitation_date(dt.date(2022, 3, 15), "individual",
                           dt.date(2023, 10, 2)) == dt.date(2025, 10, 2)


def test_warnings_at_six_three_and_one_month_then_time_barred() -> None:
    due = dt.date(2021, 12, 31)  # barred after 31 Dec 2026
    assert limitation(due, dt.date(2026, 6, 29)).months_left is None
    assert limitation(due, dt.date(2026, 6, 30)).months_left == 6  # 31 Dec - 6 months
    assert limitation(due, dt.date(2026, 9, 29)).months_left == 6
    assert limitation(due, dt.date(2026, 9, 30)).months_left == 3
    assert limitation(due, dt.date(2026, 11, 30)).months_left == 1
    assert not limitation(due, dt.date(2026, 12, 31)).barred
    assert limitation(due, dt.date(2027, 1, 1)).barred


def test_findings_name_the_invoices_and_follow_the_customer_kind() -> None:
    today = dt.date(2026, 12, 1)
    invoices = [invoice("A", dt.date(2021, 12, 20)),  # B2B, within a month
                invoice("B", dt.date(2024, 11, 1), customer_id="P1"),  # consumer: barred
                invoice("C", dt.date(2025, 1, 10)),  # B2B, years left
                invoice("D", dt.date(2021, 1, 10), residual="0.00", status="paid")]  # paid
    lines = prescription_findings(invoices, today, kinds={"P1": "individual"})
    assert len(lines) == 2
    assert lines[0].startswith("invoice F-A: time-barred on 2026-12-20 (within 1 month")
    assert lines[1] == ("invoice F-B: time-barred since 2026-11-01; no legal threat will be sent")


def test_no_legal_threat_over_a_time_barred_debt_a_task_instead() -> None:
    from decimal import Decimal

    from connector.rules.engine import DueItem, ReminderIntent
    from connector.rules.prescription import defuse

    def item(iid: str, due: dt.date) -> DueItem:
        return DueItem(iid, iid, f"F-{iid}", due, due, "EUR", Decimal(100), Decimal(100), 0)

    def intent(template: str, *items: DueItem, kind: str = "individual") -> ReminderIntent:
        return ReminderIntent("k" + template, "t", "demo", "C1", "Camille", kind, "fr",
                              template, "email", template, ("c@x.fr",), "EUR", items, ())

    today = dt.date(2026, 12, 1)
    old, recent = item("OLD", dt.date(2024, 6, 1)), item("NEW", dt.date(2026, 6, 1))
    out = defuse([intent("formal_notice", old, recent), intent("final", old),
                  intent("first", old)], today)
    assert [i.items for i in out[:1]] == [(recent,)]  # the barred item left the threat
    assert out[1].channel == "task" and "prescrite" in (out[1].task_title or "")
    assert out[2].template == "first" and out[2].channel == "email"  # a plain reminder stays
    # the same items are alive for a company (5 years)
    assert defuse([intent("final", old, kind="company")], today)[0].channel == "email"
