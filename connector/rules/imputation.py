"""Which reductions of an invoice's amount due reduce which of its items: the interest base.

A reminder chases an invoice whole, or one instalment (échéance) of it; the store keeps the
history of the *invoice's* amount due (store/balances.py), and the open credit notes linked to
it reduce what is asked. Interest is counted per item from its own due date on its own balance
(rules/penalties.py), so each reduction is imputed to the items:

* **Payments** go to the instalments in the order of their due dates, the oldest first: failing an
  indication by the debtor, a payment goes to the debts already due, then to the one the debtor
  had most interest in paying, and with equal interest to the oldest (art. 1342-10 C. civ.).
  *Unless the source says otherwise*: the source's residual of each instalment is what it says
  is paid on each, so the history fills the instalments' paid parts in that order (what it says is
  paid on the earlier ones comes first). When the history does not add up to what the source says
  is paid, or the balance ever went up, the item keeps today's balance since its due date: never
  a guess.
* **Credit notes** linked to the invoice (not yet reconciled with it in the source) reduce the
  base from their own date, like a payment (a credit note dated before the due date therefore
  reduces it from the start); between several instalments, the same order applies, compensation
  following the rules of imputation of payments (art. 1347-4 C. civ.).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal


@dataclass(frozen=True)
class Movement:
    """A reduction of an item's amount due: a payment, or a credit note."""

    day: dt.date
    amount: Decimal
    kind: Literal["payment", "credit"] = "payment"
    from_start: bool = False
    """True: it reduces the base from the first day (a credit note linked to the invoice from
    its issue; a part already paid when relance first saw the invoice)."""


def imputed(items: Sequence[Any], history: Mapping[str, Sequence[Movement]],
            credits: Mapping[str, Sequence[Movement]], today: dt.date
            ) -> dict[str, tuple[Decimal, tuple[Movement, ...]]]:
    """Per item id: (the amount it bore interest on from its due date, its reductions since).

    `history`: per invoice id, the store's changes of its amount due; `credits`: per invoice id,
    the open credit notes linked to it as movements (their share deducted in the message)."""
    found: dict[str, tuple[Decimal, tuple[Movement, ...]]] = {}
    by_invoice: dict[str, list[Any]] = {}
    for item in items:
        by_invoice.setdefault(item.invoice_id, []).append(item)
    for invoice_id, own in by_invoice.items():
        moves = tuple(m for m in history.get(invoice_id, ()) if m.day <= today)
        open_credits = sorted((m for m in credits.get(invoice_id, ()) if m.amount > 0),
                              key=lambda m: m.day)
        left = {i.item_id: i.residual for i in own}
        for item in sorted(own, key=lambda i: (i.due_date, i.item_id)):
            amount, reductions = _paid_part(item, moves)
            taken = list(_take(open_credits, left[item.item_id]))
            left[item.item_id] -= sum((m.amount for m in taken), Decimal(0))
            found[item.item_id] = (amount, reductions + tuple(taken))
    return found


def _paid_part(item: Any, moves: Sequence[Movement]) -> tuple[Decimal, tuple[Movement, ...]]:
    """The item's share of the invoice's history: for a whole invoice all of it, for an
    instalment the part between what is paid on the earlier ones and what is paid on it."""
    paid = item.total - item.residual
    instalment = item.item_id != item.invoice_id
    if not moves or any(m.amount < 0 for m in moves):
        return item.residual, ()
    if not instalment:
        if sum((m.amount for m in moves), Decimal(0)) != paid:
            return item.residual, ()
        return item.total, tuple(moves)
    before = getattr(item, "paid_before", None)
    if before is None or paid == 0:
        return item.residual, ()
    ordered = sorted(moves, key=lambda m: (not m.from_start, m.day))
    share = tuple(_slice(ordered, before, before + paid))
    if sum((m.amount for m in share), Decimal(0)) != paid:
        return item.residual, ()
    return item.total, share


def _slice(moves: Iterable[Movement], low: Decimal, high: Decimal) -> Iterable[Movement]:
    """The parts of the running total of `moves` that fall between `low` and `high`."""
    running = Decimal(0)
    for move in moves:
        start, end = running, running + move.amount
        running = end
        part = min(end, high) - max(start, low)
        if part > 0:
            yield Movement(move.day, part, move.kind, move.from_start)


def _take(credits: list[Movement], room: Decimal) -> Iterable[Movement]:
    """Consume the credits (oldest first) up to `room`, leaving what is left for the next item."""
    while credits and room > 0:
        credit = credits[0]
        part = min(credit.amount, room)
        room -= part
        if part == credit.amount:
            credits.pop(0)
        else:
            credits[0] = Movement(credit.day, credit.amount - part, credit.kind,
                                  credit.from_start)
        yield Movement(credit.day, part, credit.kind, credit.from_start)
