"""Sage Accounting (ex Sage One / Business Cloud Accounting), REST API v3.1.

Docs: https://developer.sage.com/accounting/reference/ (Accounts API) and
https://developer.sage.com/accounting/guides/ (authentication, multi_business, pagination,
response_codes). OAuth and the token pair live in `auth`; record mapping in `mapping`.

Increments: every list endpoint we read takes `updated_or_created_since` (inclusive) and
`deleted_since` (exclusive). Whether recording a payment bumps the invoice's `updated_at` is not
documented, so payments and allocations are read incrementally too and the invoices they touch are
re-read, and open invoices are re-read in full every `open_refresh_days` as a safety net.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from connector.adapters.base import (
    AdapterContext,
    BaseAdapter,
    Capabilities,
    Cursor,
    Page,
    SourceConfig,
    SourceInfo,
    map_records,
)
from connector.adapters.oauth import TokenManager
from connector.adapters.rest import full_scan_due, stamp, with_last
from connector.adapters.rest import since as since_at
from connector.adapters.sage.auth import REAUTH, sage_app, token_age_warning
from connector.adapters.sage.client import SageClient
from connector.adapters.sage.mapping import (
    ALLOCATION_ATTRIBUTES,
    CONTACT_ATTRIBUTES,
    CREDIT_NOTE_ATTRIBUTES,
    INVOICE_ATTRIBUTES,
    PAYMENT_ATTRIBUTES,
    PERSON_ATTRIBUTES,
    is_skipped,
    map_artefact,
    map_contact,
    map_payment,
    touched_artefacts,
)
from connector.adapters.sage.push import SagePushMixin
from connector.errors import AuthError
from connector.models import Customer, Invoice, InvoiceKind, Payment

log = logging.getLogger(__name__)
# Re-read at each increment: clock skew between us and Sage is then harmless.
LOOK_BACK = dt.timedelta(seconds=120)
# (resource path, our kind, attributes, number field)
ARTEFACTS: dict[str, tuple[str, InvoiceKind, str]] = {
    "invoices": ("sales_invoices", "invoice", INVOICE_ATTRIBUTES),
    "credit_notes": ("sales_credit_notes", "credit_note", CREDIT_NOTE_ATTRIBUTES)}


class SageConfig(SourceConfig):
    kind: str = "sage"
    business_id: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    base_url: str = "https://api.accounting.sage.com/v3.1"
    auth_url: str = "https://www.sageone.com/oauth2/auth/central?filter=apiv3.1"
    token_url: str = "https://oauth.accounting.sage.com/token"
    redirect_port: int | None = Field(default=None, ge=1024, le=65535)
    requests_per_minute: int = Field(default=100, ge=1, le=10_000)
    open_refresh_days: int = Field(default=1, ge=0)
    """Re-read every open invoice when this many days passed since the last time (0: never)."""
    customers_full_days: int = Field(default=7, ge=1)
    """A contact-person change does not bump its contact: customers are read in full this often."""
    push: tuple[Literal["contact_note", "invoice_attachment"], ...] = (
        "contact_note", "invoice_attachment")
    attachment_context_type: str = "SALES_INVOICE"


class SageAdapter(SagePushMixin, BaseAdapter):
    kind: ClassVar[str] = "sage"
    config_model: ClassVar[type[SourceConfig]] = SageConfig
    capabilities: Capabilities = Capabilities(notes=True, payments=True, pdf=True)

    def __init__(self, config: SageConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.tokens = TokenManager(context.secrets, sage_app(config),
                                   state_dir=Path(context.state_dir), sleep=context.sleep)
        self.client = SageClient(config.base_url, config.business_id, config.requests_per_minute,
                                 self.tokens, context.sleep, context.budgets)
        self.http = self.client.http
        self.clock = time.time

    def _now(self) -> str:
        return stamp(dt.datetime.fromtimestamp(self.clock(), dt.UTC))

    # -- check ----------------------------------------------------------------------------------
    def check(self) -> SourceInfo:
        self.tokens.ensure_fresh()
        # /businesses is in Sage's Core API, not in the Accounts description: it lists every
        # business the token's user can reach.
        listing = self.client.call("GET", "businesses") or {}
        businesses = listing.get("$items", []) if isinstance(listing, dict) else listing
        mine = next((b for b in businesses if str(b.get("id")) == self.config.business_id), None)
        if mine is None:
            raise AuthError(f"the Sage user cannot reach business {self.config.business_id}: "
                            f"check business_id or {REAUTH}")
        missing = []
        for right, path in (("Sales: Read Only", "sales_invoices"),
                            ("Contacts: Read Only", "contacts")):
            if self.client.call("GET", path, params={"items_per_page": 1}, allow=(403,)) is None:
                missing.append(right)
        warnings = []
        types = self.client.ids("attachment_context_types", {})
        if "invoice_attachment" in self.config.push and self.config.attachment_context_type \
                not in types:
            warnings.append(f"attachment context {self.config.attachment_context_type!r} is not "
                            f"offered by this business ({', '.join(types) or 'none'})")
        age = token_age_warning(self.tokens.load(), self.context.today)
        if age:
            warnings.append(age)
        return SourceInfo(kind=self.kind, url=self.config.base_url, version="v3.1",
                          user=str(mine.get("name") or mine.get("displayed_as") or mine["id"]),
                          missing_rights=missing, warnings=warnings)

    def token_warning(self) -> str | None:
        """For `relance status`: a warning when the stored refresh token nears its 31 days."""
        return token_age_warning(self.tokens.load(), self.context.today)

    def status_warnings(self) -> list[str]:
        warning = self.token_warning()
        return [warning] if warning else []

    # -- customers -------------------------------------------------------------------------------
    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        started = self._now()
        full_at = since.get("full_at") if since else None
        full = since is None or full_scan_due(full_at, self.context.today,
                                              self.config.customers_full_days)
        checkpoint = {"contacts": started,
                      "full_at": self.context.today.isoformat() if full else full_at}
        params: dict[str, Any] = {"contact_type_id": "CUSTOMER", "attributes": CONTACT_ATTRIBUTES}
        deleted: list[str] = []
        if not full:
            at = since_at(since.get("contacts") if since else None, LOOK_BACK)
            params["updated_or_created_since"] = at
            deleted = self.client.ids("contacts",
                                      {"contact_type_id": "CUSTOMER", "deleted_since": at})
        for items, last in with_last(self.client.pages("contacts", params)):
            records, rejected = map_records(
                items, lambda raw: map_contact(raw, self._persons(str(raw["id"]))),
                lambda raw: raw.get("id"))
            yield Page(records, checkpoint if last else None, rejected,
                       deleted=deleted if last else [], full_scan_complete=last and full)

    def _persons(self, contact_id: str) -> list[dict[str, Any]]:
        # ContactPerson items carry no contact reference, so they are read per contact
        # (one request per customer in a full read; documented cost).
        return [p for items in self.client.pages("contact_persons", {
            "contact_id": contact_id, "attributes": PERSON_ATTRIBUTES}) for p in items]

    # -- invoices and credit notes -------------------------------------------------------------
    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        """Invoices and credit notes in one stream; one high-water mark per resource."""
        started = self._now()
        today = self.context.today
        checkpoint: dict[str, Any] = {name: started for name in
                                      ("invoices", "credit_notes", "payments", "allocations")}
        checkpoint["open_refresh"] = today.isoformat()
        seen: set[str] = set()
        batches: list[tuple[InvoiceKind | Literal["touched"],
                            Iterable[list[dict[str, Any]]]]] = []
        deleted: list[str] = []
        if since is None:
            for path, kind, attributes in ARTEFACTS.values():
                batches.append((kind, self.client.pages(path, {"attributes": attributes})))
        else:
            for name, (path, kind, attributes) in ARTEFACTS.items():
                at = since_at(since.get(name), LOOK_BACK) or started
                batches.append((kind, self.client.pages(path, {
                    "attributes": attributes, "updated_or_created_since": at})))
                deleted += self.client.ids(path, {"deleted_since": at})
            last_refresh = since.get("open_refresh")
            if self.config.open_refresh_days and full_scan_due(
                    last_refresh, today, self.config.open_refresh_days):
                for path, kind, attributes in ARTEFACTS.values():
                    for state in ("UNPAID", "PART_PAID"):
                        batches.append((kind, self.client.pages(path, {
                            "attributes": attributes, "status_id": state})))
            else:
                checkpoint["open_refresh"] = last_refresh
            batches.append(("touched", [self._touched(since, started)]))
        pending: Page[Invoice] | None = None
        for what, pages in batches:
            for items in pages:
                if what == "touched":
                    page = self._reread(items, seen)
                else:
                    fresh = [i for i in items if str(i.get("id")) not in seen]
                    seen.update(str(i.get("id")) for i in fresh)
                    records, rejected = map_records(
                        [i for i in fresh if not is_skipped(i)],
                        functools.partial(map_artefact, kind=what), lambda raw: raw.get("id"))
                    page = Page(records, None, rejected)
                if pending is not None:
                    yield pending
                pending = page
        pending = pending or Page([], None)
        yield Page(pending.records, checkpoint, pending.rejected, deleted=deleted,
                   full_scan_complete=since is None)

    def _touched(self, since: Cursor, started: str) -> list[dict[str, Any]]:
        """Artefact references (id, $path) settled by payments or allocations since the cursor."""
        refs: dict[str, dict[str, Any]] = {}
        for name, path, attributes in (("payments", "contact_payments", PAYMENT_ATTRIBUTES),
                                       ("allocations", "contact_allocations",
                                        ALLOCATION_ATTRIBUTES)):
            at = since_at(since.get(name), LOOK_BACK) or started
            for items in self.client.pages(path, {"attributes": attributes,
                                            "updated_or_created_since": at}):
                for raw in items:
                    refs.update(touched_artefacts(raw))
        return list(refs.values())

    def _reread(self, refs: list[dict[str, Any]], seen: set[str]) -> Page[Invoice]:
        wanted = [r for r in refs if str(r["id"]) not in seen]
        seen.update(str(r["id"]) for r in wanted)
        credit = [str(r["id"]) for r in wanted if "credit_note" in str(r.get("$path", ""))]
        other = [str(r["id"]) for r in wanted if "credit_note" not in str(r.get("$path", ""))]
        return Page(self._get_artefacts(other, first="invoices")
                    + self._get_artefacts(credit, first="credit_notes"), None)

    # -- payments -------------------------------------------------------------------------------
    def payments(self, since: Cursor | None) -> Iterator[Page[Payment]]:
        started = self._now()
        params: dict[str, Any] = {"transaction_type_id": "CUSTOMER_RECEIPT",
                                  "attributes": PAYMENT_ATTRIBUTES}
        deleted: list[str] = []
        at = since_at(since.get("payments") if since else None, LOOK_BACK)
        if at:
            params["updated_or_created_since"] = at
            # Payment records are one per allocation line, ids "<sage payment id>/<line>": a
            # deleted receipt is reported by its Sage id, i.e. the prefix of those ids.
            deleted = self.client.ids("contact_payments", {
                "transaction_type_id": "CUSTOMER_RECEIPT", "deleted_since": at})
        for items, last in with_last(self.client.pages("contact_payments", params)):
            mapped, rejected = map_records(items, map_payment, lambda raw: raw.get("id"))
            records = [payment for group in mapped for payment in group]
            yield Page(records, {"payments": started} if last else None, rejected,
                       deleted=deleted if last else [], full_scan_complete=last and at is None)

    # -- freshness gate -------------------------------------------------------------------------
    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        """Re-read the named artefacts. The API has no id filter on lists, so this is one GET per
        invoice (two for a credit note or a vanished id: the invoice path is tried first)."""
        return self._get_artefacts(list(dict.fromkeys(invoice_ids)), first="invoices")

    def _get_artefacts(self, ids: list[str], *, first: str) -> list[Invoice]:
        order = [first] + [name for name in ARTEFACTS if name != first]
        raws: list[tuple[InvoiceKind, dict[str, Any]]] = []
        for artefact_id in ids:
            for name in order:
                path, kind, attributes = ARTEFACTS[name]
                raw = self.client.call(
                    "GET", f"{path}/{urllib.parse.quote(artefact_id, safe='')}",
                    params={"attributes": attributes}, allow=(404,))
                if raw is not None:
                    if not is_skipped(raw):
                        raws.append((kind, raw))
                    break
        records, _ = map_records(raws, lambda pair: map_artefact(pair[1], pair[0]),
                                 lambda pair: pair[1].get("id"))
        return records

    def invoice_pdf(self, invoice_id: str) -> bytes | None:
        """The invoice as Sage prints it: the same resource asked for `application/pdf`."""
        path = f"/sales_invoices/{urllib.parse.quote(invoice_id, safe='')}"
        headers = {"Accept": "application/pdf"}
        response = self.http.request("GET", path, headers=headers, allow=(401, 404, 406))
        if response.status_code == 401:  # a token that died early: refresh once (see _call)
            self.tokens.ensure_fresh(force=True)
            response = self.http.request("GET", path, headers=headers, allow=(404, 406))
        if response.status_code != 200 or "pdf" not in response.headers.get("Content-Type", ""):
            return None  # a credit note, or an invoice Sage cannot print
        return response.content

    def close(self) -> None:
        self.client.close()

