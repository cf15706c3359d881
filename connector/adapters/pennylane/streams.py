"""Pennylane Company API v2: customers, customer invoices (credit notes included), changelogs.

Vendor docs: https://pennylane.readme.io/reference
OpenAPI: https://pennylane.readme.io/openapi/accounting.json
Rate limits: https://pennylane.readme.io/docs/rate-limiting-1
Scopes: https://pennylane.readme.io/docs/v2-scopes

Cursor (one per stream), a JSON dict:
    {"changelog": <Pennylane changelog cursor or null>, "since": <RFC 3339 instant or null>,
     "last_full_scan": <ISO date>, "resynced": <bool>}
`changelog` is where the next increment resumes. When Pennylane ends a feed without a cursor,
`since` (the newest `processed_at` seen, or the instant a full read started) is sent as
`start_date` instead; re-reading an event twice is harmless because the store upserts.

Increments collect every changed id from the changelog first and re-read them afterwards, so only
the last page of an increment carries a checkpoint (intermediate pages say `checkpoint=None`):
the changelog position is only valid once all the ids before it are stored.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
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
from connector.adapters.pennylane.client import (
    DEFAULT_BASE_URL,
    PAGE_LIMIT,
    READ_SCOPES,
    PennylaneClient,
    describe_error,
    granted,
)
from connector.adapters.pennylane.mapping import map_customer, map_invoice, raw_id
from connector.adapters.pennylane.push import PennylanePushMixin
from connector.adapters.rest import CursorPaginator, batches, full_scan_due, json_body
from connector.clock import MACHINE
from connector.http import HttpClient
from connector.models import Customer, Invoice

log = logging.getLogger(__name__)

CHANGELOG_LIMIT = 1000  # changelogs accept up to 1000 events per page
BATCH = 100  # ids per `id in [...]` re-read: one full list page
# Changelog `start_date` is taken a little before the instant a full read starts, to cover clock
# skew between us and Pennylane.
LOOK_BACK = dt.timedelta(minutes=10)


class PennylaneConfig(SourceConfig):
    kind: str = "pennylane"
    base_url: str = DEFAULT_BASE_URL
    trace: Literal["none", "appendix"] = "none"
    """"appendix": leave each reminder as a PDF appendix on its invoices (customer_invoices:all)."""
    full_scan_days: int = Field(default=7, ge=1, le=365)
    """Every so many days an increment reads all invoices, in case the changelog missed a change."""


class PennylaneAdapter(PennylanePushMixin, BaseAdapter):
    kind: ClassVar[str] = "pennylane"
    config_model: ClassVar[type[SourceConfig]] = PennylaneConfig
    # Per instance: Pennylane keeps a trace (notes) only when the config asks for appendices.
    capabilities = Capabilities()

    def __init__(self, config: PennylaneConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.capabilities = Capabilities(notes=config.trace == "appendix")
        token = context.secrets.get("source", env=config.secret_env) or ""
        self.client = PennylaneClient(config.base_url, token, context.sleep, context.budgets)
        self.http = self.client.http
        # The changelog's `since` is a point on Pennylane's own timeline, so it follows the real
        # time even when `--today` moves the tenant's business clock.
        self.now: Callable[[], dt.datetime] = MACHINE
        self._files: HttpClient | None = None  # the file host of public_file_url, no token

    def close(self) -> None:
        self.client.close()
        if self._files is not None:
            self._files.session.close()

    # -- check ----------------------------------------------------------------------------------
    def check(self) -> SourceInfo:
        me = self.client.get_json("/me", "any valid token")
        scopes = set(me.get("scopes") or [])
        wanted = list(READ_SCOPES.values())
        if self.config.trace == "appendix":
            wanted.append("customer_invoices:all")
        missing = [scope for scope in wanted if not granted(scope, scopes)]
        company = me.get("company") or {}
        user = me.get("user") or {}
        who = f"{company.get('name')} (company {company.get('id')})"
        if user.get("email"):
            who += f", token of {user['email']}"
        return SourceInfo(kind=self.kind, url=self.config.base_url, version="v2", user=who,
                          missing_rights=missing)

    # -- streams --------------------------------------------------------------------------------
    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        return self._stream("customers", map_customer, since, full_scan_due=False)

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        due = bool(since and since.get("last_full_scan")) and full_scan_due(
            since.get("last_full_scan") if since else None, self.context.today,
            self.config.full_scan_days)
        return self._stream("customer_invoices", map_invoice, since, full_scan_due=due)

    def _stream(self, resource: str, mapper: Callable[[Any], Any], since: Cursor | None,
                full_scan_due: bool) -> Iterator[Page[Any]]:
        if since and (since.get("changelog") or since.get("since")):
            try:
                changes = self._read_changelog(resource, since)
            except _Expired as exc:
                log.warning("pennylane %s: %s; reading everything again (full resync)",
                            resource, exc)
                yield from self._full(resource, mapper, resynced=True)
                return
            if full_scan_due:
                log.info("pennylane %s: periodic full scan (every %d days)", resource,
                         self.config.full_scan_days)
                yield from self._full(resource, mapper, position=changes.position,
                                      deleted=changes.deleted)
            else:
                yield from self._changed(resource, mapper, changes, since)
            return
        yield from self._full(resource, mapper)

    def _full(self, resource: str, mapper: Callable[[Any], Any], *, resynced: bool = False,
              position: dict[str, Any] | None = None,
              deleted: list[str] | None = None) -> Iterator[Page[Any]]:
        """Every record; the checkpoint (on the last page only) starts the changelog where the
        read began, so changes made during the read are caught by the next increment."""
        if position is None:
            position = {"changelog": None, "since": _rfc3339(self.now() - LOOK_BACK)}
        checkpoint = {**position, "last_full_scan": self.context.today.isoformat(),
                      "resynced": resynced}
        pending: list[Any] | None = None
        for items in self.client.list(f"/{resource}", READ_SCOPES[resource],
                                     _list_params(resource)):
            if pending is not None:
                yield _page(pending, mapper, None)
            pending = items
        yield _page(pending or [], mapper, checkpoint, deleted=deleted or [], complete=True)

    def _read_changelog(self, resource: str, since: Cursor) -> _Changes:
        """Collect the ids changed since the cursor, with the last operation seen for each."""
        path = f"/changelogs/{resource}"
        first = {"start_date": since["since"]}

        def fetch(extra: dict[str, Any]) -> Any:
            response = self.client.call("GET", path, READ_SCOPES[resource], allow=(422,),
                                        params={"limit": CHANGELOG_LIMIT, **(extra or first)})
            if response.status_code == 422:
                # Pennylane keeps 4 weeks of changelog; an older position cannot be resumed.
                raise _Expired("the changelog position is older than Pennylane's 4-week "
                               f"retention ({describe_error(response)})")
            body = json_body(response, "Pennylane")
            events = body.get("items") if isinstance(body, dict) else None
            if not isinstance(events, list) or not all(
                    isinstance(e, dict) and e.get("id") is not None
                    and isinstance(e.get("operation"), str) for e in events):
                # A change we cannot read could be any change: read everything again rather
                # than skip it, or fail every sync from now on.
                raise _Expired(f"Pennylane's changelog {path} sent an event without an id or an "
                               "operation")
            return body

        last_op: dict[str, str] = {}
        position = {"changelog": since.get("changelog"), "since": since.get("since")}
        walk = CursorPaginator("Pennylane", f"GET {path}")
        pages = 0
        for events in walk.pages(fetch, start=since.get("changelog") or None):
            pages += 1
            for event in events:
                last_op[str(event["id"])] = event["operation"]
                position["since"] = event.get("processed_at") or position["since"]
            # the last page's cursor too: it is where the next increment resumes
            position["changelog"] = walk.body.get("next_cursor") or position["changelog"]
        changed = [i for i, op in last_op.items() if op != "delete"]
        deleted = [i for i, op in last_op.items() if op == "delete"]
        log.info("pennylane %s changelog: %d page(s), %d changed, %d deleted", resource, pages,
                 len(changed), len(deleted))
        return _Changes(changed, deleted, position)

    def _changed(self, resource: str, mapper: Callable[[Any], Any], changes: _Changes,
                 since: Cursor) -> Iterator[Page[Any]]:
        checkpoint = {**changes.position,
                      "last_full_scan": since.get("last_full_scan")
                      or self.context.today.isoformat(),
                      "resynced": False}
        deleted = list(changes.deleted)
        for batch, last in batches(changes.changed, BATCH):
            found = self._read_ids(resource, list(batch)) if batch else []
            # A changed id that the list no longer returns was deleted since the event
            # (the same thing a 404 on GET /{resource}/{id} would say).
            deleted += [i for i in batch if i not in {str(raw_id(r)) for r in found}]
            yield _page(found, mapper, checkpoint if last else None,
                        deleted=deleted if last else [])

    def _read_ids(self, resource: str, ids: list[str]) -> list[Any]:
        params = _list_params(resource, [{"field": "id", "operator": "in", "value": ids}])
        return [item for items in self.client.list(f"/{resource}", READ_SCOPES[resource], params)
                for item in items]

    # -- freshness gate -------------------------------------------------------------------------
    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        wanted = [i for i in dict.fromkeys(invoice_ids) if i.isdigit()]  # Pennylane ids are ints
        raw = [item for batch, _ in batches(wanted, BATCH) if batch
               for item in self._read_ids("customer_invoices", list(batch))]
        return map_records(raw, map_invoice, raw_id)[0]


    def invoice_pdf(self, invoice_id: str) -> bytes | None:
        """The invoice's own PDF: `public_file_url` is a signed link, valid 30 minutes, on a file
        host: read the invoice again for a fresh link, then fetch it WITHOUT our token."""
        if not invoice_id.isdigit():
            return None
        raw = self._read_ids("customer_invoices", [invoice_id])
        link = raw[0].get("public_file_url") if raw and isinstance(raw[0], dict) else None
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            return None
        if self._files is None:
            self._files = HttpClient("", headers={"Accept": "application/pdf"},
                                     sleep=self.context.sleep, max_attempts=3)
        return self._files.request("GET", link).content


class _Expired(Exception):
    """The stored changelog position is past Pennylane's retention."""


class _Changes:
    def __init__(self, changed: list[str], deleted: list[str], position: dict[str, Any]) -> None:
        self.changed, self.deleted, self.position = changed, deleted, position


def _list_params(resource: str, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    filters = list(extra or [])
    if resource == "customer_invoices":
        # Drafts are not owed yet. The spec's own examples write booleans as strings.
        filters.append({"field": "draft", "operator": "eq", "value": "false"})
    params: dict[str, Any] = {"limit": PAGE_LIMIT, "sort": "id"}
    if filters:
        params["filter"] = json.dumps(filters, separators=(",", ":"))
    return params


def _page(items: list[Any], mapper: Callable[[Any], Any], checkpoint: dict[str, Any] | None, *,
          deleted: list[str] | None = None, complete: bool = False) -> Page[Any]:
    records, rejected = map_records(items, mapper, raw_id)
    return Page(records, checkpoint, rejected, deleted or [], full_scan_complete=complete)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
