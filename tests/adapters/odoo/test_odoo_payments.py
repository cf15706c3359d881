"""Payments read from Odoo (the invoice's payments widget: what is reconciled with it, dated), so
the balance history has the payment dates the late-payment law counts from; an amount in another
currency than the invoice's, without a rate, is refused and counted in sync_rejects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.odoo import mapping as om
from connector.errors import BadRecordError
from connector.rules.penalties import Movement
from connector.store.store import Store
from connector.sync.engine import sync
from tests.adapters.odoo.helpers import make_adapter
from tests.fakes.odoo_server import FakeOdooServer, running_fake_odoo
from tests.helpers import NOW


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    with running_fake_odoo() as server:
        yield server


def widget(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"title": "Less Payment", "outstanding": False, "content": list(entries)}


def raw(**extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": 12, "name": "INV/2026/00012", "move_type": "out_invoice", "state": "posted",
        "payment_state": "partial", "partner_id": [7, "Alpha"], "commercial_partner_id": [7, "A"],
        "invoice_date": "2026-09-01", "invoice_date_due": "2026-10-01",
        "currency_id": [126, "EUR"], "company_id": [1, "Dunning"], "amount_total": 1000.0,
        "amount_residual": 400.0, "invoice_payment_term_id": False, "invoice_user_id": False,
        "reversed_entry_id": False, "invoice_payments_widget": False,
        "write_date": "2026-11-20 10:00:00", **extra}
    return values


def test_the_latest_payment_dates_the_invoice_exchange_entries_do_not() -> None:
    dated = om.map_invoice(raw(invoice_payments_widget=widget(
        {"amount": 200.0, "currency_id": 126, "date": "2026-10-20", "is_exchange": False},
        {"amount": 400.0, "currency_id": 126, "date": "2026-11-05", "is_exchange": False},
        {"amount": 0.4, "currency_id": 126, "date": "2026-11-30", "is_exchange": True})))
    assert dated.paid_date == dt.date(2026, 11, 5)
    assert om.map_invoice(raw()).paid_date is None  # nothing reconciled: False


def test_a_payment_in_another_currency_without_a_rate_is_refused() -> None:
    with pytest.raises(BadRecordError, match="another currency.*without a rate"):
        om.map_invoice(raw(invoice_payments_widget=widget(
            {"amount": 600.0, "currency_id": 1, "date": "2026-11-05", "is_exchange": False})))
    line = {"id": 40, "move_id": [12, "INV"], "date_maturity": "2026-10-01", "debit": 500.0,
            "amount_residual": 500.0, "amount_currency": 500.0,
            "amount_residual_currency": 500.0, "currency_id": [1, "USD"]}
    with pytest.raises(BadRecordError, match="residual in USD, invoice in EUR"):
        om.map_instalments([line, {**line, "id": 41}], "EUR")


def test_a_sync_dates_each_payment_from_odoo(odoo: FakeOdooServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    adapter = make_adapter(odoo, tmp_path, monkeypatch)
    sync(store, adapter, "t1", "odoo", now=lambda: NOW)
    odoo.register_payment(1, 400.0, date="2026-11-20")  # seen by the next sync, a week later
    odoo.register_payment(4, date="2026-11-24")
    later = NOW + dt.timedelta(days=7)
    sync(store, adapter, "t1", "odoo", now=lambda: later)
    history = store.balance_history("t1", "odoo", ["1", "4"])
    assert history["1"] == [Movement(dt.date(2026, 11, 20), Decimal("400.00"))]
    assert history["4"] == [Movement(dt.date(2026, 11, 24), Decimal("1200.00"))]
    assert store.invoices_by_id("t1", "odoo", ["4"])["4"].paid_date == dt.date(2026, 11, 24)
    store.close()


def test_an_instalment_in_another_currency_is_rejected_and_counted(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usd = next(i for i, c in odoo.data.tables["res.currency"].items() if c["name"] == "USD")
    for line in odoo.data.tables["account.move.line"].values():
        if line["move_id"] == 9:  # the invoice split in two instalments
            line["currency_id"] = usd
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    result = sync(store, make_adapter(odoo, tmp_path, monkeypatch), "t1", "odoo",
                  now=lambda: NOW)
    assert result.rejected == 1
    assert "9" not in store.invoices_by_id("t1", "odoo", ["9"])  # never acted on
    [reject] = [r for r in store.recent_rejects("t1") if r["stream"] == "invoices"]
    assert reject["source_id"] == "9" and "residual in USD, invoice in EUR" in reject["reason"]
    store.close()
