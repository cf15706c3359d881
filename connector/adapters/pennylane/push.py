"""Pennylane push-back: the reminder as a PDF appendix on each invoice it covers.

Pennylane has no note or activity on invoices; an appendix is the only per-invoice trace (and
appendices cannot be deleted). The intent goes to the push journal (the store, via
`AdapterContext.journal`) before the first upload, so `find_pushed` knows where to look after a
crash, from any host; a push resumed after one skips the invoices that already carry it.
"""

from __future__ import annotations

from typing import Any

from connector.adapters.base import AdapterContext, Capabilities, JournalEntry, PushRequest
from connector.adapters.pennylane.client import PAGE_LIMIT, PennylaneClient
from connector.adapters.pennylane.mapping import appendix_name, appendix_suffix
from connector.adapters.rest import json_body
from connector.adapters.trace_pdf import trace_pdf
from connector.errors import PermanentError


class PennylanePushMixin:
    """Mixed into PennylaneAdapter: needs its `client`, `context` and `capabilities`."""

    client: PennylaneClient
    context: AdapterContext
    capabilities: Capabilities

    def push_note(self, request: PushRequest) -> str:
        """Upload `relance-<level>-<date>-<key>.pdf` on each invoice; returns the first id."""
        if not self.capabilities.notes:
            raise NotImplementedError('pennylane keeps a trace only with trace = "appendix"')
        if not request.invoice_ids:
            raise PermanentError("a Pennylane appendix needs at least one invoice")
        journal = self.context.journal
        resumed = journal.started(request.key) is not None
        journal.start(request.key, JournalEntry(request.customer_id, tuple(request.invoice_ids)))
        today = self.context.today
        name = appendix_name(request.level, today, request.key)
        pdf = trace_pdf(request.summary, [
            f"Niveau / level: {request.level}   Date: {today.isoformat()}",
            f"Canal / channel: {request.channel}   Destinataires: {', '.join(request.recipients)}",
            f"Factures / invoices: {', '.join(request.invoice_ids)}",
            "", *request.body.splitlines(), "", f"relance key: {request.key}"])
        first: str | None = None
        for invoice_id in request.invoice_ids:
            done = self._appendix_on(invoice_id, request.key) if resumed else None
            if done is None:
                # Not idempotent and Pennylane has no idempotency key: HttpClient must not retry
                # it after a 5xx or a timeout (the upload may have happened); find_pushed decides.
                response = self.client.call(
                    "POST", f"/customer_invoices/{invoice_id}/appendices",
                    "customer_invoices:all", idempotent=False,
                    files={"file": (name, pdf, "application/pdf")})
                done = str(json_body(response, "Pennylane")["id"])
            first = first or done
        assert first is not None
        return first

    def find_pushed(self, key: str) -> str | None:
        """The first appendix's id when EVERY invoice of the push carries it; else None, and the
        push is resumed (a crash between two uploads leaves a half-done push)."""
        entry = self.context.journal.started(key)
        if entry is None or not entry.invoice_ids:
            return None  # never started: the journal is written before any upload
        found = [self._appendix_on(invoice_id, key) for invoice_id in entry.invoice_ids]
        return found[0] if all(found) else None

    def _appendix_on(self, invoice_id: str, key: str) -> str | None:
        marker = appendix_suffix(key)
        items: Any
        for items in self.client.list(f"/customer_invoices/{invoice_id}/appendices",
                                      "customer_invoices:readonly", {"limit": PAGE_LIMIT}):
            for item in items:
                if isinstance(item, dict) and str(item.get("filename", "")).endswith(marker):
                    return str(item["id"])
        return None
