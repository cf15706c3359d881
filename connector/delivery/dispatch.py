"""The dispatcher: claim planned reminders, re-check them at the source, deliver, record.

Order of one delivery (DESIGN §3):
1. rows left `sending` by a crash are reconciled first: asked of the channel (`already_sent`) or of
   the source (`find_pushed`); where nobody can know (plain SMTP) the row becomes `uncertain` and
   waits for a person (`relance outbox review`). We never send twice on a guess.
2. each row goes through the freshness gate right before its claim (gate.py): its invoices
   re-read at the source no more than seconds before; paid, credited, disputed or reassigned items
   dropped, amounts brought up to date; recipients, do-not-dun and policy re-validated.
3. each row is claimed (`planned → sending`, committed) just before its side effect, one at a time,
   so a crash leaves at most one reminder in doubt; then `sent` in the same transaction as what
   depends on it (the local task row, the follow-up note that leaves a trace in the source).
   A transient failure of a write into the source is reconciled like a crash before any retry
   (reconcile.py); an SMTP answer lost after the final dot makes the row `uncertain`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from connector.adapters.base import BaseAdapter
from connector.clock import Now, local_day
from connector.config import Config
from connector.delivery import postal
from connector.delivery.attachments import InvoicePdfs, prefetch
from connector.delivery.budget import FailureBudget
from connector.delivery.channels import Channel, Delivery, Services, channel_of, channels_for
from connector.delivery.channels.email import address_task
from connector.delivery.email import AddressError, Transport
from connector.delivery.gate import FreshnessGate, revalidate
from connector.delivery.reconcile import backoff, look_up, writes_to_source
from connector.errors import ConnectorError, DeliveryUncertain, TransientError
from connector.models import Invoice
from connector.rules.calendar import BusinessCalendar, SendWindow
from connector.rules.channels import spec
from connector.rules.late_paid import LEVEL as LATE_PAID_LEVEL
from connector.rules.pauses import PauseIndex
from connector.rules.payload import DueItem, ReminderPayload
from connector.secrets import redact
from connector.store import letters as letter_store
from connector.store import outbox
from connector.store import pauses as pause_store
from connector.store.store import Store

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=15)


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    uncertain: int = 0
    details: list[tuple[str, str, str]] = field(default_factory=list)  # key, status, reason
    waiting: bool = False  # outside the send window: nothing was claimed
    stopped: dict[str, str] = field(default_factory=dict)  # destination → why the run stopped

    def record(self, key: str, status: str, reason: str = "") -> None:
        setattr(self, status, getattr(self, status) + 1)
        self.details.append((key, status, reason))


@dataclass
class Dispatcher:
    store: Store
    adapter: BaseAdapter
    config: Config
    transport: Transport
    now: Now
    """The tenant's clock: claims, stamps, the send window and the `Date:` header read it."""
    exclusive: bool = False
    """True when the caller holds the tenant's run lock: then every row still `sending` belongs to a
    dead process, whatever its lease says, and is reconciled at once."""
    report: DeliveryReport = field(default_factory=DeliveryReport)
    _held: PauseIndex = field(default_factory=lambda: PauseIndex((), dt.date.min), repr=False)
    _channels: dict[str, Channel] = field(default_factory=dict, repr=False)
    gate: FreshnessGate | None = None
    budget: FailureBudget = field(default_factory=FailureBudget)
    reader: Connection | None = field(default=None, repr=False)
    """The run's connection for the gate's reads before each claim (`Store.reader`)."""

    def channel(self, name: str) -> Channel:
        """The registered channel of that name (connector/delivery/channels/)."""
        if not self._channels:
            self._channels = channels_for(Services(
                self.config, self.adapter, self.transport, self.now, store=self.store,
                pdfs=InvoicePdfs(self.adapter, self.config.base_dir / "cache" / "invoices"),
                history=lambda ids: self.store.balance_history(
                    self.tenant, self.config.source.kind, ids, reader=self.reader)))
        return channel_of(self._channels, name)

    @property
    def tenant(self) -> str:
        return self.config.tenant

    def window_open(self) -> bool:
        """Messages leave only inside `policy.send_window`, on business days (tenant's zone)."""
        policy = self.config.policy
        window = SendWindow.parse(policy.send_window, self.config.timezone,
                                  BusinessCalendar(policy.calendar))
        return window is None or window.allows(self.now())

    def run(self, stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
        """Deliver everything due. `stop()` is asked between deliveries (graceful shutdown).
        Outside the send window nothing is claimed: the rows wait, planned, for the next run."""
        self.reconcile()
        if not self.window_open():
            self.report.waiting = True
            return self.report
        today = local_day(self.now(), self.config.timezone)
        self._held = PauseIndex(pause_store.unresolved(self.store, self.tenant,
                                                       self.config.source.kind), today)
        if self.gate is None:
            self.gate = FreshnessGate(self.store, self.adapter, self.config, self.now)
        with self.store.reader() as self.reader:
            try:
                self._deliver_due(self.gate, stop)
            finally:
                self.reader = None
        self.report.stopped = dict(self.budget.stopped)
        return self.report

    def _deliver_due(self, gate: FreshnessGate, stop: Callable[[], bool]) -> None:
        """Gate, claim and deliver the due rows, batch after batch, until none is left or
        `stop()` (unclaimed rows simply stay planned)."""
        while not stop():
            rows = outbox.due(self.store, self.tenant, self.now())
            if not rows or all(self.budget.closed(_destination(r, self.adapter)) for r in rows):
                break
            for index, row in enumerate(rows):
                if stop() or self.budget.closed("source"):
                    return
                if self.budget.closed(_destination(row, self.adapter)):
                    continue
                if row["channel"] == "email":  # the source's PDFs, before the gate and claim
                    pdfs = self.channel("email").services.pdfs
                    if pdfs is not None:
                        prefetch(outbox.payload(row), pdfs)
                asked = self.now()
                fresh = gate.fresh(row, rows[index + 1:])  # seconds before the claim
                self._count(fresh is not None, "source", gate.error, asked)
                claimed = outbox.claim_one(self.store, row, self.now(), LEASE)
                if claimed is not None:
                    self.deliver(claimed, fresh)

    def _count(self, ok: bool, destination: str, error: TransientError | str | None,
               started: dt.datetime) -> None:
        if ok:
            self.budget.ok(destination)
        else:
            self.budget.failed(destination, error or "no answer", self.now() - started)

    # -- 1. crash survivors ---------------------------------------------------------------------
    def reconcile(self) -> None:
        horizon = self.now() + (LEASE * 2 if self.exclusive else dt.timedelta(0))
        for row in outbox.stale_sending(self.store, self.tenant, horizon, due_by=self.now()):
            found = look_up(row, self.channel(row["channel"]), self.adapter)
            if found.verdict == "later":  # the source cannot be asked now: ask again later
                with self.store.transaction() as conn:
                    until = self.now() + backoff(row["attempts"])
                    outbox.defer(conn, row["key"], self.now(), until,
                                 "in doubt: the source could not be asked; asking again later")
                self.report.record(row["key"], "retried", "in doubt; will be looked up again")
                continue
            done = {"unknown": None, "absent": False}.get(found.verdict, found.remote_id or True)
            with self.store.transaction() as conn:
                if done is None:
                    outbox.mark(conn, row["key"], "uncertain", self.now(),
                                reason="interrupted while sending; cannot tell whether it left")
                elif done:
                    remote = done if isinstance(done, str) else None
                    outbox.mark(conn, row["key"], "sent", self.now(), remote_id=remote,
                                reason="found delivered after an interruption")
                    self.channel(row["channel"]).on_sent(
                        conn, Delivery(row, outbox.payload(row)), remote)
                else:
                    outbox.mark(conn, row["key"], "planned", self.now(),
                                reason="interrupted before sending; planned again",
                                next_attempt_at=self.now())
            status = "uncertain" if done is None else "sent" if done else "retried"
            self.report.record(row["key"], status, "reconciled after an interruption")

    # -- 2. freshness gate ----------------------------------------------------------------------
    def _gate(self, payload: ReminderPayload,
              fresh: dict[str, Invoice]) -> tuple[ReminderPayload, str]:
        """The payload brought up to date; reason is non-empty when nothing is left to ask."""
        held = self._held.customers.get(payload.customer_id)
        if held is not None:  # paused after this reminder was planned
            return dataclasses.replace(payload, items=()), \
                f"customer on hold: {held.describe()}"
        if payload.level == LATE_PAID_LEVEL:
            return self._gate_late_paid(payload, fresh)
        updated, dropped = self._fresh_section(payload, fresh)
        others = []
        for other in payload.others:  # the customer's other currencies, each on its own
            section, gone = self._fresh_section(other, fresh)
            dropped += gone
            if section.items and section.amount_to_pay > 0:
                others.append(section)
        updated = dataclasses.replace(updated, others=tuple(others))
        if not updated.items:
            return updated, f"paid, credited, disputed or paused since planned: {', '.join(dropped)}"
        if updated.amount_to_pay <= 0:
            return updated, "open credit notes now cover what was due"
        if dropped:
            log.info("reminder %s: dropped %s (paid since planned)", payload.key, dropped)
        return updated, ""

    def _fresh_section(self, section: ReminderPayload, fresh: dict[str, Invoice]
                       ) -> tuple[ReminderPayload, list[str]]:
        """One currency's section with the source's amounts, and the numbers dropped from it."""
        kept, dropped = [], []
        for item in section.items:
            current = _current(item, fresh)
            if current is None or fresh[item.invoice_id].status == "disputed" \
                    or item.invoice_id in self._held.invoices:
                dropped.append(item.number)
            else:
                kept.append(current)
        credits = [dataclasses.replace(c, residual=fresh[c.invoice_id].residual)
                   for c in section.credit_notes
                   if c.invoice_id in fresh and fresh[c.invoice_id].is_open]
        # "other open invoices", built from the invoices just re-read: none paid in the meantime
        restated = section.with_statement(fresh)
        return restated.refreshed(kept, credits, restated.statement), dropped

    def _gate_late_paid(self, payload: ReminderPayload,
                        fresh: dict[str, Invoice]) -> tuple[ReminderPayload, str]:
        """A "facture de pénalités" claims on a paid invoice: it goes unless the invoice is gone,
        reopened (the ordinary ladder chases it), disputed or held."""
        for item in payload.items:
            invoice = fresh.get(item.invoice_id)
            if invoice is None or invoice.status != "paid" or item.invoice_id in self._held.invoices:
                return payload, f"no longer paid late and undisputed: {item.number}"
        return payload, ""

    # -- 3. delivery ----------------------------------------------------------------------------
    def deliver(self, row: dict[str, Any], fresh: dict[str, Invoice] | None) -> None:
        """One claimed row: gate → channel.deliver → mark (sent with what depends on it)."""
        key = row["key"]
        payload = outbox.payload(row)
        changes: tuple[str, ...] = ()
        if spec(row["channel"]).gated:
            if fresh is None:
                self._retry(row, "the source could not be re-read before sending")
                return
            checked = revalidate(self.store, self.config, payload, fresh, self.now(),
                                 self.reader)
            mine = {i: inv for i, inv in fresh.items() if i not in checked.moved}
            payload, reason = self._gate(checked.payload, mine)
            reason = checked.reason or reason
            if reason:
                with self.store.transaction() as conn:
                    outbox.mark(conn, key, "skipped", self.now(), reason=reason, payload=payload)
                    if checked.replan or checked.moved:
                        outbox.release(conn, row, self.now(), reason,
                                       None if checked.replan else checked.moved)
                    elif payload.others:  # the other currencies did not go: plan them again
                        outbox.release(conn, row, self.now(), reason, sorted(
                            {i.invoice_id for o in payload.others for i in o.items}))
                self.report.record(key, "skipped", reason)
                return
            if checked.moved:
                with self.store.transaction() as conn:
                    outbox.release(conn, row, self.now(), "", checked.moved)
            changes = checked.changes
            if changes:
                log.info("reminder %s brought up to date: %s", key, "; ".join(changes))
        if row["channel"] == "letter":  # no letter without an address (delivery/postal.py)
            payload = postal.with_address(self.store, self.config, row["source"], payload)
            if not payload.customer_address:
                self._wait_for_address(row, payload)
                return
        if row["channel"] in ("email", "letter", "source_email") \
                and self._held_for_rates(row, payload):
            return
        delivery = Delivery(row, payload)
        started = self.now()
        try:
            channel = self.channel(row["channel"])
            remote_id = channel.deliver(delivery)
        except DeliveryUncertain as exc:
            self._uncertain(row, redact(str(exc)))
            return
        except AddressError as exc:  # nobody to write to: a person fixes the address
            self._fail(row, redact(str(exc)))
            with self.store.transaction() as conn:
                address_task(conn, delivery, exc.refused, self.now())
            return
        except TransientError as exc:
            self._count(False, _destination(row, self.adapter), exc, started)
            if writes_to_source(row["channel"], self.adapter):
                self._in_doubt(row, delivery, redact(str(exc)))
            else:
                self._retry(row, redact(str(exc)))
            return
        except ConnectorError as exc:
            self._fail(row, redact(str(exc)))
            return
        except Exception as exc:  # a bug must not stop the other deliveries
            log.exception("unexpected error delivering %s", key)
            self._fail(row, redact(f"{type(exc).__name__}: {exc}"))
            return
        self._count(True, _destination(row, self.adapter), None, started)
        with self.store.transaction() as conn:
            outbox.mark(conn, key, "sent", self.now(), remote_id=remote_id, payload=payload,
                        reason="; ".join(changes) or None)
            channel.on_sent(conn, delivery, remote_id)
        self.report.record(key, "sent")

    def _wait_for_address(self, row: dict[str, Any], payload: ReminderPayload) -> None:
        """The letter row waits a day; a task asks a person to complete the address. Waiting for
        a person is not an attempt: the count the claim added is given back."""
        reason = letter_store.ADDRESS_REASON
        with self.store.transaction() as conn:
            outbox.unclaim(conn, row, self.now(), reason=reason,
                           until=self.now() + postal.ADDRESS_WAIT)
            postal.address_missing(conn, row, payload, self.config.language, self.now())
        self.report.record(row["key"], "retried", reason)

    def _held_for_rates(self, row: dict[str, Any], payload: ReminderPayload) -> bool:
        """`penalties.provisional_rates = "hold"`: a message whose figures use a provisional rate
        waits (checked again the next day) until the official value is in the tables."""
        if self.config.penalties.provisional_rates != "hold":
            return False
        context = self.channel(row["channel"]).services.context(payload)
        if not context["rates_provisional"]:
            return False
        halves = ", ".join(context["provisional_half_years"])
        reason = f"waiting for the official rate of {halves} (penalties.provisional_rates = hold)"
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "planned", self.now(), reason=reason,
                        next_attempt_at=self.now() + dt.timedelta(days=1))
        self.report.record(row["key"], "retried", reason)
        return True

    def _retry(self, row: dict[str, Any], reason: str) -> None:
        if row["attempts"] >= outbox.MAX_ATTEMPTS:
            self._fail(row, f"gave up after {row['attempts']} attempts: {reason}")
            return
        delay = backoff(row["attempts"])
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "planned", self.now(), reason=reason,
                        next_attempt_at=self.now() + delay)
        self.report.record(row["key"], "retried", reason)

    def _in_doubt(self, row: dict[str, Any], delivery: Delivery, reason: str) -> None:
        """A write whose answer was lost may have happened: look it up by key before anything
        else; found, it is sent; otherwise it stays in doubt and is looked up again before any
        retry (a write slower than our timeout may land later)."""
        found = look_up(row, self.channel(row["channel"]), self.adapter)
        if found.verdict == "sent":
            with self.store.transaction() as conn:
                outbox.mark(conn, row["key"], "sent", self.now(), remote_id=found.remote_id,
                            payload=delivery.payload, reason=f"found delivered after: {reason}")
                self.channel(row["channel"]).on_sent(conn, delivery, found.remote_id)
            self.report.record(row["key"], "sent", "found delivered after a lost answer")
            return
        if found.verdict == "unknown":
            self._uncertain(row, reason)
            return
        if found.verdict == "absent" and row["attempts"] >= outbox.MAX_ATTEMPTS:
            self._fail(row, f"gave up after {row['attempts']} attempts: {reason}")
            return
        until = self.now() + backoff(row["attempts"])
        with self.store.transaction() as conn:
            outbox.defer(conn, row["key"], self.now(), until,
                         f"in doubt ({reason}); looked up by key before any retry")
        self.report.record(row["key"], "retried", reason)

    def _uncertain(self, row: dict[str, Any], reason: str) -> None:
        log.warning("reminder %s (%s) may have been delivered: %s", row["key"], row["channel"],
                    reason)
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "uncertain", self.now(), reason=reason)
        self.report.record(row["key"], "uncertain", reason)

    def _fail(self, row: dict[str, Any], reason: str) -> None:
        log.error("reminder %s (%s) failed: %s", row["key"], row["channel"], reason)
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "failed", self.now(), reason=reason)
        self.report.record(row["key"], "failed", reason)


def _destination(row: dict[str, Any], adapter: BaseAdapter) -> str:
    """Which failure budget a delivery draws on: the source's, or the channel's own."""
    return "source" if writes_to_source(row["channel"], adapter) else str(row["channel"])


def _current(item: DueItem, fresh: dict[str, Invoice]) -> DueItem | None:
    """The item with its residual as the source has it now; None when nothing is left to ask."""
    invoice = fresh.get(item.invoice_id)
    if invoice is None or not invoice.is_open:
        return None
    for candidate, _due, residual in invoice.due_items():
        if candidate == item.item_id:
            return dataclasses.replace(item, residual=residual,
                                       paid_before=invoice.paid_before(candidate)) \
                if residual > 0 else None
    return None
