"""Invoices, credit notes and payments rebuilt from the customer lines (411…) of FEC files.

The FEC knows entries, not invoices. An invoice is the debit of one entry on one customer's
account; a credit on a customer's account is a credit note when its entry touches a sales
account (class 7: a sale reversed), a payment otherwise (bank, cash, a write-off, a transfer).
Lettering (EcritureLet) says what settled what: the credits of one lettering code pay its debits,
oldest first; a code whose credits fall short of its debits is a partial lettering (partial
payments). A payment nobody lettered yet is still money received: it pays the customer's oldest
open invoices (in date order), so nobody is chased for it. An unlettered credit note stays open
and the reminder deducts it, as it does for every source.

Files and periods (the export is the truth): of two exports of one period (same SIREN and
closing date in the name) only the newer is read, so an entry that vanished from it is gone.
The opening entries ("à nouveaux", journal AN…) of a year repeat the open items of the year
before: they are read only when the file of the year before is not there.

Foreign currency: Debit/Credit are in euros, Montantdevise/Idevise give the invoice's own
currency; the invoice is kept in its currency and what is still due is its euro share of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ValidationError

from connector.adapters.fec.parse import FecFile, FecLine
from connector.adapters.tables import parse_date
from connector.models import Invoice, InvoiceStatus, Payment, currency_digits
from connector.rules.terms import PaymentTerms

log = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass
class Document:
    """One entry's lines on one customer account, on one side: an invoice, a credit note or a
    payment (its lettering code is the first one its lines carry)."""

    id: str
    customer: str
    lines: list[FecLine]
    kind: str  # "invoice", "credit_note" or "payment"
    amount: Decimal  # in euros, positive
    settled: Decimal = ZERO  # euros matched against the other side
    applied: list[tuple[str, Decimal, dt.date]] = field(default_factory=list)
    """For a debit: (credit document id, euros, date) that paid it."""

    @property
    def first(self) -> FecLine:
        return self.lines[0]

    @property
    def day(self) -> dt.date:
        return self.first.piece_date or self.first.entry_date

    @property
    def letter(self) -> str:
        return next((_letter_code(x.letter) for x in self.lines if _letter_code(x.letter)), "")

    @property
    def left(self) -> Decimal:
        return self.amount - self.settled


@dataclass
class Ledger:
    invoices: list[Invoice]
    payments: list[Payment]
    names: dict[str, str]
    rejected: list[tuple[str, str]]


def _letter_code(text: str) -> str:
    # Sage writes a partial lettering in lower case, EBP marks it with "*": one code either way
    return text.strip().upper().rstrip("*")


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def is_opening(line: FecLine, journals: tuple[str, ...]) -> bool:
    """An "à nouveaux" line: an opening journal by code, or by its name."""
    return line.journal.upper() in journals or "nouveau" in _plain(line.journal_lib)


def active_files(files: list[FecFile]) -> list[FecFile]:
    """One file per period: the newest export (modification time, then name) wins."""
    newest: dict[tuple[str, str], FecFile] = {}
    for fec in files:
        held = newest.get(fec.period)
        stamp = (fec.path.stat().st_mtime_ns, fec.path.name)
        if held is None or stamp > (held.path.stat().st_mtime_ns, held.path.name):
            newest[fec.period] = fec
    return sorted(newest.values(), key=lambda f: (f.closing or f.last_date or dt.date.min,
                                                  f.path.name))


def _previous_year_present(fec: FecFile, files: list[FecFile]) -> bool:
    if fec.first_date is None:
        return False
    start = fec.first_date - dt.timedelta(days=7)
    for other in files:
        closing = other.closing or other.last_date
        mine = fec.closing or fec.last_date
        if other is not fec and closing and mine and other.siren == fec.siren \
                and start <= closing < mine:
            return True
    return False


def build(files: list[FecFile], *, opening_journals: tuple[str, ...],
          terms_of: Callable[[str], PaymentTerms], due_pattern: re.Pattern[str] | None
          ) -> Ledger:
    active = active_files(files)
    rejected: list[tuple[str, str]] = []
    documents: dict[str, Document] = {}
    names: dict[str, str] = {}
    for fec in active:
        skip_opening = _previous_year_present(fec, active)
        tag = f"{fec.siren or fec.path.stem}-{fec.closing:%Y%m%d}" if fec.closing \
            else fec.path.stem[:40]  # ids fit the store's 128 characters
        for line in fec.lines:
            if skip_opening and is_opening(line, opening_journals):
                continue
            customer = line.aux or line.account
            names.setdefault(customer, line.aux_lib or line.account_lib or customer)
            net = line.debit - line.credit
            if net == 0:
                continue
            side = "D" if net > 0 else "C"
            # the id must not hold the lettering: lettering comes later and an invoice keeps
            # its id (and its history) when it is paid
            key = f"{tag}-{line.journal}-{line.entry}-{customer}-{side}"
            held = documents.get(key)
            if held is None:
                accounts = fec.accounts.get((line.journal, line.entry), set())
                kind = "invoice" if side == "D" else (
                    "credit_note" if any(a.startswith("7") for a in accounts) else "payment")
                documents[key] = Document(key, customer, [line], kind, abs(net))
            else:
                held.lines.append(line)
                held.amount += net if side == "D" else -net
    _settle(list(documents.values()))
    invoices: list[Invoice] = []
    payments: list[Payment] = []
    for doc in sorted(documents.values(), key=lambda d: (d.day, d.id)):
        if doc.kind == "payment":
            continue
        try:
            invoice = _invoice(doc, documents, terms_of, due_pattern)
        except (ValidationError, ValueError, ArithmeticError) as exc:
            rejected.append((doc.first.where, f"{type(exc).__name__}: {exc}"[:500]))
            continue
        invoices.append(invoice)
        if doc.kind == "invoice":
            payments.extend(_payments(doc, documents, invoice))
    return Ledger(invoices, payments, names, rejected)


def _settle(documents: list[Document]) -> None:
    """Lettering first (credits of a code pay its debits, oldest first), then the unlettered
    payments pay the oldest open invoices of their customer."""
    groups: dict[tuple[str, str], list[Document]] = {}
    for doc in documents:
        if doc.letter:
            groups.setdefault((doc.customer, doc.letter), []).append(doc)
    for group in groups.values():
        _match([d for d in group if d.kind == "invoice"],
               [d for d in group if d.kind != "invoice"])
    by_customer: dict[str, list[Document]] = {}
    for doc in documents:
        by_customer.setdefault(doc.customer, []).append(doc)
    for docs in by_customer.values():
        _match([d for d in docs if d.kind == "invoice"],
               [d for d in docs if d.kind == "payment" and not d.letter])
        # a lettered payment with nothing left to pay in its code (its invoice is in a file
        # not read, e.g. an opening entry skipped) pays like an unlettered one
        _match([d for d in docs if d.kind == "invoice"],
               [d for d in docs if d.kind == "payment" and d.letter and d.left > 0])


def _match(debits: list[Document], credits: list[Document]) -> None:
    debits = sorted((d for d in debits if d.left > 0), key=lambda d: (d.day, d.id))
    for credit in sorted(credits, key=lambda d: (d.day, d.id)):
        for debit in debits:
            if credit.left <= 0:
                break
            share = min(debit.left, credit.left)
            if share <= 0:
                continue
            debit.settled += share
            credit.settled += share
            # the day the money came (the payment's own date), not the day the accountant
            # lettered it: late-payment interest and payment behaviour count to that day
            debit.applied.append((credit.id, share, credit.day))


def _due(doc: Document, terms_of: Callable[[str], PaymentTerms],
         due_pattern: re.Pattern[str] | None) -> dt.date:
    if doc.kind != "invoice":
        return doc.day
    if due_pattern is not None:
        for line in doc.lines:
            found = due_pattern.search(line.label)
            if found:
                return parse_date(found.groupdict().get("due") or found.group(1))
    return terms_of(doc.customer).due(doc.day)


def _currency(doc: Document) -> tuple[str, Decimal]:
    """The invoice's own currency and total in it (euros when the FEC gives none)."""
    codes = {line.currency for line in doc.lines if line.currency}
    amounts = [line.currency_amount for line in doc.lines if line.currency_amount]
    if len(codes) == 1 and amounts and codes != {"EUR"}:
        return codes.pop(), abs(sum(amounts, ZERO))
    return "EUR", doc.amount


def _in(currency: str, total: Decimal, euros_total: Decimal, euros: Decimal) -> Decimal:
    if currency == "EUR" or euros_total == 0:
        return euros
    unit = Decimal(1).scaleb(-currency_digits(currency))
    return (total * euros / euros_total).quantize(unit, rounding=ROUND_HALF_UP)


def _invoice(doc: Document, documents: dict[str, Document],
             terms_of: Callable[[str], PaymentTerms],
             due_pattern: re.Pattern[str] | None) -> Invoice:
    currency, total = _currency(doc)
    residual = _in(currency, total, doc.amount, doc.left)
    status: InvoiceStatus
    if residual == 0:
        status = "paid"
        if doc.kind == "invoice" and doc.applied and all(
                documents[c].kind == "credit_note" for c, _, _ in doc.applied):
            status = "cancelled"  # offset by credit notes only: nothing was paid
    else:
        status = "partial" if doc.settled > 0 and doc.kind == "invoice" else "open"
    credited = None
    if doc.kind == "credit_note" and doc.letter:
        partners = [d for d in documents.values() if d.customer == doc.customer
                    and d.letter == doc.letter and d.kind == "invoice"]
        credited = partners[0].id if len(partners) == 1 else None
    paid_date = None
    if status == "paid" and doc.kind == "invoice":
        paid_date = max([d for _, _, d in doc.applied] or [doc.day])
    ref = doc.first.piece_ref
    number = ref if ref and ref.upper() != "SANS_PIECE_REF" else \
        f"{doc.first.journal}{doc.first.entry}"
    return Invoice(external_id=doc.id, number=number, customer_id=doc.customer,
                   kind="invoice" if doc.kind == "invoice" else "credit_note", status=status,
                   issue_date=doc.day, due_date=_due(doc, terms_of, due_pattern),
                   currency=currency, total=total, residual=residual,
                   credited_invoice_id=credited, paid_date=paid_date)


def _payments(doc: Document, documents: dict[str, Document], invoice: Invoice) -> list[Payment]:
    """One payment record per (payment, invoice) it settled: what reports and history show."""
    records = []
    for credit_id, euros, day in doc.applied:
        if documents[credit_id].kind != "payment":
            continue
        records.append(Payment(external_id=f"{credit_id}>{doc.id}"[-128:],
                               customer_id=doc.customer, invoice_id=doc.id, date=day,
                               currency=invoice.currency,
                               amount=_in(invoice.currency, invoice.total, doc.amount, euros)))
    return records
