"""What the fake Pennylane stores and how it renders it: complete objects per the OpenAPI schemas
(every required property present, nullable ones null), filters and opaque cursors."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.fakes.pennylane_spec import PREFIX, SPEC_HOST

Event = tuple[int, int, str, dt.datetime]  # (sequence, item id, operation, processed_at)


@dataclass
class StoredInvoice:
    id: int
    number: str
    customer_id: int | None
    total: Decimal
    date: dt.date | None
    deadline: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    paid_amount: Decimal = Decimal(0)
    credited_invoice: int | None = None
    draft: bool = False
    cancelled: bool = False
    e_invoicing: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    """Raw fields forced into the rendered object (to make it odd or malformed)."""

    def status(self, today: dt.date) -> str:
        remaining = self.total - self.paid_amount
        if self.draft:
            return "draft"
        if self.credited_invoice is not None:
            return "credit_note"
        if self.cancelled:
            return "cancelled"
        if remaining <= 0:
            return "paid"
        if self.paid_amount > 0:
            return "partially_paid"
        if self.deadline is not None and self.deadline < today:
            return "late"
        return "upcoming"


def url(path: str) -> str:
    return f"{SPEC_HOST}{PREFIX}{path}"


def customer_json(cid: int, name: str, kind: str, emails: tuple[str, ...], language: str,
                  now: dt.datetime) -> dict[str, Any]:
    """A company or individual customer (the two branches of the spec's oneOf)."""
    out: dict[str, Any] = {
        "id": cid, "name": name, "billing_iban": None, "payment_conditions": "30_days",
        "recipient": name, "phone": "+33 1 23 45 67 89", "reference": None, "notes": None,
        "ledger_account": {"id": 4110000 + cid}, "emails": list(emails),
        "billing_address": _address(), "delivery_address": _address(),
        "created_at": iso(now), "updated_at": iso(now), "customer_type": kind,
        "external_reference": f"ext-c-{cid}", "billing_language": language,
        "mandates": {"url": url(f"/customers/{cid}/mandates")},
        "pro_account_mandates": {"url": url(f"/customers/{cid}/pro_account_mandates")},
        "contacts": {"url": url(f"/customers/{cid}/contacts")},
    }
    if kind == "company":
        out.update(vat_number=f"FR00{cid:09d}", reg_no=f"{cid:09d}")
    else:
        first, _, last = name.partition(" ")
        out.update(first_name=first, last_name=last or first)
    return out


def invoice_json(inv: StoredInvoice, today: dt.date) -> dict[str, Any]:
    """A customer invoice as `GET /customer_invoices` lists it. Credit notes carry negative
    amounts here (the spec does not say which sign Pennylane uses; the adapter accepts both)."""
    iid = inv.id
    sign = Decimal(-1) if inv.credited_invoice is not None else Decimal(1)
    remaining = max(inv.total - inv.paid_amount, Decimal(0))
    before_tax = (inv.total / Decimal("1.2")).quantize(Decimal("0.01"))
    links = {name: {"url": url(f"/customer_invoices/{iid}/{name}")} for name in (
        "invoice_line_sections", "invoice_lines", "custom_header_fields", "categories",
        "payments", "matched_transactions", "appendices")}
    out: dict[str, Any] = {
        **links,
        "id": iid, "label": f"Facture {inv.number}", "invoice_number": inv.number,
        "currency": "EUR", "amount": money(sign * inv.total),
        "currency_amount": money(sign * inv.total),
        "currency_amount_before_tax": money(sign * before_tax), "exchange_rate": "1.0",
        "date": inv.date.isoformat() if inv.date else None,
        "deadline": inv.deadline.isoformat() if inv.deadline else None,
        "currency_tax": money(sign * (inv.total - before_tax)),
        "tax": money(sign * (inv.total - before_tax)), "language": "fr_FR",
        "paid": remaining == 0 and not inv.draft, "status": inv.status(today),
        "discount": {"type": "absolute", "value": "0.0"}, "ledger_entry": {"id": iid * 10},
        "public_file_url": f"https://files.example/{iid}.pdf?signature=abc",
        "filename": f"{inv.number}.pdf",
        "remaining_amount_with_tax": None if inv.draft else money(sign * remaining),
        "remaining_amount_without_tax": None if inv.draft else money(
            sign * (remaining / Decimal("1.2")).quantize(Decimal("0.01"))),
        "draft": inv.draft, "special_mention": None,
        "customer": None if inv.customer_id is None else {
            "id": inv.customer_id, "url": url(f"/customers/{inv.customer_id}")},
        "pdf_invoice_free_text": "", "pdf_invoice_subject": "", "pdf_description": None,
        "billing_subscription": None,
        "credited_invoice": None if inv.credited_invoice is None else {
            "id": inv.credited_invoice, "url": url(f"/customer_invoices/{inv.credited_invoice}")},
        "customer_invoice_template": None, "transaction_reference": None,
        "quote": None, "external_reference": f"ext-i-{iid}",
        "e_invoicing": None if inv.e_invoicing is None else {
            "status": inv.e_invoicing, "reason": None},
        "archived_at": None, "created_at": iso(inv.created_at), "updated_at": iso(inv.updated_at),
    }
    out.update(inv.overrides)
    return out


def filter_fields(resource: str, item: Any) -> dict[str, Any]:
    """The fields each list lets a client filter on (a subset of the spec's lists)."""
    if resource == "customers":
        return {"id": item["id"], "customer_type": item["customer_type"], "name": item["name"]}
    return {"id": item.id, "customer_id": item.customer_id, "draft": item.draft,
            "credit_note": item.credited_invoice is not None, "invoice_number": item.number,
            "date": item.date.isoformat() if item.date else None}


def matches(fields: dict[str, Any], rule: dict[str, Any]) -> bool:
    """One `{"field", "operator", "value"}` rule; values may come as strings, as in the spec."""
    value, op, want = fields[rule["field"]], rule["operator"], rule["value"]

    def norm(v: Any) -> Any:
        if isinstance(value, bool):
            return v if isinstance(v, bool) else str(v).lower() == "true"
        if isinstance(value, int):
            return int(v)
        return v

    if op == "in":
        return value in [norm(v) for v in want]
    if op == "not_in":
        return value not in [norm(v) for v in want]
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: a == b, "not_eq": lambda a, b: a != b, "lt": lambda a, b: a < b,
        "lteq": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gteq": lambda a, b: a >= b}
    return comparisons[op](value, norm(want))


def list_cursor(path: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{path}:{last_id}".encode()).decode()


def list_cursor_id(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().rsplit(":", 1)[1])


def event_cursor(event: Event) -> str:
    return base64.urlsafe_b64encode(f"{event[0]}|{iso(event[3])}".encode()).decode()


def decode_event_cursor(cursor: str) -> tuple[int, dt.datetime]:
    seq, _, at = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
    return int(seq), dt.datetime.fromisoformat(at.replace("Z", "+00:00"))


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _address() -> dict[str, str]:
    return {"address": "1 rue de la Paix", "postal_code": "75002", "city": "Paris",
            "country_alpha2": "FR"}
