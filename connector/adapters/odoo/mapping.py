"""Odoo → relance mapping: per-version field maps, payment states, fault classification, records.

Kept apart from `streams.py` (which talks to the server) so the tables can be read, and tested, on
their own. Shapes of Odoo's answers (recorded from a real 17.0): many2one is `[id, "name"]` or
`False`, an empty char is `False`, money is a float, datetimes are UTC `YYYY-MM-DD HH:MM:SS`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.errors import AuthError, BadRecordError, PermanentError
from connector.models import (
    Contact,
    Customer,
    Instalment,
    Invoice,
    InvoiceStatus,
    PostalAddress,
    to_decimal,
)

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"

INVOICE_FIELDS = [
    "name", "move_type", "state", "payment_state", "partner_id", "commercial_partner_id",
    "invoice_date", "invoice_date_due", "currency_id", "company_id", "amount_total",
    "amount_residual", "invoice_payment_term_id", "invoice_user_id", "reversed_entry_id",
    "invoice_payments_widget", "write_date",
]
"""`invoice_payments_widget` (16+, needs Invoicing / Billing): the payments and credit notes
reconciled with the invoice, each with its date, as the invoice form shows them. Read with the
invoice, it dates payments at no extra call."""
# The postal address of res.partner (base module): street lines, zip, city, and country as a
# many2one `[id, "France"]`; every empty char is False.
ADDRESS_FIELDS = ["street", "street2", "zip", "city", "country_id"]
PARTNER_FIELDS = [
    "name", "email", "phone", "mobile", "lang", "is_company", "parent_id", "type",
    "company_id", "customer_rank", "write_date", *ADDRESS_FIELDS,
]
CONTACT_FIELDS = ["name", "email", "phone", "mobile", "parent_id", "write_date", *ADDRESS_FIELDS]
# `amount_currency`/`amount_residual_currency` are in the invoice's currency; `debit` and
# `amount_residual` in the company's. We prefer the former so instalments add up to the total.
INSTALMENT_FIELDS = ["move_id", "date_maturity", "debit", "amount_residual", "amount_currency",
                     "amount_residual_currency", "currency_id"]

# payment_state → our status. `in_payment` is reconciled but not yet matched to a bank statement:
# the customer has paid, so we must not chase. `blocked` (18+) is a sticky "on hold" flag.
PAYMENT_STATUS: dict[str, InvoiceStatus] = {
    "not_paid": "open",
    "partial": "partial",
    "in_payment": "paid",
    "paid": "paid",
    "reversed": "cancelled",
    "invoicing_legacy": "paid",
    "blocked": "disputed",
}


@dataclass(frozen=True)
class VersionProfile:
    """What differs between the Odoo series we support."""

    serie: int
    payment_states: frozenset[str]
    partner_fields: tuple[str, ...]
    # Model-level right probe: 18 deprecates check_access_rights in favour of has_access.
    access_method: str


_BASE_STATES = frozenset({"not_paid", "partial", "in_payment", "paid", "reversed",
                          "invoicing_legacy"})
PROFILES: dict[int, VersionProfile] = {
    16: VersionProfile(16, _BASE_STATES, tuple(PARTNER_FIELDS), "check_access_rights"),
    17: VersionProfile(17, _BASE_STATES, tuple(PARTNER_FIELDS), "check_access_rights"),
    18: VersionProfile(18, _BASE_STATES | {"blocked"}, tuple(PARTNER_FIELDS), "has_access"),
}
OLDEST, NEWEST = min(PROFILES), max(PROFILES)


def parse_serie(serie: str) -> int:
    """Major version from `server_serie`: "17.0" → 17, "saas~17.2" → 17."""
    text = str(serie).rsplit("~", 1)[-1]
    try:
        return int(text.split(".")[0])
    except ValueError:
        raise PermanentError(f"cannot read the Odoo version {serie!r}") from None


# XML-RPC fault code → what the caller should do (DESIGN §5.4). /xmlrpc/2 sends int codes:
# 1 application error (faultString is a traceback), 2 UserError family (incl. MissingError),
# 3 AccessDenied (login/key), 4 AccessError (ACL, record rule, private method).
FAULT_TABLE: dict[int, type[Exception]] = {
    1: PermanentError,
    2: PermanentError,
    3: AuthError,
    4: AuthError,
}


def classify_fault(code: object) -> type[Exception]:
    """Unknown or legacy string codes are permanent: retrying the same call cannot help."""
    return FAULT_TABLE.get(code, PermanentError) if isinstance(code, int) else PermanentError


def fault_detail(code: object, fault_string: str) -> str:
    """What to show of a fault: Odoo sends a whole traceback for code 1 (its last line says what
    went wrong) and the exception's own message, possibly several lines, for the others."""
    lines = [line.strip() for line in str(fault_string).splitlines() if line.strip()]
    if not lines:
        return "no detail"
    return (lines[-1] if code == 1 else " ".join(lines))[:300]


# -- value helpers -------------------------------------------------------------------------
def text(value: Any) -> str | None:
    """Odoo sends False for an empty char field."""
    if value is False or value is None:
        return None
    value = str(value).strip()
    return value or None


def m2o_id(value: Any) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return None


def m2o_name(value: Any) -> str | None:
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return None


def parse_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def parse_datetime(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.strptime(str(value), ODOO_DATETIME).replace(tzinfo=dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(ODOO_DATETIME)


def is_customer(row: Mapping[str, Any]) -> bool:
    """A commercial partner (company, or person without one) that has been invoiced."""
    return (bool(row["is_company"]) or not row["parent_id"]) and row["customer_rank"] > 0


def next_second(stamp: str) -> str:
    moment = parse_datetime(stamp)
    assert moment is not None
    return format_datetime(moment + dt.timedelta(seconds=1))


# -- records -------------------------------------------------------------------------------
def map_invoice(raw: Mapping[str, Any], lines: list[Mapping[str, Any]] | None = None) -> Invoice:
    state = raw["payment_state"]
    if state not in PAYMENT_STATUS:
        raise BadRecordError(f"unknown payment_state {state!r}", source_id=str(raw.get("id")))
    currency = m2o_name(raw["currency_id"])
    customer = m2o_id(raw["commercial_partner_id"]) or m2o_id(raw["partner_id"])
    issue = parse_date(raw["invoice_date"])
    if not currency or customer is None or issue is None:
        raise BadRecordError("invoice without currency, customer or invoice date",
                             source_id=str(raw.get("id")))
    credited = m2o_id(raw.get("reversed_entry_id"))
    company = m2o_id(raw.get("company_id"))
    return Invoice(
        external_id=str(raw["id"]),
        number=text(raw["name"]) or f"#{raw['id']}",
        customer_id=str(customer),
        kind="credit_note" if raw["move_type"] == "out_refund" else "invoice",
        status=PAYMENT_STATUS[state],
        issue_date=issue,
        # invoice_date_due is the LAST instalment's date when the terms split the amount.
        due_date=parse_date(raw["invoice_date_due"]) or issue,
        currency=currency,
        total=to_decimal(raw["amount_total"], currency),
        residual=to_decimal(raw["amount_residual"], currency),
        instalments=map_instalments(lines or [], currency),
        credited_invoice_id=str(credited) if credited else None,
        company_id=str(company) if company else None,
        paid_date=last_payment(raw, currency),
        updated_at=parse_datetime(raw.get("write_date")),
    )


def last_payment(raw: Mapping[str, Any], currency: str) -> dt.date | None:
    """The date of the latest payment (or credit note) reconciled with the invoice, from its
    payments widget; exchange-difference entries are not payments. An entry in another currency
    than the invoice's comes without a rate: the invoice is refused rather than dated wrong."""
    widget = raw.get("invoice_payments_widget")
    if not isinstance(widget, Mapping):
        return None  # False: nothing reconciled
    own = m2o_id(raw.get("currency_id"))
    dates: list[dt.date] = []
    for entry in widget.get("content") or []:
        if not isinstance(entry, Mapping) or entry.get("is_exchange"):
            continue
        other = entry.get("currency_id")
        if own is not None and other not in (None, False, own):
            raise BadRecordError(f"a payment of {entry.get('amount')} in another currency (id "
                                 f"{other}) than the invoice's {currency}, without a rate",
                                 source_id=str(raw.get("id")))
        day = parse_date(entry.get("date"))
        if day is not None:
            dates.append(day)
    return max(dates) if dates else None


def map_instalments(lines: list[Mapping[str, Any]], currency: str) -> tuple[Instalment, ...]:
    """One instalment per receivable line, only when the terms really split the invoice."""
    if len(lines) < 2:
        return ()
    result = []
    for line in sorted(lines, key=lambda ln: (str(ln["date_maturity"]), ln["id"])):
        line_currency = m2o_name(line.get("currency_id"))
        if line_currency and line_currency != currency:
            # amount_residual_currency is in the line's currency: without a rate it cannot
            # stand for the invoice's amount due
            raise BadRecordError(f"instalment residual in {line_currency}, invoice in "
                                 f"{currency}, without a rate", source_id=str(line["id"]))
        amount = line.get("amount_currency", line.get("debit"))
        residual = line.get("amount_residual_currency", line.get("amount_residual"))
        due = parse_date(line["date_maturity"])
        if due is None:
            raise BadRecordError("instalment line without a due date", source_id=str(line["id"]))
        # Receivable lines of a credit note are credits: signs are negative there.
        result.append(Instalment(due_date=due, amount=abs(to_decimal(amount, currency)),
                                 residual=abs(to_decimal(residual, currency))))
    return tuple(result)


def group_lines(lines: Iterable[Mapping[str, Any]]) -> dict[int, list[Mapping[str, Any]]]:
    by_move: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for line in lines:
        move = m2o_id(line["move_id"])
        if move is not None:
            by_move[move].append(line)
    return by_move


def map_customer(raw: Mapping[str, Any], contacts: Sequence[Mapping[str, Any]]) -> Customer:
    name = text(raw["name"])
    if not name:
        raise BadRecordError("partner without a name", source_id=str(raw.get("id")))
    company = m2o_id(raw.get("company_id"))
    updated = max([str(raw["write_date"])] + [str(c["write_date"]) for c in contacts])
    return Customer(
        external_id=str(raw["id"]),
        name=name,
        kind="company" if raw["is_company"] else "individual",
        email=text(raw["email"]),
        phone=text(raw["phone"]) or text(raw.get("mobile")),
        language=text(raw["lang"]) or "fr",
        contacts=tuple(
            Contact(name=text(c["name"]), email=text(c["email"]),
                    phone=text(c["phone"]) or text(c.get("mobile")))
            for c in sorted(contacts, key=lambda c: c["id"])
        ),
        company_id=str(company) if company else None,
        address=map_address(raw, contacts),
        updated_at=parse_datetime(updated),
    )


def map_address(raw: Mapping[str, Any], contacts: Sequence[Mapping[str, Any]]
                ) -> PostalAddress | None:
    """Where invoices go: the first invoice-address contact (type "invoice", the ones passed
    here) that has a street and a city, else the partner's own address."""
    for row in [*sorted(contacts, key=lambda c: c["id"]), raw]:
        address = PostalAddress.parse(text(row.get("street")), text(row.get("street2")),
                                      text(row.get("zip")), text(row.get("city")),
                                      m2o_name(row.get("country_id")))
        if address is not None:
            return address
    return None
