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
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from pydantic import Field

from connector.adapters.base import (
    AdapterContext,
    BaseAdapter,
    Capabilities,
    Cursor,
    Page,
    PushRequest,
    SourceConfig,
    SourceInfo,
    map_records,
)
from connector.adapters.pennylane_mapping import (
    appendix_name,
    appendix_suffix,
    map_customer,
    map_invoice,
    raw_id,
)
from connector.adapters.trace_pdf import trace_pdf
from connector.clock import MACHINE
from connector.errors import AuthError, PermanentError, TransientError
from connector.http import HttpClient, shared_budget
from connector.models import Customer, Invoice

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://app.pennylane.com/api/external/v2"
PAGE_LIMIT = 100  # the list maximum; Pennylane's default is only 20
CHANGELOG_LIMIT = 1000  # changelogs accept up to 1000 events per page
BATCH = 100  # ids per `id in [...]` re-read: one full list page
# 25 requests per 5 s per token (rate-limiting doc, 2026-02); every answer carries
# ratelimit-limit/-remaining/-reset (a Unix time), which RateBudget.observe reads.
RATE_LIMIT, RATE_PERIOD = 25, 5.0
# Changelog `start_date` is taken a little before the instant a full read starts, to cover clock
# skew between us and Pennylane.
LOOK_BACK = dt.timedelta(minutes=10)
PUSH_JOURNAL = "pennylane-pushes.json"
READ_SCOPES = {"customer_invoices": "customer_invoices:readonly", "customers": "customers:readonly"}


class PennylaneConfig(SourceConfig):
    kind: str = "pennylane"
    base_url: str = DEFAULT_BASE_URL
    trace: Literal["none", "appendix"] = "none"
    """"appendix": leave each reminder as a PDF appendix on its invoices (customer_invoices:all)."""
    full_scan_days: int = Field(default=7, ge=1, le=365)
    """Every so many days an increment reads all invoices, in case the changelog missed a change."""


class PennylaneAdapter(BaseAdapter):
    kind: ClassVar[str] = "pennylane"
    config_model: ClassVar[type[SourceConfig]] = PennylaneConfig
    # Per instance: Pennylane keeps a trace (notes) only when the config asks for appendices.
    capabilities = Capabilities()

    def __init__(self, config: PennylaneConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.capabilities = Capabilities(notes=config.trace == "appendix")  # type: ignore[misc]
        token = context.secrets.get("source", env=config.secret_env) or ""
        # The budget is keyed on a fingerprint: the token itself must never be a dict key that
        # could end up in a repr or a log.
        fingerprint = hashlib.sha256(token.encode()).hexdigest()[:16]
        host = urlsplit(config.base_url).netloc
        self.http = HttpClient(
            config.base_url,
            headers={"Accept": "application/json"},
            auth=lambda: {"Authorization": f"Bearer {token}"},
            budget=shared_budget(fingerprint, host, RATE_LIMIT, RATE_PERIOD),
            sleep=context.sleep,
            describe_error=_describe_error,
        )
        # The changelog's `since` is a point on Pennylane's own timeline, so it follows the real
        # time even when `--today` moves the tenant's business clock.
        self.now: Callable[[], dt.datetime] = MACHINE
        self._files: HttpClient | None = None  # the file host of public_file_url, no token

    def close(self) -> None:
        self.http.session.close()
        if self._files is not None:
            self._files.session.close()

    # -- transport ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, scope: str, *, allow: tuple[int, ...] = (),
              **kwargs: Any) -> requests.Response:
        """One request; a 401/403 becomes an AuthError naming the token or the missing scope."""
        response = self.http.request(method, path, allow=(401, 403, *allow), **kwargs)
        if response.status_code == 401:
            raise AuthError(
                f"Pennylane refused the company API token at {self.config.base_url} (401): "
                "generate a new company API token in the company's Pennylane settings and store "
                "it with `relance secret set source` (or the variable named by secret_env)")
        if response.status_code == 403:
            raise AuthError(
                f"the Pennylane token lacks the scope {scope!r} needed for {method} {path} (403): "
                f"{_describe_error(response)}")
        return response

    def _get_json(self, path: str, scope: str, params: dict[str, Any] | None = None) -> Any:
        return _json(self._call("GET", path, scope, params=params))

    def _list(self, path: str, scope: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Follow `next_cursor`, sending the same filter and sort with every cursor (the cursor
        does not carry them). A cursor seen twice, or `has_more` without a cursor, is an error:
        looping forever on a server bug would be worse."""
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            body = self._get_json(path, scope, {**params, **({"cursor": cursor} if cursor else {})})
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise TransientError(f"Pennylane answered GET {path} without an items list")
            yield items
            if not body.get("has_more"):
                return
            cursor = body.get("next_cursor")
            if not cursor:
                raise PermanentError(
                    f"Pennylane said GET {path} has more items but gave no next_cursor; "
                    "stopping instead of reading the first page again")
            if cursor in seen:
                raise PermanentError(
                    f"Pennylane returned the same next_cursor twice for GET {path}; "
                    "stopping instead of looping")
            seen.add(cursor)

    # -- check ----------------------------------------------------------------------------------
    def check(self) -> SourceInfo:
        me = self._get_json("/me", "any valid token")
        granted = set(me.get("scopes") or [])
        wanted = list(READ_SCOPES.values())
        if self.config.trace == "appendix":
            wanted.append("customer_invoices:all")
        missing = [scope for scope in wanted if not _granted(scope, granted)]
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
        due = False
        if since and since.get("last_full_scan"):
            last = dt.date.fromisoformat(since["last_full_scan"])
            due = (self.context.today - last).days >= self.config.full_scan_days \
                or last > self.context.today  # the clock went back: trust nothing
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
        for items in self._list(f"/{resource}", READ_SCOPES[resource], _list_params(resource)):
            if pending is not None:
                yield _page(pending, mapper, None)
            pending = items
        yield _page(pending or [], mapper, checkpoint, deleted=deleted or [], complete=True)

    def _read_changelog(self, resource: str, since: Cursor) -> _Changes:
        """Collect the ids changed since the cursor, with the last operation seen for each."""
        params: dict[str, Any] = {"limit": CHANGELOG_LIMIT}
        if since.get("changelog"):
            params["cursor"] = since["changelog"]
        else:
            params["start_date"] = since["since"]
        path = f"/changelogs/{resource}"
        last_op: dict[str, str] = {}
        position = {"changelog": since.get("changelog"), "since": since.get("since")}
        seen: set[str] = {since["changelog"]} if since.get("changelog") else set()
        pages = 0
        while True:
            response = self._call("GET", path, READ_SCOPES[resource], params=params,
                                  allow=(422,))
            if response.status_code == 422:
                # Pennylane keeps 4 weeks of changelog; an older position cannot be resumed.
                raise _Expired(f"the changelog position is older than Pennylane's 4-week "
                               f"retention ({_describe_error(response)})")
            body = _json(response)
            pages += 1
            events = body.get("items") if isinstance(body, dict) else None
            if not isinstance(events, list) or not all(
                    isinstance(e, dict) and e.get("id") is not None
                    and isinstance(e.get("operation"), str) for e in events):
                # A change we cannot read could be any change: read everything again rather
                # than skip it, or fail every sync from now on.
                raise _Expired(f"Pennylane's changelog {path} sent an event without an id or an "
                               "operation")
            for event in events:
                last_op[str(event["id"])] = event["operation"]
                position["since"] = event.get("processed_at") or position["since"]
            cursor = body.get("next_cursor")
            if cursor:
                position["changelog"] = cursor
            if not body.get("has_more"):
                break
            if not cursor or cursor in seen:
                raise PermanentError(f"Pennylane's changelog {path} gave has_more without a "
                                     "new next_cursor; stopping instead of looping")
            seen.add(cursor)
            params = {"limit": CHANGELOG_LIMIT, "cursor": cursor}
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
        batches = [changes.changed[i:i + BATCH] for i in range(0, len(changes.changed), BATCH)]
        deleted = list(changes.deleted)
        for number, batch in enumerate(batches, start=1):
            found = self._read_ids(resource, batch)
            # A changed id that the list no longer returns was deleted since the event
            # (the same thing a 404 on GET /{resource}/{id} would say).
            deleted += [i for i in batch if i not in {str(raw_id(r)) for r in found}]
            last = number == len(batches)
            yield _page(found, mapper, checkpoint if last else None,
                        deleted=deleted if last else [])
        if not batches:
            yield Page([], checkpoint, deleted=deleted)

    def _read_ids(self, resource: str, ids: list[str]) -> list[Any]:
        params = _list_params(resource, [{"field": "id", "operator": "in", "value": ids}])
        return [item for items in self._list(f"/{resource}", READ_SCOPES[resource], params)
                for item in items]

    # -- freshness gate -------------------------------------------------------------------------
    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        wanted = [i for i in dict.fromkeys(invoice_ids) if i.isdigit()]  # Pennylane ids are ints
        fresh: list[Invoice] = []
        for start in range(0, len(wanted), BATCH):
            raw = self._read_ids("customer_invoices", wanted[start:start + BATCH])
            records, _ = map_records(raw, map_invoice, raw_id)
            fresh.extend(records)
        return fresh

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

    # -- push-back: a PDF appendix on the invoice ------------------------------------------------
    def push_note(self, request: PushRequest) -> str:
        """Upload the reminder as `relance-<level>-<date>-<key>.pdf` on each invoice it covers.

        Pennylane has no note or activity on invoices; an appendix is the only per-invoice trace
        (and appendices cannot be deleted). The intent is journaled before the upload so that
        `find_pushed` knows where to look after a crash; a push resumed after one skips the
        invoices that already carry it, so none gets the trace twice. Returns the first id.
        """
        if not self.capabilities.notes:
            raise NotImplementedError('pennylane keeps a trace only with trace = "appendix"')
        if not request.invoice_ids:
            raise PermanentError("a Pennylane appendix needs at least one invoice")
        resumed = request.key in self._journaled()
        self._journal(request.key, request.invoice_ids)
        name = appendix_name(request.level, self.context.today, request.key)
        pdf = trace_pdf(request.summary, [
            f"Niveau / level: {request.level}   Date: {self.context.today.isoformat()}",
            f"Canal / channel: {request.channel}   Destinataires: {', '.join(request.recipients)}",
            f"Factures / invoices: {', '.join(request.invoice_ids)}",
            "", *request.body.splitlines(), "", f"relance key: {request.key}"])
        first: str | None = None
        for invoice_id in request.invoice_ids:
            done = self._appendix_on(invoice_id, request.key) if resumed else None
            if done is None:
                # Not idempotent and Pennylane has no idempotency key: HttpClient must not retry
                # it after a 5xx or a timeout (the upload may have happened); find_pushed decides.
                response = self._call("POST", f"/customer_invoices/{invoice_id}/appendices",
                                      "customer_invoices:all", idempotent=False,
                                      files={"file": (name, pdf, "application/pdf")})
                done = str(_json(response)["id"])
            first = first or done
        assert first is not None
        return first

    def find_pushed(self, key: str) -> str | None:
        """The first appendix's id when EVERY invoice of the push carries it; else None, and the
        push is resumed (a crash between two uploads leaves a half-done push)."""
        invoice_ids = self._journaled().get(key)
        if not invoice_ids:
            return None  # never started: the journal is written before any upload
        found = [self._appendix_on(invoice_id, key) for invoice_id in invoice_ids]
        return found[0] if all(found) else None

    def _appendix_on(self, invoice_id: str, key: str) -> str | None:
        marker = appendix_suffix(key)
        path = f"/customer_invoices/{invoice_id}/appendices"
        for items in self._list(path, "customer_invoices:readonly", {"limit": PAGE_LIMIT}):
            for item in items:
                if str(item.get("filename", "")).endswith(marker):
                    return str(item["id"])
        return None

    def _journal_path(self) -> Path:
        return Path(self.context.state_dir) / PUSH_JOURNAL

    def _journaled(self) -> dict[str, list[str]]:
        try:
            return json.loads(self._journal_path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _journal(self, key: str, invoice_ids: list[str]) -> None:
        entries = self._journaled()
        entries[key] = list(invoice_ids)
        path = self._journal_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(entries, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)


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


def _granted(scope: str, granted: set[str]) -> bool:
    resource, _, level = scope.partition(":")
    return scope in granted or (level == "readonly" and f"{resource}:all" in granted)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TransientError(
            f"Pennylane answered {response.request.method} {response.url.split('?')[0]} "
            f"({response.status_code}) with a body that is not JSON") from None


def _describe_error(response: requests.Response) -> str:
    """Pennylane errors are {"error", "status"} or {"message", ...} (spec: 400 anyOf)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:300]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)[:300]
    return str(body)[:300]


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
