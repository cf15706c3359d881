"""Which open invoices a bank credit pays, with a score: pure, no I/O, no clock.

A credit is compared with the open ledger. Candidates are the invoices whose number the remittance
text cites (with or without the prefix), a single invoice due for exactly that amount, and the open
invoices of a customer the text or payer names whose residuals add up to it (one or several). Each
candidate earns points:

    amount equal to the candidate's total due   50
    every invoice number cited in full          40  (digits only: 30, some of them: 15)
    the customer's name in the text or payer    20
    the only invoice set due for that amount    10  (or the only one a name or number supports)

A match is *confident* when the amount is exact, the score reaches `min_score` (80 by default: an
amount alone, or an amount and a name shared by two invoices, is not enough) and no other candidate
for another set of invoices reaches it too (*ambiguous*). A credit below what the cited invoices
owe is *partial*. Only a confident match holds reminders; the others wait for a person.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from connector.models import BankCredit, Customer, Invoice

Verdict = Literal["confident", "ambiguous", "partial", "review", "none"]
POINTS = {"amount": 50, "numbers": 40, "digits": 30, "some_numbers": 15, "name": 20,
          "unique": 10}
MIN_SCORE = 80
COMBO_INVOICES = 15  # beyond this many open invoices, only the whole balance is tried
COMBO_SIZE = 3
NOISE = frozenset({"sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "scop", "ste", "societe",
                   "ets", "etablissements", "et", "de", "la", "le", "les", "des", "du", "cie",
                   "groupe", "entreprise", "the", "and", "ltd", "gmbh", "inc"})


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    customer_name: str
    invoices: tuple[Invoice, ...]
    total: Decimal
    score: int
    reasons: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return "amount" in self.reasons

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        return tuple(i.external_id for i in self.invoices)

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(i.number for i in self.invoices)


@dataclass(frozen=True)
class Match:
    credit: BankCredit
    verdict: Verdict
    best: Candidate | None
    others: tuple[Candidate, ...] = field(default=())

    def explain(self) -> str:
        """One line for a person: what was found and why it holds (or not)."""
        if self.best is None:
            return "aucune facture ouverte ne correspond"
        words = {"amount": "montant exact", "numbers": "n° de facture cité",
                 "digits": "n° cité sans préfixe", "some_numbers": "une partie des n° cités",
                 "name": "nom du client", "unique": "seule facture à ce montant"}
        text = ", ".join(words[r] for r in self.best.reasons)
        if self.others:
            other = ", ".join(" + ".join(o.numbers) for o in self.others[:3])
            text += f" ; autre(s) possibilité(s) : {other}"
        return text


def normalize(text: str) -> str:
    """Lower case, accents dropped, anything not a letter or digit as one space."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def cites(text: str, number: str) -> str | None:
    """"full" when `text` (normalized) cites the invoice number, "digits" when it cites its digits
    only (payers drop the "FA-"), None otherwise. Separators between the parts may differ."""
    parts = re.findall(r"[a-z0-9]+", normalize(number))
    if not parts:
        return None
    if _pattern(parts).search(text):
        return "full"
    digits = [p for p in parts if p.isdigit()]
    if digits != parts and sum(len(d) for d in digits) >= 4 and _pattern(digits).search(text):
        return "digits"
    return None


def _pattern(parts: list[str]) -> re.Pattern[str]:
    """The parts in order, with or without a space between them; a number starting (ending) with
    digits may be glued to letters ("n°2026-0101") but never to more digits."""
    before = r"(?<![0-9])" if parts[0][0].isdigit() else r"(?<![a-z0-9])"
    after = r"(?![0-9])" if parts[-1][-1].isdigit() else r"(?![a-z0-9])"
    return re.compile(before + r" ?".join(re.escape(p) for p in parts) + after)


def names(text: str, customer_name: str) -> bool:
    """Every significant word of the customer's name (legal forms and articles left out) is in
    the text; a name made only of such words never matches."""
    words = [w for w in normalize(customer_name).split() if w not in NOISE and len(w) >= 3]
    found = set(text.split())
    return bool(words) and all(w in found for w in words)


def match(credit: BankCredit, ledger: Iterable[tuple[Customer, list[Invoice]]],
          min_score: int = MIN_SCORE) -> Match:
    """The best candidate for `credit` among the open invoices, and the verdict."""
    text = normalize(f"{credit.text} {credit.payer}")
    found: dict[tuple[str, tuple[str, ...]], tuple[Customer, tuple[Invoice, ...], set[str]]] = {}

    def add(customer: Customer, invoices: Iterable[Invoice], *reasons: str) -> None:
        chosen = tuple(sorted(invoices, key=lambda i: (i.due_date, i.external_id)))
        key = (customer.external_id, tuple(i.external_id for i in chosen))
        found.setdefault(key, (customer, chosen, set()))[2].update(reasons)

    for customer, invoices in ledger:
        due = [i for i in invoices if i.kind == "invoice" and i.residual > 0
               and i.currency == credit.currency]
        if not due:
            continue
        named = names(text, customer.name)
        cited = {i.external_id: kind for i in due if (kind := cites(text, i.number))}
        if cited:
            kinds = set(cited.values())
            add(customer, [i for i in due if i.external_id in cited],
                "numbers" if kinds == {"full"} else "digits")
        for invoice in due:
            if invoice.residual == credit.amount:
                add(customer, [invoice])
        if named or sum(i.residual for i in due) == credit.amount:
            add(customer, due)
        if named and len(due) <= COMBO_INVOICES:
            for size in range(2, min(COMBO_SIZE, len(due)) + 1):
                for combo in itertools.combinations(due, size):
                    if sum(i.residual for i in combo) == credit.amount:
                        add(customer, combo)
    candidates = [_score(credit, text, customer, invoices, reasons)
                  for customer, invoices, reasons in found.values()]
    return _verdict(credit, candidates, min_score)


def _score(credit: BankCredit, text: str, customer: Customer, invoices: tuple[Invoice, ...],
           cited: set[str]) -> Candidate:
    total = sum((i.residual for i in invoices), Decimal(0))
    reasons = []
    if total == credit.amount:
        reasons.append("amount")
    citations = [cites(text, i.number) for i in invoices]
    if all(c == "full" for c in citations):
        reasons.append("numbers")
    elif all(citations):
        reasons.append("digits")
    elif any(citations):
        reasons.append("some_numbers")
    if names(text, customer.name):
        reasons.append("name")
    return Candidate(customer.external_id, customer.name, invoices, total,
                     sum(POINTS[r] for r in reasons), tuple(reasons))


def _verdict(credit: BankCredit, candidates: list[Candidate], min_score: int) -> Match:
    exact = [c for c in candidates if c.exact]
    signed = [c for c in exact if len(c.reasons) > 1]  # the amount and a name or a number
    only = exact[0] if len(exact) == 1 else signed[0] if len(signed) == 1 else None
    if only is not None:
        exact = [c for c in exact if c is not only] + [Candidate(
            only.customer_id, only.customer_name, only.invoices, only.total,
            min(100, only.score + POINTS["unique"]), (*only.reasons, "unique"))]
    ranked = sorted(exact + [c for c in candidates if not c.exact],
                    key=lambda c: (-c.score, not c.exact, c.invoice_ids))
    if not ranked:
        return Match(credit, "none", None)
    best, others = ranked[0], tuple(ranked[1:])
    if best.exact and best.score >= min_score:
        rivals = tuple(c for c in others if c.exact and c.score >= min_score)
        return Match(credit, "ambiguous" if rivals else "confident", best, rivals or others)
    if best.exact and len(exact) > 1:  # the same amount is due on several sets of invoices
        return Match(credit, "ambiguous", best, others)
    cited_short = [c for c in ranked if not c.exact and c.total > credit.amount
                   and {"numbers", "digits"} & set(c.reasons)]
    if cited_short:
        return Match(credit, "partial", cited_short[0],
                     tuple(c for c in ranked if c is not cited_short[0]))
    return Match(credit, "review" if best.score >= POINTS["amount"] else "none", best, others)
