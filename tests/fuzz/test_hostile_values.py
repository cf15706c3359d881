"""Values the vendors' schemas allow but no ledger can hold, through every adapter's own mapping:
refused with a reason (the record, or the e-mail field), never acted on; and error bodies of any
shape read as a sentence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from connector.adapters.base import map_records
from connector.adapters.odoo import mapping as om
from connector.adapters.pennylane import streams as pennylane
from connector.adapters.pennylane.client import describe_error as pennylane_error
from connector.adapters.pennylane.mapping import map_customer as pl_customer
from connector.adapters.pennylane.mapping import map_invoice as pl_invoice
from connector.adapters.sage.client import describe_error as sage_error
from connector.adapters.sage.mapping import map_artefact, map_contact
from connector.models import Invoice
from tests.fuzz.garbage import FUZZ
from tests.fuzz.test_mapping_fuzz import (
    ODOO_CONTACT,
    ODOO_INVOICE,
    ODOO_PARTNER,
    PL_CUSTOMER,
    PL_INVOICE,
    SAGE_CONTACT,
    SAGE_INVOICE,
    SAGE_PERSON,
    odoo_adapter,
)

NOT_ADDRESSES = ["Ut incididunt", "compta@", "@martin.fr", "compta martin@x.fr", "a@b"]


def odoo_invoice(**values: Any) -> tuple[list[Invoice], list[Any]]:
    return odoo_adapter({})._map_invoices([{**ODOO_INVOICE, **values}])


def pennylane_invoice(**values: Any) -> tuple[list[Invoice], list[Any]]:
    page = pennylane._page([{**PL_INVOICE, **values}], pl_invoice, None)
    return page.records, page.rejected


def sage_invoice(kind: str = "invoice", **values: Any) -> tuple[list[Invoice], list[Any]]:
    return map_records([{**SAGE_INVOICE, **values}], lambda raw: map_artefact(raw, kind),
                       lambda raw: raw.get("id"))


HOSTILE = [
    # (adapter, what it sends, what the refusal says)
    ("odoo", lambda: odoo_invoice(amount_residual=-50.0), "below zero"),
    ("odoo", lambda: odoo_invoice(amount_residual=2000.0), "above the invoice total"),
    ("odoo", lambda: odoo_invoice(amount_total=-1234.56, amount_residual=0.0),
     "negative invoice total"),
    ("pennylane", lambda: pennylane_invoice(remaining_amount_with_tax="-1200.00"), "below zero"),
    ("pennylane", lambda: pennylane_invoice(remaining_amount_with_tax="5000.00"),
     "above the invoice total"),
    ("pennylane", lambda: pennylane_invoice(currency_amount="-1200.00"),
     "negative invoice total"),
    ("pennylane", lambda: pennylane_invoice(status="credit_note", currency_amount="-100.00",
                                            remaining_amount_with_tax="80.00"),
     "disagree in sign"),
    ("sage", lambda: sage_invoice(total_amount="-120.00"), "negative invoice total"),
    ("sage", lambda: sage_invoice(outstanding_amount="-10.00"), "below zero"),
    ("sage", lambda: sage_invoice(outstanding_amount="500.00"), "above the invoice total"),
    ("sage", lambda: sage_invoice("credit_note", total_amount="-120.00",
                                  outstanding_amount="30.00"), "disagree in sign"),
]


@pytest.mark.parametrize(("adapter", "send", "reason"), HOSTILE,
                         ids=[f"{a}-{r}-{n}" for n, (a, _, r) in enumerate(HOSTILE)])
def test_impossible_amounts_are_refused_with_their_reason(adapter: str, send: Any,
                                                          reason: str) -> None:
    records, rejected = send()
    assert records == []  # never an amount to collect
    [refused] = rejected
    assert reason in refused.reason and refused.source_id is not None


@FUZZ
@given(total=st.decimals(-10_000, 10_000, places=2),
       residual=st.decimals(-10_000, 10_000, places=2), credit=st.booleans())
def test_what_is_kept_is_always_possible(total: Decimal, residual: Decimal, credit: bool) -> None:
    kind = "credit_note" if credit else "invoice"
    pages = [
        odoo_invoice(amount_total=float(total), amount_residual=float(residual),
                     move_type="out_refund" if credit else "out_invoice"),
        pennylane_invoice(currency_amount=str(total), remaining_amount_with_tax=str(residual),
                          **({"status": "credit_note"} if credit else {})),
        sage_invoice(kind, total_amount=str(total), outstanding_amount=str(residual)),
    ]
    for records, rejected in pages:
        assert len(records) + len(rejected) == 1
        for invoice in records:
            assert 0 <= invoice.residual <= invoice.total
            if not credit:  # an invoice keeps its figures as sent: no abs()
                assert (invoice.total, invoice.residual) == (total, residual) \
                    or invoice.status in ("paid", "cancelled")


@pytest.mark.parametrize("bad", NOT_ADDRESSES)
def test_an_email_that_is_not_an_address_is_dropped_and_counted(bad: str) -> None:
    odoo = map_records([({**ODOO_PARTNER, "email": bad}, [{**ODOO_CONTACT, "email": bad}])],
                       lambda pair: om.map_customer(*pair), lambda pair: pair[0]["id"])
    pl = pennylane._page([{**PL_CUSTOMER, "emails": [bad, "a@martin.fr"]}], pl_customer, None)
    sage = map_records([{**SAGE_CONTACT, "email": bad}],
                       lambda raw: map_contact(raw, [{**SAGE_PERSON, "email": bad}]),
                       lambda raw: raw["id"])
    for records, rejected in (odoo, (pl.records, pl.rejected), sage):
        [customer] = records  # the customer stays (a task instead of a bounced email)
        assert bad not in customer.billing_emails()
        assert rejected and all("not an e-mail address" in r.reason for r in rejected)
        assert {r.source_id for r in rejected} == {customer.external_id}
    assert pl.records[0].billing_emails() == ["a@martin.fr"]


def response(status: int, body: bytes, content_type: str = "application/json") -> Any:
    made = requests.Response()
    made.status_code, made._content, made.reason = status, body, "Internal Server Error"
    made.headers["Content-Type"] = content_type
    return made


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"error": {"code": "E42", "message": "database down"}}', "database down; code: E42"),
    (b'{"status": 500, "detail": "upstream timeout"}', "upstream timeout; status: 500"),
    (b'[{"message": "bad gateway"}]', "bad gateway"),
    (b'{"errors": [{"title": "Rate limited"}]}', "Rate limited"),
    (b'"plain string"', "plain string"),
    (b"<html>oops</html>", "<html>oops</html>"),
    (b"{}", "Internal Server Error"),
])
def test_error_details_are_readable_for_any_body(body: bytes, expected: str) -> None:
    for describe in (pennylane_error, sage_error):
        detail = describe(response(500, body))
        assert expected in detail, (describe, detail)
        assert "{'" not in detail and "[{" not in detail  # never a Python repr


def test_a_sage_error_array_keeps_its_sentence() -> None:
    body = b'[{"$severity": "error", "$dataCode": "RecordInvalid", "$message": "bad date"}]'
    assert sage_error(response(422, body)) == "RecordInvalid: bad date"


def test_a_draft_says_it_is_a_draft() -> None:
    _records, [rejected] = pennylane_invoice(draft=True, status="upcoming")
    assert "a draft" in rejected.reason and "upcoming" in rejected.reason
