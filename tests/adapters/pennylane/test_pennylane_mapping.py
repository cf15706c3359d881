"""Pennylane payload → model mapping, as tables (pure functions, no server)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from connector.adapters.pennylane.mapping import (
    appendix_name,
    appendix_suffix,
    map_customer,
    map_invoice,
)
from connector.adapters.trace_pdf import trace_pdf
from connector.errors import BadRecordError


def raw_invoice(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": 42, "invoice_number": "F2026-0042", "label": "Facture", "currency": "EUR",
        "currency_amount": "1200.00", "remaining_amount_with_tax": "1200.00", "paid": False,
        "status": "upcoming", "draft": False, "date": "2026-10-01", "deadline": "2026-10-31",
        "customer": {"id": 7, "url": "https://app.pennylane.com/api/external/v2/customers/7"},
        "credited_invoice": None, "e_invoicing": None, "updated_at": "2026-10-02T08:00:00Z",
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize("status, remaining, paid, expected, residual", [
    ("upcoming", "1200.00", False, "open", "1200.00"),
    ("late", "1200.00", False, "open", "1200.00"),
    ("late", "200.00", False, "partial", "200.00"),
    ("partially_paid", "700.00", False, "partial", "700.00"),
    ("partially_cancelled", "300.00", False, "partial", "300.00"),
    ("paid", "0.00", True, "paid", "0.00"),
    ("late", "0.00", False, "paid", "0.00"),
    ("upcoming", None, True, "paid", "0.00"),
    ("upcoming", None, False, "open", "1200.00"),
    ("cancelled", "1200.00", False, "cancelled", "0.00"),
    ("archived", "1200.00", False, "cancelled", "0.00"),
])
def test_status_table(status: str, remaining: str | None, paid: bool, expected: str,
                      residual: str) -> None:
    invoice = map_invoice(raw_invoice(status=status, remaining_amount_with_tax=remaining,
                                      paid=paid))
    assert (invoice.status, invoice.residual) == (expected, Decimal(residual))


@pytest.mark.parametrize("status", ["draft", "incomplete", "proforma", "estimate_pending",
                                    "shipping_order", "purchasing_order"])
def test_documents_that_are_not_invoices_are_rejected(status: str) -> None:
    with pytest.raises(BadRecordError, match="not a finalized invoice"):
        map_invoice(raw_invoice(status=status))


def test_credit_note_keeps_magnitudes_and_link() -> None:
    note = map_invoice(raw_invoice(status="credit_note", currency_amount="-240.00",
                                   remaining_amount_with_tax="-240.00",
                                   credited_invoice={"id": 41, "url": "u"}))
    assert (note.kind, note.total, note.residual, note.credited_invoice_id) == (
        "credit_note", Decimal("240.00"), Decimal("240.00"), "41")


def test_e_invoicing_dispute_marks_the_invoice_disputed() -> None:
    invoice = map_invoice(raw_invoice(e_invoicing={"status": "in_dispute", "reason": "prix"}))
    assert invoice.status == "disputed"


@pytest.mark.parametrize("changes, reason", [
    ({"customer": None}, "no customer"),
    ({"date": None, "deadline": None}, "neither a date nor a deadline"),
    ({"currency_amount": "abc"}, "not an amount"),
    ({"status": "mystery"}, "unknown Pennylane status"),
])
def test_unusable_invoices_raise(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises((BadRecordError, ValueError), match=reason):
        map_invoice(raw_invoice(**changes))


def test_missing_dates_fall_back() -> None:
    assert map_invoice(raw_invoice(deadline=None)).due_date == dt.date(2026, 10, 31)
    only_deadline = map_invoice(raw_invoice(date=None))
    assert only_deadline.issue_date == only_deadline.due_date == dt.date(2026, 10, 31)


def test_customers_company_and_individual() -> None:
    company = map_customer({"id": 7, "customer_type": "company", "name": "SAS Exemple",
                            "emails": ["a@exemple.fr", " b@exemple.fr "], "recipient": "Compta",
                            "phone": "", "billing_language": "en_GB",
                            "updated_at": "2026-10-02T08:00:00Z"})
    assert (company.kind, company.email, company.phone, company.language) == (
        "company", "a@exemple.fr", None, "en")
    assert company.billing_emails() == ["a@exemple.fr", "b@exemple.fr"]
    assert company.contacts[0].name == "Compta"
    person = map_customer({"id": 8, "customer_type": "individual", "name": "",
                           "first_name": "Jeanne", "last_name": "Durand", "emails": []})
    assert (person.name, person.kind, person.email) == ("Jeanne Durand", "individual", None)
    with pytest.raises(BadRecordError):
        map_customer({"id": 9, "customer_type": "robot", "name": "R2"})


def test_appendix_names_carry_level_date_and_key() -> None:
    name = appendix_name("N2 (mise en demeure)", dt.date(2026, 11, 3), "rl/abc:12")
    assert name == "relance-N2-mise-en-demeure-2026-11-03-rl-abc-12.pdf"
    assert name.endswith(appendix_suffix("rl/abc:12"))


def test_minimal_pdf_is_well_formed() -> None:
    pdf = trace_pdf("Relance (niveau 2)", ["Échéance dépassée \\ à régler", "x " * 200])
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[xref:xref + 4] == b"xref"
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", pdf)]
    assert [pdf[o:o + 7] for o in offsets] == [b"%d 0 obj" % n for n in range(1, 6)]
    assert "É".encode("cp1252") in pdf and b"\\(niveau 2\\)" in pdf
