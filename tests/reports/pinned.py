"""A fixed, generated ledger whose whole report is pinned in tests/reports/pinned/ (issue 18).

Where golden.py checks each figure by hand on 11 documents, this ledger is large and varied
enough to reach every branch of the report (paid early, late and never; partial payments,
payments before the issue date or beyond the total, no payment row but a paid date or only an
update date; instalments, credit notes free or reversing a cancelled invoice, disputes, another
currency, reminders sent, failed, sent twice by two channels) so that a faster report can be
checked to print exactly what the old one printed. The expected files were written by the
report as it was before the issue-18 changes:

    python -m tests.reports.pinned      # rewrites tests/reports/pinned/* (only on purpose)
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from connector.models import Customer, Instalment, Invoice, InvoiceStatus, Payment
from connector.reports import behaviour_scores, build_report
from connector.reports.export import write_json
from connector.reports.terminal import print_report
from connector.store import tables as t
from connector.store.store import Store
from tests.helpers import NOW

TODAY = dt.date(2026, 11, 30)
SOURCE = "demo"
TENANTS = ("pinned-a", "pinned-b")
EXPECTED = Path(__file__).with_name("pinned")
CENT = Decimal("0.01")


def _money(rng: random.Random, low: int = 50, high: int = 20_000) -> Decimal:
    return (Decimal(rng.randint(low * 100, high * 100)) / 100).quantize(CENT)


def _day(rng: random.Random, back: int, ahead: int = 0) -> dt.date:
    return TODAY + dt.timedelta(days=rng.randint(-back, ahead))


def ledger(seed: int) -> tuple[list[Customer], list[Invoice], list[Payment],
                               list[tuple[str, str, str, str, dt.date, list[tuple[str, str]]]]]:
    """Customers, documents, payments and reminders (customer, level, channel, status, planned,
    [(item id, invoice id)]) of one tenant, the same for the same seed."""
    rng = random.Random(seed)
    customers = [Customer(external_id=f"C{n:03d}", name=f"Client {rng.choice('ABCDEFGH')}{n}",
                          kind=rng.choice(["company", "company", "individual"]))
                 for n in range(60)]
    invoices: list[Invoice] = []
    payments: list[Payment] = []
    reminders: list[tuple[str, str, str, str, dt.date, list[tuple[str, str]]]] = []
    habit = {c.external_id: rng.choice([-5, 0, 3, 10, 25, 60]) for c in customers}
    for n in range(700):
        customer = rng.choice(customers[:55]).external_id  # 5 customers without documents
        iid = f"I{seed}-{n:04d}"
        issued = _day(rng, 300, 5) if rng.random() < 0.85 else _day(rng, 2000)
        due = issued + dt.timedelta(days=rng.choice([0, 15, 30, 45, 60]))
        total = _money(rng)
        currency = "USD" if rng.random() < 0.03 else "EUR"
        shape = rng.random()
        instalments: tuple[Instalment, ...] = ()
        if shape < 0.12:  # two or three instalments, the earlier ones paid first
            parts = rng.choice([2, 3])
            share = (total / parts).quantize(CENT)
            amounts = [share] * (parts - 1) + [total - share * (parts - 1)]
            paid_parts = rng.randint(0, parts)
            instalments = tuple(
                Instalment(due_date=due + dt.timedelta(days=30 * k), amount=amounts[k],
                           residual=Decimal(0) if k < paid_parts else amounts[k])
                for k in range(parts))
            residual = sum((i.residual for i in instalments), Decimal(0))
            due = instalments[-1].due_date
        else:
            residual = rng.choice([total, total, Decimal(0), Decimal(0), Decimal(0),
                                   (total * Decimal(rng.choice(["0.3", "0.5"]))).quantize(CENT)])
        if customer >= "C050":  # customers who never paid anything: no habit of their own
            residual = total
            instalments = tuple(i.model_copy(update={"residual": i.amount}) for i in instalments)
        status: InvoiceStatus = "open" if residual == total else "paid" if residual == 0 else "partial"
        if residual > 0 and rng.random() < 0.06:
            status = "disputed"
        if rng.random() < 0.03:
            status, residual, instalments = "cancelled", Decimal(0), ()
        settled_on = due + dt.timedelta(days=habit[customer] + rng.randint(-4, 4))
        paid_date = settled_on if status == "paid" and rng.random() < 0.7 else None
        updated = dt.datetime.combine(settled_on, dt.time(10), tzinfo=dt.timezone.utc) \
            if rng.random() < 0.5 else None
        invoices.append(Invoice(external_id=iid, number=f"F{seed}-{n:04d}", customer_id=customer,
                                status=status, issue_date=issued, due_date=due,
                                currency=currency, total=total, residual=residual,
                                instalments=instalments, paid_date=paid_date, updated_at=updated))
        paid = total - residual
        if status != "cancelled" and paid > 0 and rng.random() < 0.75:
            pieces = rng.choice([1, 1, 2, 3])
            given = Decimal(0)
            for k in range(pieces):
                amount = paid - given if k == pieces - 1 else (paid / pieces).quantize(CENT)
                if rng.random() < 0.05:
                    amount += Decimal("10.00")  # more than was owed: capped
                day = settled_on - dt.timedelta(days=rng.randint(0, 20) * (pieces - 1 - k))
                if rng.random() < 0.03:
                    day = issued - dt.timedelta(days=3)  # a deposit before the invoice
                payments.append(Payment(external_id=f"P-{iid}-{k}", customer_id=customer,
                                        invoice_id=iid, date=day, amount=amount,
                                        currency=currency if rng.random() < 0.97 else "GBP"))
                given += amount
        if status == "cancelled" and rng.random() < 0.8:
            invoices.append(Invoice(external_id=f"{iid}-CN", number=f"A{seed}-{n:04d}",
                                    customer_id=customer, kind="credit_note", status="paid",
                                    issue_date=issued + dt.timedelta(days=2),
                                    due_date=issued + dt.timedelta(days=2), currency=currency,
                                    total=total, residual=Decimal(0),
                                    credited_invoice_id=iid))
        elif rng.random() < 0.05:
            credit = (total * Decimal("0.2")).quantize(CENT)
            invoices.append(Invoice(external_id=f"{iid}-AV", number=f"V{seed}-{n:04d}",
                                    customer_id=customer, kind="credit_note",
                                    status=rng.choice(["open", "paid"]),
                                    issue_date=_day(rng, 200), due_date=_day(rng, 200),
                                    currency=currency, total=credit,
                                    residual=credit if rng.random() < 0.6 else Decimal(0),
                                    credited_invoice_id=iid if rng.random() < 0.5 else None))
        if due < TODAY and rng.random() < (0.9 if status == "cancelled" else 0.35):
            items = [(f"{iid}#{k}", iid) for k in range(1, len(instalments) + 1)] \
                if instalments else [(iid, iid)]
            for level, offset in (("first", 3), ("second", 15), ("final", 30)):
                planned = due + dt.timedelta(days=offset + rng.randint(0, 3))
                if planned >= TODAY or rng.random() < 0.3:
                    break
                state = "sent" if rng.random() < 0.9 else rng.choice(["failed", "planned"])
                reminders.append((customer, level, "email", state, planned, items))
                if rng.random() < 0.1:
                    reminders.append((customer, level, "task", "sent",
                                      planned + dt.timedelta(days=1), items))
    return customers, invoices, payments, reminders


def fill(store: Store, tenant: str, seed: int) -> None:
    customers, invoices, payments, reminders = ledger(seed)
    store.save_page(tenant, SOURCE, "customers", customers, [], None, now=NOW)
    store.save_page(tenant, SOURCE, "invoices", invoices, [], None, now=NOW)
    store.save_page(tenant, SOURCE, "payments", payments, [], None, now=NOW)
    with store.transaction() as conn:
        for n, (customer, level, channel, status, planned, items) in enumerate(reminders):
            key = f"{tenant}-r{n}"
            conn.execute(t.outbox.insert().values(
                key=key, tenant=tenant, source=SOURCE, customer_id=customer, channel=channel,
                level=level, status=status, payload="{}", attempts=1, planned_for=planned,
                next_attempt_at=NOW, created_at=NOW, updated_at=NOW))
            conn.execute(t.outbox_items.insert(), [
                {"outbox_key": key, "tenant": tenant, "source": SOURCE, "item_id": item,
                 "invoice_id": invoice, "level": level, "channel": channel, "amount_minor": 0,
                 "currency": "EUR"} for item, invoice in items])


def filled(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    for seed, tenant in enumerate(TENANTS, start=1):
        fill(store, tenant, seed)
    return store


def outputs(store: Store) -> dict[str, str]:
    """Every pinned output, by file name: the report of one tenant (JSON, French and English
    text), the consolidated report of both with other options, and the behaviour scores."""
    one = build_report(store, [(TENANTS[0], SOURCE)], TODAY)
    both = build_report(store, [(tenant, SOURCE) for tenant in TENANTS], TODAY,
                        period_days=60, window_days=7, weeks=8)
    result = {"report.json": write_json(one), "firm.json": write_json(both),
              "report-fr.txt": _text(one, "fr"), "report-en.txt": _text(one, "en"),
              "firm-fr.txt": _text(both, "fr")}
    scores = behaviour_scores(store, TENANTS[0], SOURCE, TODAY)
    result["scores.json"] = json.dumps({k: [s.value, s.paid_items, str(s.avg_days_late),
                                            str(s.late_percent), s.open_late]
                                        for k, s in scores.items()}, indent=1)
    return result


def _text(report: object, language: str) -> str:
    out = io.StringIO()
    console = Console(file=out, width=170, color_system=None, force_terminal=False)
    print_report(report, language, console)  # type: ignore[arg-type]
    return out.getvalue()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        pinned = filled(Path(work) / "state.db")
        EXPECTED.mkdir(exist_ok=True)
        for name, text in outputs(pinned).items():
            (EXPECTED / name).write_text(text + "\n", encoding="utf-8")
        pinned.close()
