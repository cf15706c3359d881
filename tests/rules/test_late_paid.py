"""Late-paid invoices keep their claim: a "facture de pénalités", once, never to a consumer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.delivery.messages import template_context
from connector.delivery.render import render
from connector.store import outbox
from tests.helpers import customer, invoice, write_config

DUE = dt.date(2026, 3, 15)
TODAY = dt.date(2026, 7, 6)


def tenant_with(tmp_path: Path, late_paid: str = "email"):  # type: ignore[no-untyped-def]
    extra = f'\n[penalties]\nlate_paid = "{late_paid}"\n'
    tenant = open_tenant(load_config(write_config(tmp_path, extra=extra)), today=TODAY)
    store, name, source = tenant.store, tenant.name, tenant.source
    at = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    store.save_page(name, source, "customers",
                    [customer("B1"), customer("P1", kind="individual")], [], None, now=at)
    for cid in ("B1", "P1"):
        store.save_page(name, source, "invoices", [invoice(f"{cid}-1", DUE, "10000.00",
                        customer_id=cid)], [], None, now=at)
    paid = dt.datetime(2026, 5, 16, 8, tzinfo=dt.UTC)
    for cid in ("B1", "P1"):
        store.save_page(name, source, "invoices", [invoice(
            f"{cid}-1", DUE, "10000.00", customer_id=cid, residual="0.00", status="paid",
            paid_date=dt.date(2026, 5, 15))], [], None, now=paid)
    return tenant


def test_an_invoice_paid_late_gets_one_penalty_invoice_never_a_consumer(tmp_path: Path) -> None:
    tenant = tenant_with(tmp_path)
    intents = [i for i in tenant._late_paid()]
    assert [(i.customer_id, i.level, i.template) for i in intents] == [
        ("B1", "penalties", "penalties")]
    payload = intents[0]
    context = template_context(payload, tenant.config, history=tenant.store.balance_history(
        tenant.name, tenant.source, ["B1-1"]))
    # 16 March – 15 May: 61 days × 10 000 € × 12.15 % / 365 = 203.05 €, plus the €40
    assert context["penalties"] == Decimal("203.05") and context["indemnity"] == Decimal("40.00")
    assert context["claim_total"] == Decimal("243.05")
    message = render("penalties", context, "fr")
    assert message.subject.startswith("Facture de pénalités de retard – facture F-B1-1")
    assert "61 jours" in message.text and "art. L. 441-10" in message.text
    assert outbox.enqueue(tenant.store, intents, now=tenant.clock.now()) == 1
    assert outbox.enqueue(tenant.store, tenant._late_paid(), now=tenant.clock.now()) == 0


def test_off_by_default(tmp_path: Path) -> None:
    assert tenant_with(tmp_path, late_paid="off")._late_paid() == []
