"""Source-neutral records. Adapters map vendor payloads to these; everything downstream reads only these.

Money is always `Decimal` quantized to the currency's minor unit. Vendors that send floats (Odoo)
must go through `to_decimal()` which converts via `str()` so 0.1 stays 0.1.

What a source sends is not trusted: every value is checked here, once, so that a record either
becomes a model the store and the rules can use, or is rejected (ValueError → the adapter's
`map_records` logs it with its source id and skips it):
- amounts: more decimals than the currency has are rounded half-up to its minor unit (what the
  vendors' own ledgers do, and deterministic); amounts of 10^15 or more are refused, since no
  invoice is that large and their minor units would overflow the store's BIGINT;
- currencies: three ASCII letters known to ISO 4217 (Babel's list), or refused;
- dates: years 1900 to 2199 (a year 9999 due date would overflow the rules' date arithmetic);
- ids: at most 128 characters (the store's key width), no control characters;
- text: NUL characters are dropped (PostgreSQL cannot store them); other Unicode is kept;
- the impossible: an amount due below zero or above the invoice's total, a negative total (a
  credit note is a kind, not a sign), an instalment due more than its amount: the record is
  refused; an e-mail that is not an address ("Ut incididunt"): that field is dropped, and the
  reason handed to whoever maps the page (`rejected_fields()`), so the customer gets a task
  instead of a bounced email.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, TypeVar

from babel.numbers import get_currency_precision, list_currencies
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from connector.emails import InvalidAddress
from connector.emails import split as emails_in

InvoiceKind = Literal["invoice", "credit_note"]
InvoiceStatus = Literal["open", "partial", "paid", "cancelled", "disputed"]
# public: the State, local authorities, public bodies (intérêts moratoires, C. commande publique)
CustomerKind = Literal["company", "individual", "public"]
OPEN_STATUSES: frozenset[str] = frozenset({"open", "partial"})
MAX_AMOUNT = Decimal(10) ** 15
MAX_MINOR = 2**63 - 1  # BIGINT
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
ID_LENGTH = 128
ISO_CURRENCIES: frozenset[str] = frozenset(list_currencies())
R = TypeVar("R", bound="BaseModel")


@functools.lru_cache(maxsize=256)
def currency_digits(currency: str) -> int:
    """Number of decimals of an ISO 4217 currency (EUR 2, JPY 0, TND 3)."""
    return get_currency_precision(currency.upper())


def to_decimal(value: object, currency: str = "EUR") -> Decimal:
    """Convert a vendor amount (str, int, float, Decimal) to a Decimal at the currency's minor unit."""
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float
                                                                  | Decimal):
        raise ValueError(f"not an amount: {_short(value)}")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):  # ValueError: an int too long to print
        raise ValueError(f"not an amount: {_short(value)}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {_short(value)}")
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"amount out of range (10^15 or more): {_short(value)}")
    digits = currency_digits(currency)
    quantized = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if abs(quantized.scaleb(digits)) > MAX_MINOR:
        raise ValueError(f"amount out of range in {currency}: {_short(value)}")
    return quantized


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return f"<{type(value).__name__} too long>"
    return text if len(text) <= 60 else text[:57] + "..."


def check_currency(value: str) -> str:
    """An ISO 4217 code, upper-cased; anything else (symbols, typos, 'EURO') is refused."""
    code = value.upper() if isinstance(value, str) else value
    if not isinstance(code, str) or not (len(code) == 3 and code.isascii() and code.isalpha()) \
            or code not in ISO_CURRENCIES:
        raise ValueError(f"not an ISO 4217 currency code: {_short(value)}")
    return code


def check_day(value: dt.date | None) -> dt.date | None:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"date out of range ({MIN_DATE.year}-{MAX_DATE.year}): {value}")
    return value


def check_id(value: str | None, limit: int = ID_LENGTH) -> str | None:
    if value is None:
        return value
    if not value or len(value) > limit:
        raise ValueError(f"an id must have 1 to {limit} characters, not {len(value)}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"an id must not contain control characters: {_short(value)}")
    return value


def _drop_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, tuple | list):
        return type(value)(_drop_nul(v) for v in value)
    return value


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal amount → integer count of minor units (cents), exact; this is how the store keeps money."""
    if isinstance(amount, Decimal) and amount.is_finite():  # already in minor units: no checks
        scaled = amount.scaleb(currency_digits(currency))
        if scaled == scaled.to_integral_value() and abs(scaled) <= MAX_MINOR \
                and abs(amount) < MAX_AMOUNT:
            return int(scaled)
    return int(to_decimal(amount, currency).scaleb(currency_digits(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-currency_digits(currency))


ID_FIELDS = frozenset({"external_id", "customer_id", "invoice_id", "credited_invoice_id",
                       "company_id"})
DATE_FIELDS = frozenset({"issue_date", "due_date", "paid_date", "date"})


def email_problem(value: object) -> str | None:
    """Why `value` is not an e-mail address we may write to, or None when it is one (or several,
    "a@x.fr; b@x.fr", as Odoo and Sage fields often hold: Customer.billing_emails splits them)."""
    if not isinstance(value, str):
        return f"not an e-mail address: {_short(value)}"
    good, bad = emails_in(value)
    if bad or not good:
        reason = f" ({bad[0].reason})" if bad else ""
        return f"not an e-mail address: {_short(value)}{reason}"
    return None


_DROPPED: ContextVar[list[str] | None] = ContextVar("relance_dropped_fields", default=None)


@contextmanager
def rejected_fields() -> Iterator[list[str]]:
    """Collect the fields dropped while mapping one record (the record itself is kept): the
    adapters' `map_records` logs each and counts it with the page's rejects."""
    bucket: list[str] = []
    token = _DROPPED.set(bucket)
    try:
        yield bucket
    finally:
        _DROPPED.reset(token)


def _drop_bad_email(data: object, what: str) -> object:
    """The values without an e-mail that is not an address; the reason goes to the collector."""
    if not isinstance(data, dict) or not data.get("email"):
        return data
    problem = email_problem(_drop_nul(data["email"]))  # NUL is dropped from text anyway
    if problem is None:
        return data
    bucket = _DROPPED.get()
    if bucket is not None:
        bucket.append(f"{what} email dropped: {problem}")
    return {**data, "email": None}


def trusted(cls: type[R], values: dict[str, object]) -> R:
    """A record from values we checked ourselves (rows the store wrote), every field given.

    What pydantic's `model_construct` does, without its per-field loop over defaults and aliases:
    reading 100k invoices back for a plan is the hot path (issue 18)."""
    record = cls.__new__(cls)
    _set(record, "__dict__", values)
    _set(record, "__pydantic_fields_set__", _all_fields(cls))
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record


@functools.cache
def _all_fields(cls: type[BaseModel]) -> set[str]:
    return set(cls.model_fields)


_set = object.__setattr__


class Record(BaseModel):
    # the validators are built when a record is first validated (a sync, a bank import), not at
    # import: `plan` and `status` read rows the store wrote (`trusted`) and validate none
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: object, info: ValidationInfo) -> object:
        # Ids are kept exact (and refused below if odd): dropping a character could merge two.
        return value if info.field_name in ID_FIELDS else _drop_nul(value)

    @field_validator("*", mode="after")
    @classmethod
    def _bounds(cls, value: object, info: ValidationInfo) -> object:
        if info.field_name in ID_FIELDS:
            # company ids are narrower in the store (String(64))
            limit = 64 if info.field_name == "company_id" else ID_LENGTH
            return check_id(value, limit)  # type: ignore[arg-type]
        if info.field_name in DATE_FIELDS:
            return check_day(value)  # type: ignore[arg-type]
        if info.field_name == "currency":
            return check_currency(value)  # type: ignore[arg-type]
        return value


class Contact(Record):
    """A person to write to about invoices (a billing contact of a customer)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str = "billing"

    @model_validator(mode="before")
    @classmethod
    def _addresses_only(cls, data: object) -> object:
        return _drop_bad_email(data, "contact")


class PostalAddress(Record):
    """Where a formal notice is posted: the invoice address of the customer, as the source has it."""

    street: str
    street2: str | None = None
    postal_code: str | None = None
    city: str
    country: str | None = None
    """ISO 3166 alpha-2 code or a country name; left off the letter when it is France."""

    @field_validator("street", "city")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a postal address needs a street and a city")
        return value.strip()

    def lines(self) -> list[str]:
        """The lines printed under the recipient's name (French order: postcode then city)."""
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        lines = [self.street, *([self.street2] if self.street2 else []), town]
        if self.country and self.country.strip().upper() not in {"FR", "FRANCE"}:
            lines.append(self.country.strip().upper() if len(self.country.strip()) == 2
                         else self.country.strip())
        return lines

    def text(self) -> str:
        return "\n".join(self.lines())

    @classmethod
    def parse(cls, street: object, street2: object = None, postal_code: object = None,
              city: object = None, country: object = None) -> PostalAddress | None:
        """An address from vendor fields, or None when the street or the city is missing:
        a letter cannot be posted to half an address."""
        def clean(value: object) -> str | None:
            return value.strip() or None if isinstance(value, str) else None
        if clean(street) is None or clean(city) is None:
            return None
        return cls(street=clean(street) or "", street2=clean(street2),
                   postal_code=clean(postal_code), city=clean(city) or "",
                   country=clean(country))


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
    address: PostalAddress | None = None
    updated_at: dt.datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _addresses_only(cls, data: object) -> object:
        return _drop_bad_email(data, "customer")

    @field_validator("language")
    @classmethod
    def _short_language(cls, value: str) -> str:
        # Sources say "fr_FR", "en_US", "FR": the rules only need the language. Anything that
        # is not a language code (empty, digits, a sentence) falls back to French, the default.
        short = (value or "fr").replace("-", "_").split("_")[0].lower()
        return short if 2 <= len(short) <= 8 and short.isascii() and short.isalpha() else "fr"

    def billing_emails(self) -> list[str]:
        """Billing contacts first, then the customer's own address; no duplicates, no blanks.
        A field holding several addresses ("a@x.fr; b@x.fr") gives each; what is not an address
        (a vendor's free-text field, "voir Mme Martin") is left out: see invalid_emails()."""
        emails: list[str] = []
        for candidate in [c.email for c in self.contacts] + [self.email]:
            for address in emails_in(candidate)[0]:
                if address.lower() not in {e.lower() for e in emails}:
                    emails.append(address)
        return emails

    def invalid_emails(self) -> list[InvalidAddress]:
        """What the email fields hold that is not an address, each with the reason."""
        return [bad for candidate in [c.email for c in self.contacts] + [self.email]
                for bad in emails_in(candidate)[1]]


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
        # What no ledger can hold is refused, never acted on (abs() would turn a negative
        # remaining amount into a debt to collect).
        if self.total < 0:
            raise ValueError(f"negative invoice total {self.total} (a credit note is a kind, "
                             f"not a negative invoice)")
        if self.residual < 0:
            raise ValueError(f"amount due {self.residual} is below zero")
        if self.residual > self.total:
            raise ValueError(f"amount due {self.residual} is above the invoice total "
                             f"{self.total}")
        for inst in self.instalments:  # they are stored as text, but summed by the rules
            amount = to_decimal(inst.amount, self.currency)
            residual = to_decimal(inst.residual, self.currency)
            if residual < 0 or residual > amount:
                raise ValueError(f"instalment due {inst.due_date}: amount due {residual} is "
                                 f"outside 0..{amount}")
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

    def paid_before(self, item_id: str) -> Decimal | None:
        """For "<id>#n": what is paid on the instalments due before the n-th (by due date, then
        number), where its share of the invoice's payments starts; None for a whole invoice."""
        _, hash_, number = item_id.rpartition("#")
        if not hash_ or not number.isdigit() or not 0 < int(number) <= len(self.instalments):
            return None
        n = int(number)
        mine = (self.instalments[n - 1].due_date, n)
        return sum((to_decimal(i.amount, self.currency) - to_decimal(i.residual, self.currency)
                    for k, i in enumerate(self.instalments, start=1) if (i.due_date, k) < mine),
                   Decimal(0))


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


class BankCredit(Record):
    """Money received on the company's bank account, as a statement reports it (CAMT.053, OFX,
    a bank's CSV export): what the bank matcher compares with the open invoices."""

    reference: str = Field(min_length=1, max_length=128)
    """Unique per account: the bank's reference (AcctSvcrRef, FITID) or a hash of the line."""
    account: str = ""
    """The IBAN or account number the statement is for."""
    date: dt.date
    """Booking date (the day the bank credited the account)."""
    value_date: dt.date | None = None
    amount: Decimal
    currency: str = "EUR"
    payer: str = ""
    """The ordering party's name, when the bank gives it."""
    text: str = ""
    """Remittance information (Ustrd, MEMO, Libellé): where payers write the invoice number."""

    @model_validator(mode="after")
    def _positive(self) -> BankCredit:
        object.__setattr__(self, "amount", to_decimal(self.amount, self.currency))
        if self.amount <= 0:
            raise ValueError(f"a credit must be positive, not {self.amount}")
        return self
