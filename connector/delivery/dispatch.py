"""The dispatcher: claim planned reminders, re-check them at the source, deliver, record.

Order of one delivery (DESIGN §3):
1. rows left `sending` by a crash are reconciled first: asked of the channel (`already_sent`) or of
   the source (`find_pushed`); where nobody can know (plain SMTP) the row becomes `uncertain` and
   waits for a person (`relance outbox review`). We never send twice on a guess.
2. claimed rows go through the freshness gate: their invoices are re-read from the source in one
   batch; paid, credited or disputed items are dropped, amounts are brought up to date.
3. each row is claimed (`planned → sending`, committed) just before its side effect, one at a time,
   so a crash leaves at most one reminder in doubt; then `sent` in the same transaction as what
   depends on it (the local task row, the follow-up note that leaves a trace in the source).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from connector.adapters.base import BaseAdapter, PushRequest
from connector.clock import Now, local_day
from connector.config import Config
from connector.delivery import postal
from connector.delivery.attachments import InvoicePdfs, for_email, prefetch
from connector.delivery.email import Transport, build_message
from connector.delivery.letter import LetterStore, letter_pdf
from connector.delivery.messages import note_text, task_text, template_context
from connector.delivery.render import render
from connector.errors import ConnectorError, TransientError
from connector.models import Invoice
from connector.rules.calendar import BusinessCalendar, SendWindow
from connector.rules.pauses import PauseIndex
from connector.secrets import redact
from connector.store import letters as letter_store
from connector.store import outbox
from connector.store import pauses as pause_store
from connector.store import tables as t
from connector.store.store import Store

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=15)
SOURCE_CHANNELS = {"note": "push_note", "odoo_email": "send_via_source"}


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    uncertain: int = 0
    details: list[tuple[str, str, str]] = field(default_factory=list)  # key, status, reason
    waiting: bool = False  # outside the send window: nothing was claimed

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
    _pdfs: dict[str, bytes] = field(default_factory=dict, repr=False)
    _pdf_cache: InvoicePdfs | None = field(default=None, repr=False)
    _held: PauseIndex = field(default_factory=lambda: PauseIndex((), dt.date.min), repr=False)

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
        while not stop():
            rows = outbox.due(self.store, self.tenant, self.now())
            if not rows:
                break
            fresh = self.freshness_gate(rows)
            for row in rows:
                if stop():
                    return self.report  # unclaimed rows simply stay planned
                if row["channel"] == "email":  # the source's PDFs, before the claim
                    payload = outbox_payload(row)
                    prefetch(payload, self._invoice_pdfs, outbox.payload_items(payload))
                claimed = outbox.claim_one(self.store, row, self.now(), LEASE)
                if claimed is not None:
                    self.deliver(claimed, fresh)
        return self.report

    # -- 1. crash survivors ---------------------------------------------------------------------
    def reconcile(self) -> None:
        horizon = self.now() + (LEASE * 2 if self.exclusive else dt.timedelta(0))
        for row in outbox.stale_sending(self.store, self.tenant, horizon):
            done = self._already_done(row)
            with self.store.transaction() as conn:
                if done is None:
                    outbox.mark(conn, row["key"], "uncertain", self.now(),
                                reason="interrupted while sending; cannot tell whether it left")
                elif done:
                    outbox.mark(conn, row["key"], "sent", self.now(), remote_id=done,
                                reason="found delivered after an interruption")
                    self._after_sent(conn, row, outbox_payload(row), done)
                else:
                    outbox.mark(conn, row["key"], "planned", self.now(),
                                reason="interrupted before sending; planned again",
                                next_attempt_at=self.now())
            status = "uncertain" if done is None else "sent" if done else "retried"
            self.report.record(row["key"], status, "reconciled after an interruption")

    def _already_done(self, row: dict[str, Any]) -> str | bool | None:
        """Remote id when delivered, False when certainly not, None when nobody can tell."""
        channel = row["channel"]
        if channel == "letter":
            return postal.already_written(self.store, self.letters.directory, row["key"],
                                          outbox_payload(row)) or False
        if channel == "email":
            sent = self.transport.already_sent(row["key"])
            return None if sent is None else (row["key"] if sent else False)
        if channel == "task" and not self.adapter.capabilities.tasks:
            return False  # local-only task: written in the same transaction as `sent`
        try:
            return self.adapter.find_pushed(row["key"]) or False
        except ConnectorError:
            return None

    # -- 2. freshness gate ----------------------------------------------------------------------
    def freshness_gate(self, rows: list[dict[str, Any]]) -> dict[str, Invoice] | None:
        """Re-read every invoice the claimed rows name, in one batch; None if the source is down."""
        ids: set[str] = set()
        for row in rows:
            if row["channel"] in ("note",):
                continue
            payload = outbox_payload(row)
            ids.update(i.invoice_id for i in outbox.payload_items(payload))
            ids.update(i.invoice_id for i in outbox.payload_items(payload, "statement"))
            ids.update(c.invoice_id for c in outbox.payload_credits(payload))
        if not ids:
            return {}
        try:
            fresh = self.adapter.refresh(sorted(ids))
        except TransientError as exc:
            log.warning("freshness gate: the source did not answer (%s); will retry", redact(str(exc)))
            return None
        with self.store.transaction() as conn:
            self.store.save_invoices(conn, self.tenant, row_source(rows[0]), fresh, self.now())
        return {invoice.external_id: invoice for invoice in fresh}

    def _gate(self, payload: dict[str, Any], fresh: dict[str, Invoice]) -> tuple[dict[str, Any], str]:
        """The payload brought up to date; reason is non-empty when nothing is left to ask."""
        kept, dropped = [], []
        held = self._held.customers.get(payload["customer_id"])
        if held is not None:  # paused after this reminder was planned
            return {**payload, "items": []}, f"customer on hold: {held.describe()}"
        for item in outbox.payload_items(payload):
            invoice = fresh.get(item.invoice_id)
            residual = _item_residual(invoice, item.item_id) if invoice is not None else None
            if invoice is None or not invoice.is_open or invoice.status == "disputed" or not residual \
                    or item.invoice_id in self._held.invoices:
                dropped.append(item.number)
                continue
            kept.append({**_item_dict(item), "residual": str(residual)})
        credits = [
            {**c, "residual": str(fresh[c["invoice_id"]].residual)}
            for c in payload.get("credit_notes", [])
            if c["invoice_id"] in fresh and fresh[c["invoice_id"]].is_open]
        statement = []  # "other open invoices" must not list one paid in the meantime either
        for item in outbox.payload_items(payload, "statement"):
            invoice = fresh.get(item.invoice_id)
            residual = _item_residual(invoice, item.item_id) if invoice is not None else None
            if invoice is not None and invoice.is_open and residual:
                statement.append({**_item_dict(item), "residual": str(residual)})
        updated = {**payload, "items": kept, "credit_notes": credits, "statement": statement}
        if not kept:
            return updated, f"paid, credited, disputed or paused since planned: {', '.join(dropped)}"
        due = sum((Decimal(i["residual"]) for i in kept), Decimal(0))
        if due - sum((Decimal(c["residual"]) for c in credits), Decimal(0)) <= 0:
            return updated, "open credit notes now cover what was due"
        if dropped:
            log.info("reminder %s: dropped %s (paid since planned)", payload["key"], dropped)
        return updated, ""

    # -- 3. delivery ----------------------------------------------------------------------------
    def deliver(self, row: dict[str, Any], fresh: dict[str, Invoice] | None) -> None:
        key, channel = row["key"], row["channel"]
        payload = outbox_payload(row)
        now = self.now()
        if channel != "note":
            if fresh is None:
                self._retry(row, "the source could not be re-read before sending")
                return
            payload, reason = self._gate(payload, fresh)
            if reason:
                with self.store.transaction() as conn:
                    outbox.mark(conn, key, "skipped", now, reason=reason, payload=payload)
                self.report.record(key, "skipped", reason)
                return
        if channel == "letter":
            payload = postal.with_address(self.store, self.config, row["source"], payload)
            if not payload.get("customer_address"):
                self._wait_for_address(row, payload)
                return
        try:
            remote_id = self._side_effect(row, payload)
        except TransientError as exc:
            self._retry(row, redact(str(exc)))
            return
        except ConnectorError as exc:
            self._fail(row, redact(str(exc)))
            return
        except Exception as exc:  # a bug must not stop the other deliveries
            log.exception("unexpected error delivering %s", key)
            self._fail(row, redact(f"{type(exc).__name__}: {exc}"))
            return
        with self.store.transaction() as conn:
            outbox.mark(conn, key, "sent", self.now(), remote_id=remote_id, payload=payload)
            if channel == "task":
                self._record_task(conn, row, payload, remote_id)
            self._after_sent(conn, row, payload, remote_id)
        self.report.record(key, "sent")

    def _side_effect(self, row: dict[str, Any], payload: dict[str, Any]) -> str | None:
        channel = row["channel"]
        if channel == "letter":
            return self.letters.write(postal.file_name(self.store, row["key"], payload),
                                      self._letter(payload))
        if channel == "email":
            if "letter" in payload.get("level_channels", ()):
                payload = postal.with_address(self.store, self.config, row["source"], payload)
            posted = letter_store.posted(self.store, self.tenant, row["customer_id"], row["level"])
            context = template_context(payload, self.config)
            context.update(letter_posted=posted is not None,
                           letter_posted_on=posted.posted_on if posted else None,
                           letter_tracking=posted.tracking if posted else None)
            rendered = render(payload["template"], context, payload.get("language", "fr"))
            attachments = []
            if "letter" in payload.get("level_channels", ()):
                # the formal notice also goes by email, as a PDF (the same text as the paper one)
                attachments.append((f"mise-en-demeure-{payload['customer_id']}.pdf",
                                    self._letter(payload), "application/pdf"))
            attachments += for_email(payload.get("attach") or (), context,
                                     payload.get("language", "fr"), self._invoice_pdfs)
            message = build_message(rendered, sender=self.config.sender,
                                    recipients=list(payload["recipients"]), key=row["key"],
                                    now=self.now(), attachments=attachments)
            cc = list(payload.get("cc") or [])
            if cc:
                message["Cc"] = ", ".join(cc)
            # the transport's `bcc` is the extra envelope recipients: the Cc header names them
            bcc = ([self.config.sender.bcc] if self.config.sender.bcc else []) + cc
            return self.transport.send(message, bcc=bcc or None)
        request = self._push_request(row, payload)
        if channel == "task":
            return self.adapter.push_task(request) if self.adapter.capabilities.tasks else None
        method = SOURCE_CHANNELS.get(channel)
        if method is None:
            raise ConnectorError(f"channel {channel!r} cannot be delivered")
        return getattr(self.adapter, method)(request)

    @property
    def _invoice_pdfs(self) -> InvoicePdfs:
        if self._pdf_cache is None:
            self._pdf_cache = InvoicePdfs(self.adapter, self.config.base_dir / "cache" / "invoices")
        return self._pdf_cache

    @property
    def letters(self) -> LetterStore:
        return LetterStore(self.config.letters_dir)

    def _letter(self, payload: dict[str, Any]) -> bytes:
        """The formal notice for this payload; the letter row and the email row of one level
        share their context, so the PDF is made once per run."""
        language = payload.get("language", "fr")
        context = template_context(payload, self.config)
        cache_key = json.dumps([language, context], default=str, sort_keys=True)
        if cache_key not in self._pdfs:
            self._pdfs.clear()  # only the sibling row needs it: keep memory flat
            self._pdfs[cache_key] = letter_pdf(
                context, language, title="Mise en demeure" if language != "en" else
                "Formal notice")
        return self._pdfs[cache_key]

    def _push_request(self, row: dict[str, Any], payload: dict[str, Any]) -> PushRequest:
        items = outbox.payload_items(payload)
        body = task_text(payload, self.config) if row["channel"] == "task" \
            else note_text(payload, self.config)
        return PushRequest(
            key=row["key"], invoice_ids=sorted({i.invoice_id for i in items}),
            customer_id=row["customer_id"], level=row["level"], channel=row["channel"],
            summary=body.splitlines()[0], body=body,
            due_date=dt.date.fromisoformat(str(payload["planned_for"])),
            recipients=list(payload.get("recipients", [])))

    def _record_task(self, conn: Any, row: dict[str, Any], payload: dict[str, Any],
                     remote_id: str | None) -> None:
        body = task_text(payload, self.config)
        try:
            with conn.begin_nested():
                conn.execute(t.tasks.insert().values(
                    key=row["key"], tenant=row["tenant"], source=row["source"],
                    customer_id=row["customer_id"], title=body.splitlines()[0], body=body,
                    due_date=dt.date.fromisoformat(str(payload["planned_for"])), status="open",
                    remote_id=remote_id, created_at=self.now()))
        except IntegrityError:
            pass  # already recorded

    def _after_sent(self, conn: Any, row: dict[str, Any], payload: dict[str, Any],
                    remote_id: str | bool | None) -> None:
        if row["channel"] == "email" and self.adapter.capabilities.notes:
            outbox.enqueue_follow_up(conn, row, "note", self.now())
        if row["channel"] == "letter" and isinstance(remote_id, str):
            postal.letter_written(conn, row, payload, remote_id, self.config.language, self.now())

    def _wait_for_address(self, row: dict[str, Any], payload: dict[str, Any]) -> None:
        """No letter without an address: the row waits a day, a person is asked to complete it."""
        reason = "no postal address for the formal notice: waiting for it (task created)"
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "planned", self.now(), reason=reason,
                        next_attempt_at=self.now() + postal.ADDRESS_WAIT)
            postal.address_missing(conn, row, payload, self.config.language, self.now())
        self.report.record(row["key"], "retried", reason)

    def _retry(self, row: dict[str, Any], reason: str) -> None:
        if row["attempts"] >= outbox.MAX_ATTEMPTS:
            self._fail(row, f"gave up after {row['attempts']} attempts: {reason}")
            return
        delay = dt.timedelta(minutes=5 * 2 ** min(row["attempts"] - 1, 6))
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "planned", self.now(), reason=reason,
                        next_attempt_at=self.now() + delay)
        self.report.record(row["key"], "retried", reason)

    def _fail(self, row: dict[str, Any], reason: str) -> None:
        log.error("reminder %s (%s) failed: %s", row["key"], row["channel"], reason)
        with self.store.transaction() as conn:
            outbox.mark(conn, row["key"], "failed", self.now(), reason=reason)
        self.report.record(row["key"], "failed", reason)


def outbox_payload(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["payload"])


def row_source(row: dict[str, Any]) -> str:
    return str(row["source"])


def _item_residual(invoice: Invoice, item_id: str) -> Decimal | None:
    for candidate, _due, residual in invoice.due_items():
        if candidate == item_id:
            return residual if residual > 0 else None
    return None


def _item_dict(item: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
            for k, v in item.__dict__.items()}
