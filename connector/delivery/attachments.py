"""What a reminder email carries besides its words: the invoices' PDFs and a statement of account.

The level says what (`attach = ["invoices", "statement"]`). Invoice PDFs are asked of the source at
send time (Pennylane's links expire after 30 minutes), capped in size and cached on disk (an issued
invoice does not change, and the next level lists it again). The dispatcher fetches them just
before it claims the row (`prefetch`), so that the network is not waited on while a message is
`sending`. Fetching is best effort: a PDF that cannot be had is logged and left out, it never holds
the reminder back.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.adapters.base import BaseAdapter
from connector.delivery.postal import safe
from connector.delivery.statement import statement_pdf
from connector.errors import ConnectorError
from connector.rules.payload import ReminderPayload
from connector.secrets import redact

log = logging.getLogger(__name__)
MAX_BYTES = 5 * 1024 * 1024
"""Per invoice PDF: mail servers refuse messages over 10–25 MB, and an invoice is rarely 1 MB."""
MAX_TOTAL = 15 * 1024 * 1024
"""Per message, invoices together: past it the remaining ones are left out (and logged)."""
PDF = "application/pdf"
Attachment = tuple[str, bytes, str]


@dataclass
class InvoicePdfs:
    """The source's invoice PDFs, through a cache directory (`<state>/cache/invoices`)."""

    adapter: BaseAdapter
    directory: Path
    max_bytes: int = MAX_BYTES
    failures: list[tuple[str, str]] = field(default_factory=list)

    def get(self, invoice_id: str) -> bytes | None:
        cached = self.directory / f"{safe(invoice_id, 120)}.pdf"
        if cached.exists():
            return cached.read_bytes()
        if any(failed == invoice_id for failed, _ in self.failures):
            return None  # failed already in this run: not asked again
        try:
            content = self.adapter.invoice_pdf(invoice_id)
        except ConnectorError as exc:
            self._failed(invoice_id, redact(str(exc)))
            return None
        except Exception as exc:  # an adapter's bug must not hold the reminder back either
            log.exception("invoice %s: fetching its PDF failed", invoice_id)
            self.failures.append((invoice_id, redact(f"{type(exc).__name__}: {exc}")))
            return None
        if content is None:
            return None
        if len(content) > self.max_bytes:
            self._failed(invoice_id, f"{len(content)} bytes, over the {self.max_bytes}-byte cap")
            return None
        if not content.startswith(b"%PDF-"):
            self._failed(invoice_id, "the source did not send a PDF")
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, cached)
        return content

    def _failed(self, invoice_id: str, reason: str) -> None:
        log.warning("invoice %s: its PDF is not attached (%s)", invoice_id, reason)
        self.failures.append((invoice_id, reason))


def prefetch(payload: ReminderPayload, pdfs: InvoicePdfs) -> None:
    """Warm the cache for an email row before it is claimed."""
    if "invoices" in payload.attach:
        for invoice_id in dict.fromkeys(i.invoice_id for i in payload.items):
            pdfs.get(invoice_id)


def for_email(attach: list[str] | tuple[str, ...], context: dict[str, Any], language: str,
              pdfs: InvoicePdfs | None) -> list[Attachment]:
    """The attachments a level asks for, in the order a reader expects them."""
    found: list[Attachment] = []
    if "invoices" in attach and pdfs is not None:
        seen: set[str] = set()
        for item in context["items"]:
            if item.invoice_id in seen:
                continue  # two instalments of one invoice: one PDF
            seen.add(item.invoice_id)
            content = pdfs.get(item.invoice_id)
            if content is not None and sum(len(a[1]) for a in found) + len(content) > MAX_TOTAL:
                log.warning("invoice %s: its PDF is not attached (the message would exceed "
                            "%d bytes)", item.invoice_id, MAX_TOTAL)
                continue
            if content is not None:
                label = "facture" if language != "en" else "invoice"
                found.append((f"{label}-{safe(item.number, 80)}.pdf", content, PDF))
    if "statement" in attach:
        name = "releve-de-compte" if language != "en" else "statement-of-account"
        found.append((f"{name}-{safe(str(context['customer_id']), 40)}.pdf",
                      statement_pdf(context, language), PDF))
    return found
