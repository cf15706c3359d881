"""The freshness gate, per message: what a queued reminder froze is checked again right before it
is claimed (DESIGN §3).

A reminder may wait in the outbox for hours (a relay down, a send window closed) and a slow relay
makes a batch last minutes. So each message's invoices are re-read at the source at most `max_age`
seconds (tenant clock) before its claim; a batch read serves the rows that follow only while it is
that young. What the payload froze besides the amounts is re-validated against the store (synced at
the start of the run) and the rules: the invoice's current customer, do-not-dun, the recipients and
cc, and the policy that planned it. A change drops the message, or re-plans it, with the reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection

from connector.adapters.base import Adapter, BaseAdapter
from connector.clock import Now, local_day
from connector.config import Config
from connector.errors import TransientError
from connector.models import Invoice
from connector.rules.channels import spec
from connector.rules.payload import ReminderPayload
from connector.secrets import redact
from connector.store import bank, outbox
from connector.store.store import Store

log = logging.getLogger(__name__)
MAX_AGE = dt.timedelta(seconds=5)
BATCH_IDS = 200


def row_invoice_ids(row: dict[str, Any]) -> set[str]:
    """Every invoice a queued reminder names: reminded items, statement lines, credit notes."""
    if not spec(row["channel"]).gated:
        return set()
    return set(outbox.payload(row).referenced_ids)


@dataclass
class FreshnessGate:
    """Fresh invoices for one row at a time, never older than `max_age` on the tenant clock."""

    store: Store
    adapter: BaseAdapter
    config: Config
    now: Now
    max_age: dt.timedelta = MAX_AGE
    ages: list[dt.timedelta] = field(default_factory=list)
    """How old the check of each gated row was when it was used (what the tests bound)."""
    error: TransientError | None = None
    """Why the last read failed (None after a success)."""
    _read: dict[str, tuple[dt.datetime, Invoice | None]] = field(default_factory=dict)

    def fresh(self, row: dict[str, Any], upcoming: Sequence[dict[str, Any]] = (),
              ) -> dict[str, Invoice] | None:
        """The row's invoices as the source has them now; None when the source did not answer."""
        wanted = row_invoice_ids(row)
        if not wanted:
            return {}
        now = self.now()
        stale = {i for i in wanted if i not in self._read or now - self._read[i][0] > self.max_age}
        if stale:
            batch = set(wanted)
            for other in upcoming:  # read ahead: the next rows are likely due within seconds
                if len(batch) >= BATCH_IDS:
                    break
                batch |= row_invoice_ids(other)
            if not self._refresh(sorted(batch), row):
                return None
            now = self.now()
        oldest = min(self._read[i][0] for i in wanted)
        self.ages.append(self.now() - oldest)
        return {i: inv for i in wanted if (inv := self._read[i][1]) is not None}

    def _refresh(self, ids: list[str], row: dict[str, Any]) -> bool:
        asked = self.now()
        try:
            found = cast(Adapter, self.adapter).refresh(ids)
        except TransientError as exc:
            log.warning("freshness gate: the source did not answer (%s); will retry",
                        redact(str(exc)))
            self.error = exc
            return False
        self.error = None
        with self.store.transaction() as conn:
            self.store.save_invoices(conn, self.config.tenant, str(row["source"]), found, asked)
        by_id = {invoice.external_id: invoice for invoice in found}
        for invoice_id in ids:  # an id the source no longer returns is gone (deleted, cancelled)
            self._read[invoice_id] = (asked, by_id.get(invoice_id))
        return True


def bank_paid(store: Store, config: Config, fresh: dict[str, Invoice],
              now: dt.datetime, reader: Connection | None = None) -> dict[str, str]:
    """The open invoices among `fresh` that a bank credit pays (a confident or confirmed match
    still holding today), each with a word on that credit; asked at each claim, so a statement
    imported while a batch is being sent counts."""
    open_ids = [inv_id for inv_id, inv in fresh.items() if inv.is_open]
    if not open_ids:
        return {}
    held = bank.held_invoices(store, config.tenant, config.source.kind, open_ids,
                              local_day(now, config.timezone), reader=reader)
    return {inv_id: f"{fresh[inv_id].number} (virement du {hold['booked_on'].isoformat()}, "
                    f"rapprochement {hold['id']})" for inv_id, hold in held.items()}


@dataclass(frozen=True)
class Verdict:
    payload: ReminderPayload
    reason: str = ""
    """Non-empty: the message must not leave as planned (skipped, with this reason)."""
    replan: bool = False
    """True: the rules would plan it differently now; its items are freed for the next plan."""
    changes: tuple[str, ...] = ()
    """What was brought up to date without changing the message's purpose (recipients, cc)."""
    moved: tuple[str, ...] = ()
    """Invoice ids now of another customer (freed so that customer's plan may take them), or paid
    per the bank statement (freed so that they are planned again if the books never confirm)."""


def revalidate(store: Store, config: Config, payload: ReminderPayload,
               fresh: dict[str, Invoice], now: dt.datetime,
               reader: Connection | None = None) -> Verdict:
    """Check what the payload froze against the current customer, rules and invoices, read
    through `reader` (`Store.reader`, a run's reads) or each on a connection of its own."""
    tenant, source = config.tenant, config.source.kind
    customer_id = payload.customer_id
    moved = tuple(sorted(inv_id for inv_id, inv in fresh.items()
                         if inv.customer_id != customer_id))
    paid = bank_paid(store, config, fresh, now, reader)
    if paid:  # treated as paid pending the books: freed, so they are planned again if unpaid
        moved = tuple(sorted(set(moved) | set(paid)))
        items = {item.invoice_id for item in payload.items}
        if items and items <= set(moved):
            return Verdict(payload, "paid per the bank statement, pending the books: "
                           + "; ".join(sorted(set(paid.values()))), replan=True, moved=moved)
    stored = store.customer(tenant, source, customer_id, reader=reader)
    book = config.rulebook
    if stored is None:
        return Verdict(payload, "the customer no longer exists at the source", moved=moved)
    customer = book.customer(stored)
    if customer.do_not_dun:
        return Verdict(payload, "customer marked do-not-dun since planned", moved=moved)
    changes: list[str] = []
    updated = payload
    if spec(payload.channel).addressed:
        recipients = tuple(customer.billing_emails())
        if not recipients:
            return Verdict(payload, "the customer has no email address any more", replan=True,
                           moved=moved)
        if [r.lower() for r in recipients] != [r.lower() for r in payload.recipients]:
            changes.append(f"recipients now {', '.join(recipients)} (planned for "
                           f"{', '.join(payload.recipients)})")
            updated = dataclasses.replace(updated, recipients=recipients)
    if spec(payload.channel).copies:
        cc = tuple(book.cc(customer_id))
        if cc != tuple(payload.cc):
            changes.append(f"cc now {', '.join(cc) or 'nobody'}")
            updated = dataclasses.replace(updated, cc=cc)
    if book.default.segments or book.overrides or book.named:
        today = local_day(now, config.timezone)
        invoices = [inv for _c, invs in store.open_ledger(tenant, source, only=[customer_id])
                    for inv in invs]
        chosen = book.choose(customer, invoices, today).policy
        planned = payload.policy
        defaults = ("default", book.default.name)
        if chosen.name != planned and not (planned in defaults and chosen.name in defaults):
            return Verdict(payload, f"now under policy {chosen.name!r} (planned under "
                                    f"{planned!r}): planned again", replan=True, moved=moved)
        if payload.level not in {lv.name for lv in chosen.levels}:
            return Verdict(payload, f"level {payload.level!r} is no longer in policy "
                                    f"{chosen.name!r}: planned again", replan=True, moved=moved)
    return Verdict(updated, changes=tuple(changes), moved=moved)
