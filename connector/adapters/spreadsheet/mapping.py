"""Rows of an invoice list (CSV/XLSX) → invoices and customers, through a column mapping.

The mapping names, for each field relance needs, the header of the column that holds it;
`guess` proposes one from French or English headers (what `relance import inspect` shows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, ValidationError

from connector.adapters.tables import Row, fold, guess_columns, parse_amount, parse_date
from connector.models import Customer, Invoice, InvoiceKind, InvoiceStatus, rejected_fields
from connector.rules.terms import PaymentTerms

SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": ("numero", "numero de facture", "n facture", "no facture", "facture",
               "ref facture", "reference", "invoice", "invoice number", "invoice no", "number"),
    "customer_id": ("code client", "compte client", "numero client", "id client",
                    "customer id", "customer code", "account"),
    "customer": ("nom du client", "client", "raison sociale", "nom", "societe",
                 "customer", "customer name", "company", "name"),
    "email": ("email", "e mail", "courriel", "adresse email", "mail", "email address"),
    "issue_date": ("date de facture", "date facture", "date d emission", "date", "emise le",
                   "invoice date", "issue date", "issued"),
    "due_date": ("date d echeance", "echeance", "date prevue", "date limite",
                 "date de paiement prevue", "due date", "due", "payment due"),
    "amount": ("montant ttc", "montant", "total ttc", "total", "amount", "invoice amount",
               "amount due"),
    "paid": ("montant paye", "deja paye", "regle", "montant regle", "paye", "paid",
             "amount paid"),
    "remaining": ("reste a payer", "reste du", "solde", "restant du", "remaining",
                  "balance", "outstanding", "open amount"),
    "status": ("statut", "etat", "status", "state"),
    "currency": ("devise", "monnaie", "currency"),
}
FIELDS = tuple(SYNONYMS)
_STATUS: dict[str, InvoiceStatus] = {
    "payee": "paid", "paye": "paid", "reglee": "paid", "regle": "paid", "soldee": "paid",
    "paid": "paid", "settled": "paid",
    "partiel": "partial", "partielle": "partial", "partiellement payee": "partial",
    "acompte": "partial", "partial": "partial", "partially paid": "partial",
    "litige": "disputed", "en litige": "disputed", "contestee": "disputed",
    "disputed": "disputed",
    "annulee": "cancelled", "annule": "cancelled", "cancelled": "cancelled",
    "canceled": "cancelled", "void": "cancelled",
}
_OPEN = {"a payer", "impayee", "impaye", "en attente", "en retard", "envoyee", "emise",
         "ouverte", "relancee", "open", "unpaid", "overdue", "sent", "due", "pending", ""}


class Columns(BaseModel):
    """`[source.columns]`: field = "header of its column" (a header read as written)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    customer: str
    amount: str
    number: str | None = None
    customer_id: str | None = None
    email: str | None = None
    issue_date: str | None = None
    due_date: str | None = None
    paid: str | None = None
    remaining: str | None = None
    status: str | None = None
    currency: str | None = None


def guess(headers: list[str]) -> dict[str, str]:
    return guess_columns(headers, SYNONYMS)


@dataclass
class Sheet:
    invoices: list[Invoice] = field(default_factory=list)
    customers: dict[str, Customer] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def status_of(text: str) -> InvoiceStatus | None:
    """A status as people write it ("Payée", "En retard", "Partiellement payée"); None when it
    says nothing (open, or blank): the amounts decide then."""
    plain = fold(text)
    if plain in _STATUS:
        return _STATUS[plain]
    if plain in _OPEN:
        return None
    raise ValueError(f"status {text!r} not understood (payée, partiel, litige, annulée, "
                     f"à payer...)")


def customer_key(name: str) -> str:
    return fold(name).replace(" ", "-")[:128] or "client"


def read_row(row: Row, columns: Columns, terms: PaymentTerms, currency: str
             ) -> tuple[Invoice, Customer, list[str]]:
    """One row as relance understands it; a ValueError says why it cannot be."""
    def cell(name: str) -> str:
        header = getattr(columns, name)
        return row.cells.get(header, "").strip() if header else ""

    name = cell("customer")
    if not name:
        raise ValueError("no customer name")
    amount = parse_amount(cell("amount")) if cell("amount") else None
    if amount is None:
        raise ValueError("no amount")
    issued = parse_date(cell("issue_date")) if cell("issue_date") else None
    if issued is None:
        raise ValueError("no invoice date")
    due = parse_date(cell("due_date")) if cell("due_date") else terms.due(issued)
    kind: InvoiceKind = "credit_note" if amount < 0 else "invoice"
    total = abs(amount)
    stated = status_of(cell("status"))
    if cell("remaining"):
        residual = abs(parse_amount(cell("remaining")))
    elif cell("paid"):
        residual = total - abs(parse_amount(cell("paid")))
    else:
        residual = Decimal(0) if stated in ("paid", "cancelled") else total
    if stated in ("paid", "cancelled") and not cell("remaining"):
        residual = Decimal(0)
    status: InvoiceStatus = stated or ("paid" if residual == 0 else
                                       "partial" if residual < total else "open")
    if status == "partial" and residual == 0:
        status = "paid"
    customer_id = cell("customer_id") or customer_key(name)
    number = cell("number") or f"{issued.isoformat()}-{total}"
    with rejected_fields() as dropped:
        customer = Customer(external_id=customer_id, name=name, email=cell("email") or None)
        invoice = Invoice(external_id=f"{customer_id}/{number}"[:128], number=number,
                          customer_id=customer_id, kind=kind, status=status, issue_date=issued,
                          due_date=due, currency=(cell("currency") or currency).upper(),
                          total=total, residual=residual)
    return invoice, customer, list(dropped)


def read_sheet(rows: list[Row], columns: Columns, terms_of: Callable[[str], PaymentTerms],
               currency: str) -> Sheet:
    sheet = Sheet()
    seen: dict[str, str] = {}
    for row in rows:
        try:
            name = row.cells.get(columns.customer, "")
            invoice, customer, dropped = read_row(row, columns, terms_of(name), currency)
        except (ValidationError, ValueError, ArithmeticError) as exc:
            sheet.rejected.append((row.where, _reason(exc)))
            continue
        if invoice.external_id in seen:
            sheet.rejected.append((row.where, f"invoice {invoice.number} of {customer.name} "
                                              f"already on {seen[invoice.external_id]}"))
            continue
        seen[invoice.external_id] = row.where
        sheet.rejected.extend((row.where, reason) for reason in dropped)
        sheet.invoices.append(invoice)
        held = sheet.customers.get(customer.external_id)
        if held is None or (customer.email and not held.email):
            sheet.customers[customer.external_id] = customer
    return sheet


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]) for e in exc.errors()[:3])
    return str(exc)[:500]
