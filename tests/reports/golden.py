"""A small ledger whose every figure is computed by hand in tests/reports/test_golden.py.

Today is 2026-06-30, the period 90 days: sales window 2026-04-02 .. 2026-06-30, begin 2026-04-01.

customer A "Alpha"
  A1   invoice  issued 03-01 due 03-31  1000.00  paid 04-10 (payment row)          → 10 days late
  A2   invoice  issued 05-01 due 05-31   600.00  paid 200.00 on 06-10, 400 open    → 30 days late
  A3   invoice  issued 06-15 due 07-15   300.00  open                             → not yet due
  ACN  credit   issued 06-20             100.00  open (partial credit of A2)
customer B "Bravo"
  B1   invoice  issued 01-10 due 02-09   500.00  open                             → 141 days late
  B2   invoice  issued 04-15 due 05-15   800.00  paid 05-05 (before due)          → −10 days
  B3   invoice  issued 05-20, two instalments: #1 due 05-20 300.00 paid 05-25     → 5 days late
                                           #2 due 06-19 700.00 open            → 11 days late
  B4   invoice  issued 04-05 due 05-05   250.00  cancelled, reversed by BCN (both left out)
  BCN  credit   issued 04-10             250.00  consumed by the reversal
customer C "Charlie"
  C1   invoice  issued 02-01 due 03-03   400.00  paid, paid_date 03-13, NO payment row → 10 late
  C2   invoice  issued 06-01 due 07-01   200.00  disputed                          → not yet due

Reminders (outbox rows):
  first  A2    planned 06-05 sent      (A2 still not fully paid)          → unpaid
  first  B3#2  planned 06-20 sent      (window ends 07-04, after today)   → pending
  first  C1    planned 03-05 sent      (paid 03-13 ≤ 03-19)               → paid in time
  second B1    planned 02-20 sent by email AND task (counts once)         → unpaid
  second B4    planned 05-06 sent      (cancelled by its credit note)     → credited
  first  A1    planned 04-05 FAILED    (never went out: ignored)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connector.models import Customer, Instalment, Invoice, Payment
from connector.store import tables as t
from connector.store.store import Store
from tests.helpers import NOW

TODAY = dt.date(2026, 6, 30)
TENANT, SOURCE = "golden", "demo"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(f"2026-{text}")


def _inv(iid: str, customer: str, issued: str, due: str, total: str, residual: str,
         status: str, **extra: object) -> Invoice:
    return Invoice(external_id=iid, number=f"F-{iid}", customer_id=customer, status=status,
                   issue_date=d(issued), due_date=d(due), total=Decimal(total),
                   residual=Decimal(residual), **extra)  # type: ignore[arg-type]


def documents() -> list[Invoice]:
    return [
        _inv("A1", "A", "03-01", "03-31", "1000.00", "0", "paid", paid_date=d("04-10")),
        _inv("A2", "A", "05-01", "05-31", "600.00", "400.00", "partial"),
        _inv("A3", "A", "06-15", "07-15", "300.00", "300.00", "open"),
        _inv("ACN", "A", "06-20", "06-20", "100.00", "100.00", "open", kind="credit_note",
             credited_invoice_id="A2"),
        _inv("B1", "B", "01-10", "02-09", "500.00", "500.00", "open"),
        _inv("B2", "B", "04-15", "05-15", "800.00", "0", "paid", paid_date=d("05-05")),
        _inv("B3", "B", "05-20", "06-19", "1000.00", "700.00", "partial", instalments=(
            Instalment(due_date=d("05-20"), amount=Decimal("300.00"), residual=Decimal(0)),
            Instalment(due_date=d("06-19"), amount=Decimal("700.00"),
                       residual=Decimal("700.00")))),
        _inv("B4", "B", "04-05", "05-05", "250.00", "0", "cancelled"),
        _inv("BCN", "B", "04-10", "04-10", "250.00", "0", "paid", kind="credit_note",
             credited_invoice_id="B4", paid_date=d("04-10")),
        _inv("C1", "C", "02-01", "03-03", "400.00", "0", "paid", paid_date=d("03-13")),
        _inv("C2", "C", "06-01", "07-01", "200.00", "200.00", "disputed"),
    ]


def payments() -> list[Payment]:
    return [Payment(external_id=pid, customer_id=pid[0], invoice_id=iid, date=d(day),
                    amount=Decimal(amount))
            for pid, iid, day, amount in [("A1-P", "A1", "04-10", "1000.00"),
                                          ("A2-P", "A2", "06-10", "200.00"),
                                          ("B2-P", "B2", "05-05", "800.00"),
                                          ("B3-P", "B3", "05-25", "300.00")]]


REMINDERS = [  # key, customer, level, channel, status, planned, [(item, invoice)]
    ("k-a2", "A", "first", "email", "sent", "06-05", [("A2", "A2")]),
    ("k-b3", "B", "first", "email", "sent", "06-20", [("B3#2", "B3")]),
    ("k-c1", "C", "first", "email", "sent", "03-05", [("C1", "C1")]),
    ("k-b1e", "B", "second", "email", "sent", "02-20", [("B1", "B1")]),
    ("k-b1t", "B", "second", "task", "sent", "02-20", [("B1", "B1")]),
    ("k-b4", "B", "second", "email", "sent", "05-06", [("B4", "B4")]),
    ("k-a1", "A", "first", "email", "failed", "04-05", [("A1", "A1")]),
]


def fill(store: Store, tenant: str = TENANT, source: str = SOURCE) -> None:
    store.save_page(tenant, source, "customers",
                    [Customer(external_id=c, name=n) for c, n in
                     [("A", "Alpha"), ("B", "Bravo"), ("C", "Charlie")]], [], None, now=NOW)
    store.save_page(tenant, source, "invoices", documents(), [], None, now=NOW)
    store.save_page(tenant, source, "payments", payments(), [], None, now=NOW)
    now = NOW
    with store.transaction() as conn:
        for key, customer, level, channel, status, planned, items in REMINDERS:
            conn.execute(t.outbox.insert().values(
                key=f"{tenant}-{key}", tenant=tenant, source=source, customer_id=customer,
                channel=channel, level=level, status=status, payload="{}", attempts=1,
                planned_for=d(planned), next_attempt_at=now, created_at=now, updated_at=now))
            conn.execute(t.outbox_items.insert(), [
                {"outbox_key": f"{tenant}-{key}", "tenant": tenant, "source": source,
                 "item_id": item, "invoice_id": invoice, "level": level, "channel": channel,
                 "amount_minor": 0, "currency": "EUR"} for item, invoice in items])
