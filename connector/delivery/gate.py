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

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from connector.adapters.base import Adapter, BaseAdapter
from connector.clock import Now, local_day
from connector.config import Config
from connector.errors import TransientError
from connector.models import Invoice
from connector.secrets import redact
from connector.store import outbox
from connector.store.store import Store

log = logging.getLogger(__name__)
MAX_AGE = dt.timedelta(seconds=5)
BATCH_IDS = 200


def row_invoice_ids(row: dict[str, Any]) -> set[str]:
    """Every invoice a queued reminder names: reminded items, statement lines, credit notes."""
    if row["channel"] == "note":
        return set()
    payload = outbox.decode(row)
    ids = {i.invoice_id for i in outbox.payload_items(payload)}
    ids.update(i.invoice_id for i in outbox.payload_items(payload, "statement"))
    ids.update(c.invoice_id for c in outbox.payload_credits(payload))
    return ids


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


@dataclass(frozen=True)
class Verdict:
    payload: dict[str, Any]
    reason: str = ""
    """Non-empty: the message must not leave as planned (skipped, with this reason)."""
    replan: bool = False
    """True: the rules would plan it differently now; its items are freed for the next plan."""
    changes: tuple[str, ...] = ()
    """What was brought up to date without changing the message's purpose (recipients, cc)."""
    moved: tuple[str, ...] = ()
    """Invoice ids now of another customer: freed so that customer's plan may take them."""


def revalidate(store: Store, config: Config, payload: dict[str, Any],
               fresh: dict[str, Invoice], now: dt.datetime) -> Verdict:
    """Check what the payload froze against the current customer, rules and invoices."""
    tenant, source = config.tenant, config.source.kind
    customer_id = str(payload["customer_id"])
    moved = tuple(sorted(inv_id for inv_id, inv in fresh.items()
                         if inv.customer_id != customer_id))
    stored = store.customer(tenant, source, customer_id)
    book = config.rulebook
    if stored is None:
        return Verdict(payload, "the customer no longer exists at the source", moved=moved)
    customer = book.customer(stored)
    if customer.do_not_dun:
        return Verdict(payload, "customer marked do-not-dun since planned", moved=moved)
    channel = payload.get("channel")
    changes: list[str] = []
    updated = dict(payload)
    if channel == "email":
        recipients = customer.billing_emails()
        if not recipients:
            return Verdict(payload, "the customer has no email address any more", replan=True,
                           moved=moved)
        if [r.lower() for r in recipients] != [str(r).lower() for r in payload["recipients"]]:
            changes.append(f"recipients now {', '.join(recipients)} (planned for "
                           f"{', '.join(payload['recipients'])})")
            updated["recipients"] = recipients
        cc = list(book.cc(customer_id))
        if cc != list(payload.get("cc") or []):
            changes.append(f"cc now {', '.join(cc) or 'nobody'}")
            updated["cc"] = cc
    planned_policy = payload.get("policy")
    if planned_policy is not None and (book.default.segments or book.overrides or book.named):
        today = local_day(now, config.timezone)
        invoices = [inv for _c, invs in store.open_ledger(tenant, source, only=[customer_id])
                    for inv in invs]
        chosen = book.choose(customer, invoices, today).policy
        if chosen.name != planned_policy and not (
                planned_policy in ("default", book.default.name)
                and chosen.name in ("default", book.default.name)):
            return Verdict(payload, f"now under policy {chosen.name!r} (planned under "
                                    f"{planned_policy!r}): planned again", replan=True,
                           moved=moved)
        if payload.get("level") not in {lv.name for lv in chosen.levels}:
            return Verdict(payload, f"level {payload.get('level')!r} is no longer in policy "
                                    f"{chosen.name!r}: planned again", replan=True, moved=moved)
    return Verdict(updated, changes=tuple(changes), moved=moved)
