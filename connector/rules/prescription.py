"""Prescription: the day an unpaid item can no longer be claimed in court.

B2B: 5 years (C. com. art. L. 110-4, C. civ. art. 2224); consumer: 2 years (C. conso. art.
L. 218-2), both from the due date. An acknowledgement of the debt restarts the period (C. civ.
art. 2240), and a partial payment is one: the period then runs from the last payment. A formal
notice does not interrupt it; a court claim does (art. 2241), which relance does not see.
Warnings come at 6, 3 and 1 months before the date; past it, no legal threat is sent (a task for
a person instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from connector.rules.engine import reminder_key

YEARS = {"company": 5, "public": 5, "individual": 2}
WARN_MONTHS = (1, 3, 6)
NEAR_PRESCRIPTION = 12 * min(YEARS.values()) - max(WARN_MONTHS)
"""Months after its due date before which no item can be near prescription (18): what `status`
reads of the ledger for its warnings (see `near_horizon`)."""


def near_horizon(today: dt.date) -> dt.date:
    """Items due after this day are neither time-barred nor within a warning on `today`: the
    shortest period less the longest warning, and a week for month-end clipping."""
    return add_months(today, -NEAR_PRESCRIPTION) + dt.timedelta(days=7)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day n months later (or earlier), clipped to the month's last day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def limitation_date(due_date: dt.date, kind: str = "company",
                    last_payment: dt.date | None = None) -> dt.date:
    """The last day the claim can still be brought to court."""
    start = max(due_date, last_payment) if last_payment else due_date
    return add_months(start, 12 * YEARS.get(kind, 5))


@dataclass(frozen=True)
class Limitation:
    date: dt.date
    months_left: int | None  # 6, 3 or 1 when within that many months; None when further
    barred: bool

    @property
    def text(self) -> str:
        if self.barred:
            return f"time-barred since {self.date.isoformat()}"
        return f"time-barred on {self.date.isoformat()} (within {self.months_left} month(s))"


def limitation(due_date: dt.date, today: dt.date, kind: str = "company",
               last_payment: dt.date | None = None) -> Limitation:
    date = limitation_date(due_date, kind, last_payment)
    if today > date:
        return Limitation(date, 0, True)
    within = [m for m in WARN_MONTHS if today >= add_months(date, -m)]
    return Limitation(date, min(within) if within else None, False)


def time_barred(due_date: dt.date, today: dt.date, kind: str = "company",
                last_payment: dt.date | None = None) -> bool:
    return limitation(due_date, today, kind, last_payment).barred


def prescription_findings(invoices: Iterable[Any], today: dt.date, *,
                          kinds: dict[str, str] | None = None) -> list[str]:
    """One line per open invoice within 6 months of prescription or past it (status, rules check,
    report). `kinds` maps customer id to kind (company by default)."""
    lines: list[str] = []
    horizon = near_horizon(today)
    for invoice in invoices:
        if getattr(invoice, "kind", "invoice") != "invoice" or not invoice.residual > 0 \
                or invoice.due_date > horizon:
            continue
        kind = (kinds or {}).get(invoice.customer_id, "company")
        paid = invoice.residual < invoice.total
        last = getattr(invoice, "paid_date", None) if paid else None
        state = limitation(invoice.due_date, today, kind, last)
        if state.barred or state.months_left is not None:
            lines.append(f"invoice {invoice.number}: {state.text}"
                         + ("; no legal threat will be sent" if state.barred else ""))
    return lines


LEGAL_THREATS = ("final", "formal_notice")  # templates that announce court action


def defuse(intents: Iterable[Any], today: dt.date) -> list[Any]:
    """No legal threat over a time-barred item (see `defused`), as a list."""
    return list(defused(intents, today))


def defused(intents: Iterable[Any], today: dt.date) -> Iterator[Any]:
    """No legal threat over a time-barred item: such items leave threatening messages, and a
    message left with none of its items becomes a task for a person (a time-barred debt may
    still be paid willingly, but it can no longer be claimed in court). Streams."""
    for intent in intents:
        threat = intent.template in LEGAL_THREATS or intent.channel == "letter"
        if not threat or intent.channel == "task":  # a task is for a person: it stays
            yield intent
            continue
        alive = tuple(i for i in intent.items
                      if not time_barred(i.due_date, today, intent.customer_kind))
        if len(alive) == len(intent.items):
            yield intent
        elif alive:
            yield replace(intent, items=alive, key=reminder_key(
                intent.tenant, intent.source, intent.customer_id, intent.channel, alive))
        else:
            title = ("Créance prescrite : ne pas menacer d'action en justice, "
                     "contacter le client ({level})").replace("{level}", intent.level)
            yield replace(intent, channel="task", task_title=title, key=reminder_key(
                intent.tenant, intent.source, intent.customer_id, "task", intent.items))
