"""Sage push-back: a stamped line appended to the contact's notes and a PDF copy of the reminder
attached to the invoice. Sage has no "send reminder" endpoint and no tasks (see the adapter notes),
so this is the trace a dunning run can leave. Docs:
https://developer.sage.com/accounting/reference/attachments/ and .../contacts/
"""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

from connector.adapters.base import AdapterContext, JournalEntry, PushRequest
from connector.adapters.rest import key_stamp
from connector.adapters.sage.client import SageClient
from connector.adapters.trace_pdf import trace_pdf


class SagePushMixin:
    """Mixed into SageAdapter: needs its `config`, `context` and `client`."""

    config: Any
    context: AdapterContext
    client: SageClient

    def push_note(self, request: PushRequest) -> str:
        """Append a stamped line to the contact's notes and/or attach a PDF copy to the invoice.

        Each part checks first whether it is already there, so a retry after a crash completes
        the push without doubling it. Returns the attachment id, else `contact:<id>`.
        """
        # Where the push goes, written before it happens, so find_pushed knows where to look.
        self.context.journal.start(request.key, JournalEntry(request.customer_id,
                                                             tuple(request.invoice_ids)))
        result = f"contact:{request.customer_id}"
        if "contact_note" in self.config.push:
            self._append_note(request)
        if "invoice_attachment" in self.config.push and request.invoice_ids:
            result = self._attach(request)
        return result

    def find_pushed(self, key: str) -> str | None:
        entry = self.context.journal.started(key)
        if entry is None:
            return None  # the journal is written before any push: none was attempted
        if "invoice_attachment" in self.config.push and entry.invoice_ids:
            found = self._find_attachment(entry.invoice_ids[0], key)
            if found:
                return found
        if "contact_note" in self.config.push:
            contact = self.client.call("GET", f"contacts/{entry.customer_id}",
                                 params={"attributes": "notes"}, allow=(404,)) or {}
            if key_stamp(key) in (contact.get("notes") or ""):
                return f"contact:{entry.customer_id}"
        return None

    def _append_note(self, request: PushRequest) -> None:
        path = f"contacts/{urllib.parse.quote(request.customer_id, safe='')}"
        # Sage has no ETag: this read-modify-write can lose a note typed in the same second.
        contact = self.client.call("GET", path, params={"attributes": "notes"}) or {}
        notes = contact.get("notes") or ""
        if key_stamp(request.key) in notes:
            return
        line = (f"{key_stamp(request.key)} {self.context.today.isoformat()} {request.summary}"
                f" ({request.channel}, {request.level})")
        updated = f"{notes.rstrip()}\n{line}" if notes.strip() else line
        self.client.call("PUT", path, json={"contact": {"notes": updated}})

    def _attach(self, request: PushRequest) -> str:
        invoice = request.invoice_ids[0]
        found = self._find_attachment(invoice, request.key)
        if found:
            return found
        pdf = trace_pdf(request.summary, request.body.splitlines())
        created = self.client.call("POST", "attachments", json={"attachment": {
            "file": base64.b64encode(pdf).decode(), "file_name": _file_name(request.key),
            "mime_type": "application/pdf", "file_extension": ".pdf", "file_size": len(pdf),
            "description": f"relance {request.key}: {request.summary}"[:200],
            "attachment_context_type_id": self.config.attachment_context_type,
            "attachment_context_id": invoice, "is_public": False}})
        return str(created["id"])

    def _find_attachment(self, invoice_id: str, key: str) -> str | None:
        # The spec requires both context filters together.
        for items in self.client.pages("attachments", {
                "attachment_context_type_id": self.config.attachment_context_type,
                "attachment_context_id": invoice_id, "attributes": "file_name"}):
            for item in items:
                if item.get("file_name") == _file_name(key):
                    return str(item["id"])
        return None


def _file_name(key: str) -> str:
    return f"relance-{key}.pdf"
