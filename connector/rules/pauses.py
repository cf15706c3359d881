"""Pauses a person asked for, as the engine sees them: pure data plus which are active on a day.

A dispute holds an invoice until resolved (or its optional date); a payment promise holds it until
the promised date; a customer pause holds every invoice of the customer. A promise whose date has
passed while the invoice is still unpaid is *broken*: the engine then moves straight to the next
level rather than repeating the one sent before the promise. A bank hold (kind "bank") is a credit
on the bank statement matched to the invoice: it holds until the books catch up or `hold_until`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

PauseKind = Literal["dispute", "promise", "pause", "bank"]
KIND_WORDS = {"dispute": "disputed", "promise": "payment promised", "pause": "customer paused",
              "bank": "paid per the bank statement, pending the books"}


@dataclass(frozen=True)
class Pause:
    scope: Literal["invoice", "customer"]
    target_id: str
    kind: PauseKind
    until: dt.date | None = None
    reason: str | None = None
    created_by: str = "?"
    created_at: dt.datetime | None = None

    def active_on(self, today: dt.date) -> bool:
        return self.until is None or today <= self.until

    def describe(self) -> str:
        text = KIND_WORDS[self.kind]
        if self.until:
            text += f" until {self.until.isoformat()}"
        if self.reason:
            text += f" ({self.reason})"
        return f"{text}, by {self.created_by}"


class PauseIndex:
    """Unresolved pauses looked up by invoice and by customer, as of `today`."""

    def __init__(self, pauses: Iterable[Pause], today: dt.date) -> None:
        self.invoices: dict[str, Pause] = {}
        self.customers: dict[str, Pause] = {}
        self.broken: dict[str, dt.date] = {}
        for pause in pauses:
            if pause.active_on(today):
                table = self.invoices if pause.scope == "invoice" else self.customers
                table.setdefault(pause.target_id, pause)
            elif pause.kind == "promise" and pause.until is not None:
                previous = self.broken.get(pause.target_id)
                self.broken[pause.target_id] = max(pause.until, previous or pause.until)
        for invoice_id in self.invoices:
            self.broken.pop(invoice_id, None)  # a new promise or a dispute supersedes
