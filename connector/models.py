"""Source-neutral records. Adapters map vendor payloads to these; everything downstream reads only these.

Money is always `Decimal` quantized to the currency's minor unit. Vendors that send floats (Odoo)
must go through `to_decimal()` which converts via `str()` so 0.1 stays 0.1.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from babel.numbers import get_currency_precision
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

InvoiceKind = Literal["invoice", "credit_note"]
InvoiceStatus = Literal["open", "partial", "paid", "cancelled", "disputed"]
CustomerKind = Literal["company", "individual"]
OPEN_STATUSES: frozenset[str] = frozenset({"open", "partial"})


@functools.lru_cache(maxsize=256)
def currency_digits(currency: str) -> int:
    """Number of decimals of an ISO 4217 currency (EUR 2, JPY 0, TND 3)."""
    return get_currency_precision(currency.upper())


def to_decimal(value: object, currency: str = "EUR") -> Decimal:
    """Convert a vendor amount (str, int, float, Decimal) to a Decimal at the currency's minor unit."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an amount: {value!r}")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    exponent = Decimal(1).scaleb(-currency_digits(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal amount → integer count of minor units (cents), exact; this is how the store keeps money."""
    return int(to_decimal(amount, currency).scaleb(currency_digits(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-currency_digits(currency))


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Record):
    amount: Decimal
    currency: str = "EUR"

    @model_validator(mode="after")
    def _quantize(self) -> Money:
        object.__setattr__(self, "amount", to_decimal(self.amount, self.currency))
        return self


class Contact(Record):
    """A person to write to about invoices (a billing contact of a customer)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str = "billing"


class Customer(Record):
    external_id: str
    name: str
    kind: CustomerKind = "company"
    email: str | None = None
    phone: str | None = None
    language: str = "fr"
    contacts: tuple[Contact, ...] = ()
    tags: tuple[str, ...] = ()
    do_not_dun: bool = False
    company_id: str | None = None
    updated_at: dt.datetime | None = None

    @field_validator("language")
    @classmethod
    def _short_language(cls, value: str) -> str:
        # Sources say "fr_FR", "en_US", "FR": the rules only need the language.
        return (value or "fr").replace("-", "_").split("_")[0].lower() or "fr"

    def billing_emails(self) -> list[str]:
        """Billing contacts first, then the customer's own address; no duplicates, no blanks."""
        emails: list[str] = []
        for candidate in [c.email for c in self.contacts] + [self.email]:
            if candidate and candidate.strip() and candidate.strip().lower() not in {
                e.lower() for e in emails
            }:
                emails.append(candidate.strip())
        return emails


class Instalment(Record):
    """One due date of an invoice whose payment terms split it (30 % now, balance at 60 days)."""

    due_date: dt.date
    amount: Decimal
    residual: Decimal


class Invoice(Record):
    external_id: str
    number: str
    customer_id: str
    kind: InvoiceKind = "invoice"
    status: InvoiceStatus
    issue_date: dt.date
    due_date: dt.date
    currency: str = "EUR"
    total: Decimal
    residual: Decimal = Field(description="amount still due (positive), in the invoice currency")
    pdf_url: str | None = None
    instalments: tuple[Instalment, ...] = ()
    credited_invoice_id: str | None = None
    company_id: str | None = None
    paid_date: dt.date | None = None
    updated_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _check(self) -> Invoice:
        for name in ("total", "residual"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), self.currency))
        if self.residual < 0:
            raise ValueError("residual must not be negative")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO currency code: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())
        return self

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and self.residual > 0

    def due_items(self) -> list[tuple[str, dt.date, Decimal]]:
        """What is chased: (item id, due date, residual). One item, or one per unpaid instalment."""
        if not self.instalments:
            return [(self.external_id, self.due_date, self.residual)]
        return [
            (f"{self.external_id}#{n}", inst.due_date, inst.residual)
            for n, inst in enumerate(self.instalments, start=1)
            if inst.residual > 0
        ]


class Payment(Record):
    external_id: str
    customer_id: str | None = None
    invoice_id: str | None = None
    date: dt.date
    amount: Decimal
    currency: str = "EUR"

    @model_validator(mode="after")
    def _quantize(self) -> Payment:
        object.__setattr__(self, "amount", to_decimal(self.amount, self.currency))
        return self
