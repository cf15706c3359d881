"""A customer owing in euros and dollars gets one email the same day, with a section per
currency; each invoice gets its Odoo note in its own currency; a section paid before sending
leaves the message, the rest still goes."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.store import outbox
from tests.delivery.test_channels import alpha_rows, odoo_tenant
from tests.fakes.odoo_server import FakeOdooServer, start_fake_odoo


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    server = start_fake_odoo("17.0")
    # Alpha also owes in dollars: two invoices due on 2026-10-20
    server.add_invoice(7, 450.0, "2026-09-20", due_date="2026-10-20", currency="USD",
                       move_id=40)
    server.add_invoice(7, 150.0, "2026-09-21", due_date="2026-10-20", currency="USD",
                       move_id=41)
    yield server
    server.stop()


def sent_emails(folder: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def test_one_email_per_customer_a_section_per_currency_a_note_per_invoice(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"email"')
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    odoo.register_payment(41)  # one dollar invoice is paid before the email leaves
    report = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                        FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    assert report.failed == 0, report.details
    [row] = alpha_rows(tenant, "email")
    mails = [m for m in sent_emails(tenant.config.outbox_dir) if "alpha" in str(m["To"])]
    assert len(mails) == 1  # one message to Alpha today, whatever the currencies
    text = mails[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "EUR" in text and "USD" in text
    assert "INV/2026/00001" in text and "Amount to pay in USD" in text
    numbers = {m["id"]: m["name"] for m in odoo.data.tables["account.move"].values()}
    assert numbers[40] in text and numbers[41] not in text  # paid meanwhile: left out
    assert set(mails[0]["X-Relance-Invoices"].split(",")) == {"INV/2026/00001",
                                                              "INV/2026/00002", numbers[40]}
    # the follow-up notes: one on each invoice sent, in that invoice's own currency
    Dispatcher(tenant.store, tenant.adapter, tenant.config,
                        FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    notes = {m["res_id"]: m["body"] for m in odoo.data.tables["mail.message"].values()
             if row["key"][:28] in str(m["body"])}
    assert set(notes) == {1, 2, 40}
    assert "450.00 USD" in notes[40] and "1000.00 EUR" in notes[1]
