"""What the customer receives besides words: the invoices, a statement, a way to pay."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import logging
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pypdf
import pytest

from connector.app.tenant import Tenant, open_tenant
from connector.commands.views import money
from connector.config import load_config
from connector.delivery.attachments import InvoicePdfs
from connector.errors import TransientError
from connector.rules.payload import ReminderPayload
from connector.store import outbox
from tests.helpers import write_config

TODAY = dt.date(2026, 11, 27)
POLICY = """
[policy]
onboarding = "resume"  # the first run shows every level (these tests are about attachments)
[[policy.levels]]
name = "first"
days = 1
template = "first"
attach = ["invoices"]

[[policy.levels]]
name = "second"
days = 15
template = "second"
attach = ["invoices", "statement"]
"""
LINK = 'payment_link = "https://pay.example/{number}?amount={amount}"\n'


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    path = write_config(tmp_path, extra=POLICY, small=True)
    text = path.read_text(encoding="utf-8").replace("[email]", LINK + "\n[email]", 1)
    path.write_text(text, encoding="utf-8")
    return open_tenant(load_config(path), today=TODAY)


def sent_emails(tenant: Tenant) -> list[tuple[ReminderPayload, EmailMessage]]:
    found = []
    for row in outbox.rows(tenant.store, tenant.name, "sent", limit=10_000):
        if row["channel"] != "email":
            continue
        raw = (tenant.config.outbox_dir / f"{row['key']}.eml").read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append((outbox.readable(tenant.store, row), message))
    return found


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in
                             pypdf.PdfReader(io.BytesIO(data)).pages).split())


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_payload(decode=True)
            for part in message.iter_attachments()}


def test_each_listed_invoice_is_attached_and_the_statement_where_the_level_asks(
        tenant: Tenant) -> None:
    result = tenant.run()
    assert result.delivery is not None and result.delivery.failed == 0
    emails = sent_emails(tenant)
    levels = {payload.level for payload, _ in emails}
    assert {"first", "second"} <= levels
    for payload, message in emails:
        files = attachments(message)
        numbers = {i.number for i in list(payload.items)}
        invoices = {name: data for name, data in files.items()
                    if name.startswith(("facture-", "invoice-"))}
        assert len(invoices) == len(numbers)  # one PDF per invoice, instalments included
        for number in numbers:
            name = next(n for n in invoices if number in n)
            assert number in pdf_text(invoices[name])
        statements = [d for n, d in files.items() if n.startswith(("releve-", "statement-"))]
        if payload.level == "first":
            assert statements == []
            continue
        assert len(statements) == 1
        text = pdf_text(statements[0])
        language = payload.language
        assert ("Relevé de compte" if language == "fr" else "Statement of account") in text
        listed = list(payload.items) + list(payload.statement)
        for item in listed:
            assert item.number in text
        credits = list(payload.credit_notes)
        balance = sum((i.residual for i in {i.item_id: i for i in listed}.values()),
                      Decimal(0)) - sum((c.residual for c in credits), Decimal(0))
        assert " ".join(money(max(balance, Decimal(0)), "EUR", language).split()) in text
        assert "FR76 3000 6000 0112 3456 7890 189" in text  # how to pay


def test_a_pay_button_per_invoice_in_html_and_the_link_in_the_text(tenant: Tenant) -> None:
    tenant.run()
    checked = 0
    for payload, message in sent_emails(tenant):
        items = list(payload.items)
        if list(payload.credit_notes):
            continue  # a credit on the account: one link for the total (below)
        html_part = message.get_body(preferencelist=("html",))
        text_part = message.get_body(preferencelist=("plain",))
        assert html_part is not None and text_part is not None
        html, text = html_part.get_content(), text_part.get_content()
        per_invoice: dict[str, Decimal] = {}
        for item in items:
            per_invoice[item.number] = per_invoice.get(item.number, Decimal(0)) + item.residual
        for number, amount in per_invoice.items():
            url = f"https://pay.example/{number}?amount={amount:.2f}"
            assert url in text
            assert f'<a href="{url}"' in html and "display: inline-block" in html
        checked += 1
    assert checked > 3


def test_an_invoice_pdf_that_cannot_be_had_never_holds_the_reminder(
        tenant: Tenant, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken(invoice_id: str) -> bytes:
        calls.append(invoice_id)
        raise TransientError("GET https://files.example/x.pdf answered 503")
    monkeypatch.setattr(tenant.adapter, "invoice_pdf", broken)
    with caplog.at_level(logging.WARNING, logger="connector.delivery.attachments"):
        result = tenant.run()
    assert result.delivery is not None and result.delivery.failed == 0
    emails = sent_emails(tenant)
    assert emails and calls
    for payload, message in emails:
        files = attachments(message)
        assert not [n for n in files if n.startswith(("facture-", "invoice-"))]
        if payload.level == "second":
            assert [n for n in files if n.startswith(("releve-", "statement-"))]
    assert "its PDF is not attached" in caplog.text and "503" in caplog.text


def test_invoice_pdfs_are_capped_checked_and_cached(tenant: Tenant, tmp_path: Path) -> None:
    served = {"A": b"%PDF-1.4 small", "B": b"%PDF-" + b"x" * 2000, "C": b"<html>login</html>"}
    asked: list[str] = []

    class Source:
        def invoice_pdf(self, invoice_id: str) -> bytes:
            asked.append(invoice_id)
            return served[invoice_id]
    pdfs = InvoicePdfs(Source(), tmp_path / "cache", max_bytes=1000)  # type: ignore[arg-type]
    assert pdfs.get("A") == served["A"]
    assert pdfs.get("B") is None  # over the cap
    assert pdfs.get("C") is None  # not a PDF
    assert [reason for _, reason in pdfs.failures] == [
        "2005 bytes, over the 1000-byte cap", "the source did not send a PDF"]
    assert pdfs.get("A") == served["A"] and asked == ["A", "B", "C"]  # cached: asked once
    assert InvoicePdfs(Source(), tmp_path / "cache").get("A") == served["A"]
    assert asked == ["A", "B", "C"]


def test_invoice_pdfs_are_fetched_before_the_message_is_claimed(
        tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash while the source is slow must not leave an email `sending` (that is `uncertain`
    over SMTP): nothing is in `sending` while a PDF is being fetched."""
    original = tenant.adapter.invoice_pdf
    in_flight: list[int] = []

    def watched(invoice_id: str) -> bytes | None:
        in_flight.append(outbox.counts(tenant.store, tenant.name).get("sending", 0))
        return original(invoice_id)
    monkeypatch.setattr(tenant.adapter, "invoice_pdf", watched)
    result = tenant.run()
    assert result.delivery is not None and result.delivery.sent > 0
    assert in_flight and set(in_flight) == {0}
    # each invoice asked once, whatever the levels and instalments
    assert len(in_flight) == len({i.invoice_id for payload, _ in sent_emails(tenant)
                                  for i in list(payload.items)})
