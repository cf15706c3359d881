"""Malformed vendor records through each adapter's own mapping path (no network): every bad record
is mapped to a valid model or rejected with its source id and a reason; nothing escapes the page,
and the good records of the page still come through."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.adapters.base import map_records
from connector.adapters.odoo import OdooAdapter
from connector.adapters.odoo import mapping as om
from connector.adapters.pennylane import streams as pennylane
from connector.adapters.pennylane.mapping import map_customer as pl_customer
from connector.adapters.pennylane.mapping import map_invoice as pl_invoice
from connector.adapters.sage.mapping import (
    is_skipped,
    map_artefact,
    map_contact,
    map_payment,
    touched_artefacts,
)
from connector.models import MAX_AMOUNT, Invoice, to_decimal
from connector.store.store import Store
from tests.fuzz.garbage import FUZZ, check_page, check_valid, corrupt, garbage
from tests.helpers import NOW

GOOD_ID = 4_242_424


def pages(good: dict[str, Any], fields: list[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A page: the good record, then 1-5 corrupted copies of it, each under its own id unless
    the corruption touched the id."""
    def number(bad: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = [dict(good, id=GOOD_ID)]
        for n, raw in enumerate(bad, start=1):
            out.append(dict(raw, id=n) if raw.get("id", object()) == good["id"] else raw)
        return out
    return st.lists(corrupt(good, fields), min_size=1, max_size=5).map(number)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A real SQLite store: what is mapped must also be storable."""
    return Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'state.db'}")


def stored(store: Store, stream: str, records: list[Any]) -> None:
    store.save_page("fuzz", "fuzz", stream, records, [], None, now=NOW)


# -- Odoo ------------------------------------------------------------------------------------
ODOO_INVOICE = {
    "id": 7, "name": "INV/2026/00007", "move_type": "out_invoice", "state": "posted",
    "payment_state": "not_paid", "partner_id": [12, "SARL Martin"],
    "commercial_partner_id": [12, "SARL Martin"], "invoice_date": "2026-09-01",
    "invoice_date_due": "2026-10-01", "currency_id": [1, "EUR"], "company_id": [1, "Démo"],
    "amount_total": 1234.56, "amount_residual": 1234.56, "invoice_payment_term_id": False,
    "invoice_user_id": [2, "Bot"], "reversed_entry_id": False,
    "write_date": "2026-09-01 10:00:00"}
ODOO_PARTNER = {
    "id": 12, "name": "SARL Martin", "email": "compta@martin.fr", "phone": "+33 1 02 03 04 05",
    "mobile": False, "lang": "fr_FR", "is_company": True, "parent_id": False, "type": "contact",
    "company_id": False, "customer_rank": 3, "write_date": "2026-09-01 10:00:00",
    "commercial_partner_id": [12, "SARL Martin"]}
ODOO_CONTACT = {"id": 13, "name": "Léa Compta", "email": "factures@martin.fr", "phone": False,
                "mobile": False, "parent_id": [12, "SARL Martin"],
                "write_date": "2026-09-01 10:00:00"}


def odoo_adapter(lines: dict[int, list[dict[str, Any]]]) -> OdooAdapter:
    """The adapter's own page mapping (`_map_invoices`) with the instalment lines handed in."""
    adapter = OdooAdapter.__new__(OdooAdapter)
    adapter._instalment_lines = lambda ids: {i: lines[i] for i in ids if i in lines}
    return adapter


@FUZZ
@given(rows=pages(ODOO_INVOICE, [k for k in ODOO_INVOICE if k != "write_date"]),
       line_garbage=st.lists(garbage, max_size=3))
def test_odoo_invoices(rows: list[dict[str, Any]], line_garbage: list[Any], store: Store) -> None:
    # instalment lines of the first corrupted record, some fields of them garbage too
    lines = [{"id": 90 + n, "move_id": [1, "x"], "date_maturity": "2026-10-01" if n else value,
              "debit": 10.0, "amount_residual": value, "amount_currency": 10.0,
              "amount_residual_currency": value if n else 10.0}
             for n, value in enumerate(line_garbage)]
    records, rejected = odoo_adapter({1: lines})._map_invoices(rows)
    check_page(records, rejected, rows, {str(GOOD_ID)})
    stored(store, "invoices", records)


@FUZZ
@given(partners=pages(ODOO_PARTNER, [k for k in ODOO_PARTNER if k != "write_date"]),
       contact=corrupt(ODOO_CONTACT, [k for k in ODOO_CONTACT if k not in ("id", "write_date")]))
def test_odoo_customers(partners: list[dict[str, Any]], contact: dict[str, Any],
                        store: Store) -> None:
    raws = [(p, [contact] if n == 1 else []) for n, p in enumerate(partners)]
    records, rejected = map_records(raws, lambda pair: om.map_customer(*pair),
                                    lambda pair: pair[0].get("id"))
    check_page(records, rejected, partners, {str(GOOD_ID)})
    stored(store, "customers", records)


# -- Pennylane -------------------------------------------------------------------------------
PL_INVOICE = {
    "id": 31, "label": "Facture F-31", "invoice_number": "F-31", "currency": "EUR",
    "currency_amount": "1200.00", "date": "2026-09-01", "deadline": "2026-10-01",
    "paid": False, "status": "late", "remaining_amount_with_tax": "1200.00", "draft": False,
    "customer": {"id": 5, "url": "https://x/customers/5"}, "credited_invoice": None,
    "e_invoicing": None, "updated_at": "2026-09-01T10:00:00.000Z"}
PL_CUSTOMER = {
    "id": 5, "name": "SARL Martin", "customer_type": "company", "emails": ["a@martin.fr"],
    "recipient": "Léa", "phone": "+33 1 02 03 04 05", "billing_language": "fr_FR",
    "first_name": None, "last_name": None, "updated_at": "2026-09-01T10:00:00Z"}


@FUZZ
@given(items=pages(PL_INVOICE, list(PL_INVOICE)))
def test_pennylane_invoices(items: list[dict[str, Any]], store: Store) -> None:
    page = pennylane._page(items, pl_invoice, None)  # the adapter's own page builder
    check_page(page.records, page.rejected, items, {str(GOOD_ID)})
    stored(store, "invoices", page.records)


@FUZZ
@given(items=pages(PL_CUSTOMER, list(PL_CUSTOMER)))
def test_pennylane_customers(items: list[dict[str, Any]], store: Store) -> None:
    page = pennylane._page(items, pl_customer, None)
    check_page(page.records, page.rejected, items, {str(GOOD_ID)})
    stored(store, "customers", page.records)


# -- Sage ------------------------------------------------------------------------------------
SAGE_INVOICE = {
    "id": "inv1", "displayed_as": "FA-1", "invoice_number": "FA-1", "date": "2026-09-01",
    "due_date": "2026-10-01", "contact": {"id": "c1", "$path": "/contacts/c1"},
    "total_amount": "120.00", "outstanding_amount": "120.00", "last_paid": None,
    "currency": {"id": "EUR"}, "status": {"id": "UNPAID"},
    "updated_at": "2026-09-01T10:00:00Z"}
SAGE_CONTACT = {"id": "c1", "displayed_as": "SARL Martin", "name": "SARL Martin",
                "email": "compta@martin.fr", "locale": "fr", "updated_at": "2026-09-01T10:00:00Z"}
SAGE_PERSON = {"name": "Léa", "email": "factures@martin.fr", "telephone": None,
               "is_main_contact": True, "contact_person_types": [{"id": "ACCOUNTS"}]}
SAGE_PAYMENT = {"id": "p1", "date": "2026-10-02", "contact": {"id": "c1"},
                "total_amount": "150.00", "currency": {"id": "EUR"},
                "allocated_artefacts": [{"id": "l1", "artefact": {"id": "inv1"},
                                         "amount": "120.00"}]}


@FUZZ
@given(items=pages(SAGE_INVOICE, list(SAGE_INVOICE)), credit=st.booleans())
def test_sage_artefacts(items: list[dict[str, Any]], credit: bool, store: Store) -> None:
    kind = "credit_note" if credit else "invoice"
    kept = [i for i in items if not is_skipped(i)]  # as SageAdapter.invoices does
    records, rejected = map_records(kept, lambda raw: map_artefact(raw, kind),
                                    lambda raw: raw.get("id"))
    check_page(records, rejected, kept, {str(GOOD_ID)})
    stored(store, "invoices", records)


@FUZZ
@given(items=pages(SAGE_CONTACT, list(SAGE_CONTACT)),
       person=corrupt(SAGE_PERSON, list(SAGE_PERSON)))
def test_sage_contacts(items: list[dict[str, Any]], person: dict[str, Any], store: Store) -> None:
    records, rejected = map_records(
        items, lambda raw: map_contact(raw, [person] if raw["id"] == 1 else []),
        lambda raw: raw.get("id"))
    check_page(records, rejected, items, {str(GOOD_ID)})
    stored(store, "customers", records)


@FUZZ
@given(items=pages(SAGE_PAYMENT, list(SAGE_PAYMENT)))
def test_sage_payments(items: list[dict[str, Any]], store: Store) -> None:
    mapped, rejected = map_records(items, map_payment, lambda raw: raw.get("id"))
    records = [payment for group in mapped for payment in group]
    check_page(records, rejected, items, {str(GOOD_ID)})
    stored(store, "payments", records)


@FUZZ
@given(payment=corrupt(SAGE_PAYMENT, ["allocated_artefacts"]),
       line=corrupt(SAGE_PAYMENT["allocated_artefacts"][0], ["artefact", "id", "amount"]))
def test_sage_touched_artefacts_never_raise(payment: dict[str, Any], line: dict[str, Any]) -> None:
    # read outside map_records (which invoices a payment settles): must not stop the stream
    for raw in (payment, dict(SAGE_PAYMENT, allocated_artefacts=[line, "x", None, 3])):
        refs = touched_artefacts(raw)
        assert all(isinstance(k, str) and isinstance(v, dict) for k, v in refs.items())


# -- money: the decision, pinned ---------------------------------------------------------------
@pytest.mark.parametrize(("value", "currency", "expected"), [
    ("12.345", "EUR", "12.35"),  # more precision than the currency: rounded half-up, always
    ("12.344999", "EUR", "12.34"),
    ("-0.005", "EUR", "-0.01"),
    (0.1 + 0.2, "EUR", "0.30"),  # floats go through str()
    ("1234.5", "JPY", "1235"),
    ("1.2345", "TND", "1.235"),
    ("999999999999999.99", "EUR", "999999999999999.99"),
])
def test_extra_precision_is_quantized_half_up(value: Any, currency: str, expected: str) -> None:
    assert str(to_decimal(value, currency)) == expected


@pytest.mark.parametrize("value", [
    MAX_AMOUNT, -MAX_AMOUNT, "1e16", "1e30", "1" * 40, 10**4400, "NaN", "-Infinity", "sNaN",
    "12,50", "", None, True, [1], {"amount": 1}], ids=lambda v: type(v).__name__)
def test_unrepresentable_amounts_are_refused_not_corrupted(value: Any) -> None:
    with pytest.raises(ValueError):
        to_decimal(value, "EUR")


@pytest.mark.parametrize("amount", ["1e15", "9e18", "123456789012345678"])
def test_an_invoice_too_large_for_the_store_is_a_clear_rejection(amount: str) -> None:
    raw = dict(PL_INVOICE, currency_amount=amount, remaining_amount_with_tax=amount)
    records, rejected = map_records([raw], pl_invoice, lambda r: r["id"])
    assert records == [] and rejected[0].source_id == "31"
    assert "out of range" in rejected[0].reason


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("currency", "XYZ", "ISO 4217"), ("currency", "€", "ISO 4217"),
    ("due_date", "9999-12-31", "date out of range"), ("external_id", "x" * 129, "1 to 128"),
    ("external_id", "a\x00b", "control"), ("customer_id", "", "1 to 128")])
def test_invoice_model_refuses_what_the_store_or_rules_cannot_hold(
        field: str, value: str, reason: str) -> None:
    fields = dict(external_id="1", number="F-1", customer_id="c", status="open",
                  issue_date="2026-09-01", due_date="2026-10-01", total="1", residual="1")
    with pytest.raises(ValueError, match=reason):
        Invoice.model_validate({**fields, field: value})


def test_odd_unicode_in_text_is_kept_but_nul_is_dropped() -> None:
    name = "\u202eSARL \u0301Martin \U0001f4b8\x00"
    raw = dict(PL_CUSTOMER, name=name, emails=["a\x00@martin.fr"], billing_language="\u200f42")
    customer = pl_customer(raw)
    check_valid(customer)
    assert customer.name == name.replace("\x00", "").strip()
    assert customer.email == "a@martin.fr" and customer.language == "fr"
