"""Pennylane v2 payloads → relance models, and the small PDF left on an invoice as a trace.

Field meanings are from the Company API v2 OpenAPI document
(https://pennylane.readme.io/openapi/accounting.json, schemas of `GET /customer_invoices` and
`GET /customers`). Every function here is pure.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from connector.errors import BadRecordError
from connector.models import Contact, Customer, Invoice, InvoiceStatus, PostalAddress, to_decimal

# Pennylane's 17 invoice statuses → ours. Pennylane computes `upcoming`/`late` itself from the
# deadline; `partially_cancelled` means a credit note took part of the amount away, so what is left
# is still owed. The quote-ish and unfinished statuses are not invoices anyone can be chased for.
_STATUS: dict[str, InvoiceStatus] = {
    "upcoming": "open",
    "late": "open",
    "partially_paid": "partial",
    "partially_cancelled": "partial",
    "paid": "paid",
    "cancelled": "cancelled",
    "archived": "cancelled",
    "credit_note": "open",
}
_NOT_AN_INVOICE = {"draft", "incomplete", "proforma", "shipping_order", "purchasing_order",
                   "estimate_pending", "estimate_accepted", "estimate_invoiced", "estimate_denied"}
# e-invoicing lifecycle (French reform): the buyer's platform says the invoice is contested.
_DISPUTED_E_INVOICING = {"in_dispute", "refused", "rejected"}
# French default when an invoice names no due date: 30 days after delivery/issue
# (Code de commerce, art. L441-10). Pennylane allows `deadline: null` on imported invoices.
DEFAULT_TERMS = dt.timedelta(days=30)


def raw_id(raw: Any) -> Any:
    """The Pennylane id of a raw item, for logs of rejected records."""
    return raw.get("id") if isinstance(raw, dict) else None


def map_invoice(raw: dict[str, Any]) -> Invoice:
    """One item of `GET /customer_invoices` (credit notes included) → Invoice."""
    status = raw["status"]
    if raw.get("draft"):
        raise BadRecordError(f"a draft (not finalized; status {status!r})", str(raw.get("id")))
    if status in _NOT_AN_INVOICE:
        raise BadRecordError(f"status {status!r} is not a finalized invoice", str(raw.get("id")))
    if status not in _STATUS:
        raise BadRecordError(f"unknown Pennylane status {status!r}", str(raw.get("id")))
    customer = raw.get("customer")
    if not customer or customer.get("id") is None:
        raise BadRecordError("invoice has no customer: nobody to remind", str(raw.get("id")))
    issue = _day(raw.get("date"))
    deadline = _day(raw.get("deadline"))
    if issue is None and deadline is None:
        raise BadRecordError("invoice has neither a date nor a deadline", str(raw.get("id")))
    if deadline is None:
        assert issue is not None  # one of the two is set (checked above)
        deadline = issue + DEFAULT_TERMS
    if issue is None:
        issue = deadline
    currency = (raw.get("currency") or "EUR").upper()
    is_credit_note = status == "credit_note" or raw.get("credited_invoice") is not None
    total = to_decimal(raw["currency_amount"], currency)
    remaining = raw.get("remaining_amount_with_tax")
    # remaining_amount_with_tax is null on some imported documents: `paid` is then all we know.
    # (The spec does not say its currency; it is the invoice's own for EUR invoices, the only
    # case we have seen.)
    if remaining is None:
        residual = Decimal(0) if raw.get("paid") else total
    else:
        residual = to_decimal(remaining, currency)
    if is_credit_note:
        # Credit notes may carry negative amounts: we keep magnitudes and let `kind` carry the
        # sign, but only when both figures agree on it.
        if total * residual < 0:
            raise BadRecordError(f"credit note amounts disagree in sign: total {total}, "
                                 f"remaining {residual}", str(raw.get("id")))
        total, residual = abs(total), abs(residual)
    # An invoice's negative figures are refused by the model (never abs(): a negative remaining
    # amount is not a debt to collect).
    ours: InvoiceStatus = _STATUS[status]
    if raw.get("paid") or (residual == 0 and ours in ("open", "partial")):
        ours = "paid"
    elif ours == "open" and 0 < residual < total:
        ours = "partial"
    elif ours == "partial" and residual == 0:
        ours = "paid"
    if ours in ("paid", "cancelled"):
        residual = Decimal(0)
    e_invoicing = raw.get("e_invoicing") or {}
    if ours in ("open", "partial") and e_invoicing.get("status") in _DISPUTED_E_INVOICING:
        ours = "disputed"
    credited = raw.get("credited_invoice") or {}
    return Invoice(
        external_id=str(raw["id"]),
        number=raw.get("invoice_number") or raw.get("label") or str(raw["id"]),
        customer_id=str(customer["id"]),
        kind="credit_note" if is_credit_note else "invoice",
        status=ours,
        issue_date=issue,
        due_date=deadline,
        currency=currency,
        total=total,
        residual=residual,
        # public_file_url is a signed link that expires after 30 minutes: never worth storing.
        pdf_url=None,
        credited_invoice_id=str(credited["id"]) if credited.get("id") is not None else None,
        updated_at=_moment(raw.get("updated_at")),
    )


def map_customer(raw: dict[str, Any]) -> Customer:
    """One item of `GET /customers` (a oneOf company / individual) → Customer.

    `emails` are the addresses Pennylane itself sends invoices to, so they are the billing
    contacts; `recipient` names the addressee. The separate `/customers/{id}/contacts` list is not
    read: it does not change invoice recipients and would cost one request per customer.
    """
    kind = raw.get("customer_type")
    if kind not in ("company", "individual"):
        raise BadRecordError(f"unknown customer_type {kind!r}", str(raw.get("id")))
    name = (raw.get("name") or "").strip()
    if not name and kind == "individual":
        name = f"{raw.get('first_name') or ''} {raw.get('last_name') or ''}".strip()
    if not name:
        raise BadRecordError("customer has no name", str(raw.get("id")))
    emails = [e.strip() for e in raw.get("emails") or [] if isinstance(e, str) and e.strip()]
    recipient = (raw.get("recipient") or "").strip() or None
    return Customer(
        external_id=str(raw["id"]),
        name=name,
        kind=kind,
        email=emails[0] if emails else None,
        phone=(raw.get("phone") or "").strip() or None,
        language=raw.get("billing_language") or "fr",
        contacts=tuple(Contact(name=recipient, email=e) for e in emails),
        address=_billing_address(raw.get("billing_address")),
        updated_at=_moment(raw.get("updated_at")),
    )


def _billing_address(raw: Any) -> PostalAddress | None:
    """`billing_address` {address, postal_code, city, country_alpha2}: where invoices go. Its
    `address` is free text and may hold several lines."""
    if not isinstance(raw, dict):
        return None
    lines = [line.strip() for line in str(raw.get("address") or "").splitlines() if line.strip()]
    if not lines:
        return None
    return PostalAddress.parse(lines[0], ", ".join(lines[1:]) or None, raw.get("postal_code"),
                               raw.get("city"), raw.get("country_alpha2"))


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


# -- the trace left in Pennylane: a one-page PDF appendix -------------------------------------

def appendix_name(level: str, day: dt.date, key: str) -> str:
    """`relance-<level>-<date>-<key>.pdf`: readable in Pennylane, and findable again by key."""
    return f"relance-{_slug(level)}-{day.isoformat()}-{_slug(key)}.pdf"


def appendix_suffix(key: str) -> str:
    """The end of every appendix name made for `key`: what find_pushed looks for."""
    return f"-{_slug(key)}.pdf"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:80] or "x"
