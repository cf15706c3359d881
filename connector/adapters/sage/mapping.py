"""Sage Accounting v3.1 records → relance models, Sage error bodies → text, and a tiny reminder PDF.

Field names are those of the Accounts API description (SalesInvoice, SalesCreditNote, Contact,
ContactPerson, ContactPayment): https://developer.sage.com/accounting/reference/
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connector.errors import BadRecordError
from connector.models import (
    Contact,
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PostalAddress,
    to_decimal,
)

# `attributes=` limits each item to what dunning needs; without it list items carry only
# id/displayed_as/$path. Every name here is a property of the item schema in the spec.
INVOICE_ATTRIBUTES = ("invoice_number,contact,date,due_date,total_amount,outstanding_amount,"
                      "currency,status,last_paid,updated_at")
CREDIT_NOTE_ATTRIBUTES = ("credit_note_number,contact,date,total_amount,outstanding_amount,"
                          "currency,status,last_paid,updated_at")
CONTACT_ATTRIBUTES = ("name,reference,email,locale,contact_types,is_active,updated_at,"
                      "main_address")
PERSON_ATTRIBUTES = ("name,email,telephone,mobile,is_main_contact,is_preferred_contact,"
                     "contact_person_types")
PAYMENT_ATTRIBUTES = "date,contact,total_amount,currency,allocated_artefacts,updated_at"
ALLOCATION_ATTRIBUTES = "date,contact,allocated_artefacts,updated_at"

# Artefact statuses (Sage guide "artefact statuses"). DRAFT and PRO_FORMA are not invoices yet:
# skipped silently, not rejected. DISPUTED exists in the enum but Sage documents it for purchases.
STATUSES: dict[str, InvoiceStatus] = {
    "UNPAID": "open", "PART_PAID": "partial", "PAID": "paid", "VOID": "cancelled",
    "DISPUTED": "disputed"}
SKIPPED_STATUSES = frozenset({"DRAFT", "PRO_FORMA"})


def _id(ref: Any) -> str | None:
    return str(ref["id"]) if isinstance(ref, dict) and ref.get("id") else None


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def status_id(raw: dict[str, Any]) -> str:
    return (_id(raw.get("status")) or "").upper()


def is_skipped(raw: dict[str, Any]) -> bool:
    """Drafts and pro formas are not owed yet: neither mapped nor rejected."""
    return status_id(raw) in SKIPPED_STATUSES


def map_artefact(raw: dict[str, Any], kind: InvoiceKind) -> Invoice:
    """A SalesInvoice or SalesCreditNote (both list and single GET shapes)."""
    sage_status = status_id(raw)
    status = STATUSES.get(sage_status)
    if status is None:
        raise BadRecordError(f"unknown Sage status {sage_status or 'none'!r}", _id(raw))
    currency = _id(raw.get("currency")) or "EUR"
    total = to_decimal(raw["total_amount"], currency)
    outstanding = raw.get("outstanding_amount")
    residual = to_decimal(outstanding if outstanding is not None else 0, currency)
    if status in ("paid", "cancelled"):
        residual = Decimal(0)  # a VOID artefact may keep its old outstanding figure
    if kind == "credit_note":
        # a credit note's outstanding_amount is the credit not yet allocated to invoices.
        # Sage links a credit note to an invoice only by an allocation (contact_allocations),
        # which lowers both outstanding amounts at once: what stays open is a credit on the
        # account, linked to no invoice (credited_invoice_id stays None, deducted from the total)
        # its sign may be either, but both figures must agree on it
        if total * residual < 0:
            raise BadRecordError(f"credit note amounts disagree in sign: total {total}, "
                                 f"outstanding {residual}", _id(raw))
        total, residual = abs(total), abs(residual)
    number = raw.get("invoice_number" if kind == "invoice" else "credit_note_number") \
        or raw.get("displayed_as")
    customer = _id(raw.get("contact"))
    if not customer:
        raise BadRecordError("no contact on the artefact", _id(raw))
    issued = _day(raw.get("date"))
    if issued is None:
        raise BadRecordError("no date on the artefact", _id(raw))
    return Invoice(
        external_id=str(raw["id"]), number=str(number), customer_id=customer, kind=kind,
        status=status, issue_date=issued, due_date=_day(raw.get("due_date")) or issued,
        currency=currency, total=total, residual=residual,
        paid_date=_day(raw.get("last_paid")) if status == "paid" else None,
        updated_at=_moment(raw.get("updated_at")))


def _person_rank(person: dict[str, Any]) -> int | None:
    """ACCOUNTS person first, then the preferred one, then the main one; others are not billing."""
    types = {(_id(t) or "").upper() for t in person.get("contact_person_types") or []}
    if "ACCOUNTS" in types:
        return 0
    if person.get("is_preferred_contact"):
        return 1
    if person.get("is_main_contact"):
        return 2
    return None


_ROLES = {0: "billing", 1: "preferred", 2: "main"}


def map_contact(raw: dict[str, Any], persons: list[dict[str, Any]]) -> Customer:
    """A Contact of type CUSTOMER with its billing people (the contact's own email comes last,
    through Customer.billing_emails)."""
    ranked = sorted(((rank, n, p) for n, p in enumerate(persons)
                     if (rank := _person_rank(p)) is not None and p.get("email")),
                    key=lambda item: (item[0], item[1]))
    contacts = tuple(Contact(name=p.get("name") or None, email=str(p["email"]).strip(),
                             phone=p.get("telephone") or p.get("mobile") or None,
                             role=_ROLES[rank]) for rank, _, p in ranked)
    name = raw.get("name") or raw.get("displayed_as")
    if not name:
        raise BadRecordError("contact without a name", _id(raw))
    return Customer(external_id=str(raw["id"]), name=str(name),
                    email=(raw.get("email") or None), language=raw.get("locale") or "fr",
                    contacts=contacts, address=map_address(raw.get("main_address")),
                    updated_at=_moment(raw.get("updated_at")))


def map_address(raw: Any) -> PostalAddress | None:
    """The contact's `main_address` (an Address: address_line_1/2, postal_code, city, and
    `country` as a reference whose id is the ISO code)."""
    if not isinstance(raw, dict):
        return None
    country = raw.get("country")
    return PostalAddress.parse(raw.get("address_line_1"), raw.get("address_line_2"),
                               raw.get("postal_code"), raw.get("city"),
                               _id(country) if isinstance(country, dict) else None)


def map_payment(raw: dict[str, Any]) -> list[Payment]:
    """One Payment per invoice the receipt is allocated to, plus one for money left on account."""
    currency = _id(raw.get("currency")) or "EUR"
    day = _day(raw.get("date"))
    if day is None:
        raise BadRecordError("payment without a date", _id(raw))
    customer = _id(raw.get("contact"))
    records: list[Payment] = []
    allocated = Decimal(0)
    for n, line in enumerate(raw.get("allocated_artefacts") or [], start=1):
        amount = to_decimal(line.get("amount") or 0, currency)
        allocated += amount
        records.append(Payment(external_id=f"{raw['id']}/{line.get('id') or n}",
                               customer_id=customer, invoice_id=_id(line.get("artefact")),
                               date=day, amount=amount, currency=currency))
    rest = to_decimal(raw.get("total_amount") or 0, currency) - allocated
    if rest > 0 or not records:
        records.append(Payment(external_id=f"{raw['id']}/on-account", customer_id=customer,
                               invoice_id=None, date=day, amount=rest, currency=currency))
    return records


def touched_artefacts(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The artefacts (id -> reference with `$path`) a payment or allocation settles.

    Read outside any record mapping, so a malformed allocation line is skipped here rather than
    fail the whole stream; the daily re-read of open invoices (`open_refresh_days`) catches up."""
    lines = raw.get("allocated_artefacts")
    return {ref: line["artefact"] for line in (lines if isinstance(lines, list) else [])
            if isinstance(line, dict) and (ref := _id(line.get("artefact")))}

