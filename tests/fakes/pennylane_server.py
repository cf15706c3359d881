"""A fake Pennylane Company API v2 over real HTTP on 127.0.0.1, checked against its OpenAPI.

Every request it receives and every regular response it sends is validated with openapi-core
against `shared/specs/pennylane/openapi.json`; a mismatch is appended to `violations` (and a bad
request is answered 400), so a test fixture can assert the list is empty at teardown. Deliberate
faults (429 from the rate limiter, injected 5xx, timeouts, resets, malformed bodies) are not
validated: the spec does not document them (the 429 and its headers come from the rate-limiting
docs page).

End-to-end tests start it with `pennylane_endpoint()` (yields `(base_url, token)`) or
`start_fake_pennylane()` (returns the running `FakePennylane`: `.base_url`, `.token`, `.stop()`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import email.parser
import email.policy
import itertools
import json
import math
import random
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connector.adapters.trace_pdf import trace_pdf
from tests.fakes.pennylane_records import (
    Event,
    StoredInvoice,
    customer_json,
    decode_event_cursor,
    event_cursor,
    filter_fields,
    invoice_json,
    iso,
    list_cursor,
    list_cursor_id,
    matches,
)
from tests.fakes.pennylane_spec import PREFIX, check_request, check_response, load_spec

DEFAULT_TOKEN = "pl-fake-company-token-0123456789"
ALL_SCOPES = ("customer_invoices:all", "customers:all")
RETENTION = dt.timedelta(weeks=4)  # changelog retention
__all__ = ["FakePennylane", "load_spec", "pennylane_endpoint", "start_fake_pennylane"]


@dataclass
class Recorded:
    method: str
    path: str  # relative to /api/external/v2
    query: dict[str, str]
    status: int = 0


@dataclass
class Fault:
    kind: str  # "429", "500", "503", "timeout", "reset", "malformed"
    method: str | None = None
    path: str | None = None  # prefix of the path relative to /api/external/v2

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path))


class FakePennylane:
    """In-memory customers and invoices behind the endpoints the adapter uses."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, scopes: tuple[str, ...] = ALL_SCOPES,
                 validate: bool = True, rate_limit: int = 25, rate_period: float = 5.0,
                 fault_rate: float = 0.0, fault_seed: int = 0) -> None:
        self.token = token
        self.tokens: dict[str, list[str]] = {token: list(scopes)}
        self.validate = validate
        self.clock_offset = dt.timedelta(0)
        self.rate_limit, self.rate_period = rate_limit, rate_period
        self.customers: dict[int, dict[str, Any]] = {}
        self.invoices: dict[int, StoredInvoice] = {}
        self.appendices: dict[int, list[dict[str, Any]]] = {}
        self.events: dict[str, list[Event]] = {
            "customer_invoices": [], "customers": []}
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: deque[Fault] = deque()
        self.fault_rate, self._fault_rng = fault_rate, random.Random(fault_seed)
        self.fault_delay = 1.0
        self.pagination_bug: dict[str, str] = {}  # path -> "repeat_cursor" | "missing_cursor"
        self.rate_limited = 0
        self.expired_files: set[int] = set()  # public_file_url links that answer 403 (expired)
        self.file_tokens: list[str] = []  # the Authorization header each file request carried
        self._next_id, self._seq = 1000, 0
        self._hits: dict[str, deque[float]] = {}
        self._cursor_filters: dict[str, tuple[str, str | None, str | None]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        if validate:
            load_spec()  # fail early (and once) if the OpenAPI document is missing

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> FakePennylane:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body in two writes: no 40 ms stalls

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a reset or timeout fault leaves broken sockets behind, on purpose

        server = Server(("127.0.0.1", 0), Handler)
        server.daemon_threads, server.block_on_close = True, False
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                         name="fake-pennylane").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(microsecond=0) + self.clock_offset

    # -- data helpers ---------------------------------------------------------------------------
    def add_customer(self, name: str = "SARL Exemple", *, kind: str = "company",
                     emails: tuple[str, ...] = ("compta@exemple.fr",),
                     language: str = "fr_FR") -> int:
        with self._lock:
            cid = self._new_id()
            self.customers[cid] = customer_json(cid, name, kind, emails, language, self.now())
            self._event("customers", cid, "insert")
            return cid

    def add_invoice(self, customer_id: int | None, total: str | Decimal = "120.00", *,
                    date: dt.date | None = None, deadline: dt.date | None | str = "auto",
                    credit_note_of: int | None = None, draft: bool = False,
                    paid: str | Decimal = "0", e_invoicing: str | None = None,
                    number: str | None = None) -> int:
        with self._lock:
            iid = self._new_id()
            today = self.now().date()
            date = date or today - dt.timedelta(days=10)
            when = None if deadline is None else (
                date + dt.timedelta(days=30) if deadline == "auto" else deadline)
            assert not isinstance(when, str)
            self.invoices[iid] = StoredInvoice(
                iid, number or f"F{date.year}-{iid:05d}", customer_id, Decimal(str(total)), date,
                when, self.now(), self.now(), Decimal(str(paid)), credit_note_of, draft,
                e_invoicing=e_invoicing)
            self._event("customer_invoices", iid, "insert")
            return iid

    def pay(self, invoice_id: int, amount: str | Decimal | None = None) -> None:
        """Match a payment: lowers the remaining amount and writes an `update` changelog event."""
        with self._lock:
            invoice = self.invoices[invoice_id]
            left = invoice.total - invoice.paid_amount
            invoice.paid_amount += Decimal(str(amount)) if amount is not None else left
            invoice.updated_at = self.now()
            self._event("customer_invoices", invoice_id, "update")

    def touch(self, invoice_id: int, **overrides: Any) -> None:
        """Change raw fields of an invoice (e.g. to make it malformed) with an `update` event."""
        with self._lock:
            self.invoices[invoice_id].overrides.update(overrides)
            self._event("customer_invoices", invoice_id, "update")

    def delete_invoice(self, invoice_id: int, *, log_event: bool = True) -> None:
        with self._lock:
            del self.invoices[invoice_id]
            if log_event:
                self._event("customer_invoices", invoice_id, "delete")

    def seed(self, customers: int = 20, invoices: int = 60, seed: int = 7) -> None:
        """A small deterministic French ledger: companies and individuals, open, late, partly
        paid and paid invoices, a few credit notes and one draft."""
        rng = random.Random(seed)
        # The ledger existed before the test starts: its changelog events are an hour old, so an
        # increment right after a full read only sees what the test changes.
        self.clock_offset -= dt.timedelta(hours=1)
        try:
            self._seed(rng, customers, invoices)
        finally:
            self.clock_offset += dt.timedelta(hours=1)

    def _seed(self, rng: random.Random, customers: int, invoices: int) -> None:
        today = self.now().date()
        ids = []
        for n in range(customers):
            if n % 7 == 3:
                ids.append(self.add_customer(f"Camille Martin{n}", kind="individual",
                                             emails=(f"camille{n}@exemple.fr",)))
            else:
                emails = () if n % 9 == 5 else (f"compta{n}@exemple.fr", f"factures{n}@exemple.fr")
                ids.append(self.add_customer(f"SAS Exemple {n}", emails=emails))
        for n in range(invoices):
            issued = today - dt.timedelta(days=rng.randint(1, 120))
            iid = self.add_invoice(rng.choice(ids), Decimal(rng.randint(5000, 500000)) / 100,
                                   date=issued, draft=n == 5)
            roll = rng.random()
            if roll < 0.3:
                self.pay(iid)
            elif roll < 0.4:
                self.pay(iid, (self.invoices[iid].total / 2).quantize(Decimal("0.01")))
            elif roll < 0.45:
                self.add_invoice(self.invoices[iid].customer_id, self.invoices[iid].total / 5,
                                 date=issued + dt.timedelta(days=2), credit_note_of=iid)

    def script(self, *kinds: str, method: str | None = None, path: str | None = None) -> None:
        """Queue faults for the next matching requests, in order."""
        self.faults.extend(Fault(kind, method, path) for kind in kinds)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for r in self.requests if (method is None or r.method == method)
                   and (path is None or r.path.startswith(path)))

    # -- HTTP -----------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method = handler.command
        path = parts.path[len(PREFIX):] if parts.path.startswith(PREFIX) else parts.path
        record = Recorded(method, path, query)
        auth = handler.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if parts.path.startswith("/files/"):
            # public_file_url: a signed link on another host, outside the API (no token)
            return self._file(handler, record, parts.path, auth)
        with self._lock:
            self.requests.append(record)
            limited, headers = self._rate(token or "anonymous")
            fault = self._next_fault(method, path)
        if limited:
            self.rate_limited += 1
            wait = headers["retry-after"]
            return self._send(handler, record, 429, f"Rate limit exceeded. Please retry in {wait} "
                              "seconds.".encode(), headers, "text/plain")
        if fault is not None and fault.kind in ("429", "500", "503"):
            code = int(fault.kind)
            extra = {"retry-after": "1"} if code == 429 else {}
            return self._send(handler, record, code, b'{"error":"injected"}',
                              {**headers, **extra})
        status, payload, checked = self._answer(method, path, query, body, handler, token)
        raw = json.dumps(payload).encode() if payload is not None else b""
        if checked and self.validate:
            problem = check_response(method, parts.path, query, handler.headers, body, status, raw)
            if problem:
                self.violations.append(problem)
        if fault is not None and fault.kind == "timeout":
            time.sleep(self.fault_delay)
        if fault is not None and fault.kind == "reset":
            sock = handler.connection
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            record.status = -1
            return None
        if fault is not None and fault.kind == "malformed":
            raw = raw[: max(len(raw) // 2, 1)]
        return self._send(handler, record, status, raw, headers)

    def _file(self, handler: BaseHTTPRequestHandler, record: Recorded, path: str,
              auth: str) -> None:
        self.file_tokens.append(auth)
        name = path.removeprefix("/files/").removesuffix(".pdf")
        invoice = self.invoices.get(int(name)) if name.isdigit() else None
        if invoice is None or invoice.id in self.expired_files:
            return self._send(handler, record, 403, b"<Error>Request has expired</Error>", {},
                              "application/xml")
        content = trace_pdf(f"Facture {invoice.number}", [f"Total : {invoice.total} EUR"])
        return self._send(handler, record, 200, content, {}, "application/pdf")

    def public_file_url(self, invoice_id: int) -> str:
        assert self._server is not None
        return (f"http://127.0.0.1:{self._server.server_address[1]}/files/{invoice_id}.pdf"
                f"?X-Amz-Signature=abc")

    def _send(self, handler: BaseHTTPRequestHandler, record: Recorded, status: int, raw: bytes,
              headers: dict[str, str], content_type: str = "application/json") -> None:
        record.status = status
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except OSError:
            pass  # the client gave up (a timeout fault)

    def _rate(self, token: str) -> tuple[bool, dict[str, str]]:
        """25 requests per 5 s per token, sliding window; headers as Pennylane sends them."""
        now = time.monotonic()
        hits = self._hits.setdefault(token, deque())
        while hits and hits[0] <= now - self.rate_period:
            hits.popleft()
        limited = len(hits) >= self.rate_limit
        if not limited:
            hits.append(now)
        reset_in = hits[0] + self.rate_period - now if hits else 0.0
        headers = {"ratelimit-limit": str(self.rate_limit),
                   "ratelimit-remaining": str(max(self.rate_limit - len(hits), 0)),
                   "ratelimit-reset": str(math.ceil(time.time() + reset_in))}
        if limited:
            headers["retry-after"] = str(max(math.ceil(reset_in), 1))
        return limited, headers

    def _next_fault(self, method: str, path: str) -> Fault | None:
        for fault in list(self.faults):
            if fault.matches(method, path):
                self.faults.remove(fault)
                return fault
        if self.fault_rate and self._fault_rng.random() < self.fault_rate:
            return Fault(self._fault_rng.choice(["429", "500", "503"]))
        return None

    # -- routes ---------------------------------------------------------------------------------
    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes,
                handler: BaseHTTPRequestHandler, token: str) -> tuple[int, Any, bool]:
        if token not in self.tokens:
            return 401, {"error": "The access token is invalid", "status": 401}, True
        if self.validate:
            problem = check_request(method, PREFIX + path, query, handler.headers, body)
            if problem:
                self.violations.append(problem)
                return 400, {"message": problem[:300]}, False
        segments = path.strip("/").split("/")
        with self._lock:
            if method == "GET" and path == "/me":
                return 200, self._me(token), True
            if method == "GET" and path in ("/customers", "/customer_invoices"):
                resource = path[1:]
                return self._scoped(token, resource, lambda: self._list(resource, path, query))
            if method == "GET" and segments[0] == "changelogs" and len(segments) == 2 \
                    and segments[1] in self.events:
                return self._scoped(token, segments[1],
                                    lambda: self._changelog(segments[1], query))
            if segments[:1] == ["customer_invoices"] and segments[2:] == ["appendices"]:
                return self._scoped(token, "customer_invoices",
                                    lambda: self._appendices(method, int(segments[1]), body,
                                                             handler), write=method == "POST")
        self.violations.append(f"unexpected route {method} {path}")
        return 404, {"error": f"No route {method} {path}", "status": 404}, False

    def _scoped(self, token: str, resource: str, answer: Callable[[], tuple[int, Any]],
                write: bool = False) -> tuple[int, Any, bool]:
        scopes = self.tokens[token]
        need = [f"{resource}:all"] if write else [f"{resource}:all", f"{resource}:readonly"]
        if not set(need) & set(scopes):
            return 403, {"error": f'Access to this resource requires scope "{need[-1]}".',
                         "status": 403}, True
        status, payload = answer()
        return status, payload, True

    def _me(self, token: str) -> dict[str, Any]:
        return {"user": {"id": 7, "first_name": "Léa", "last_name": "Compta",
                         "email": "lea@exemple.fr", "locale": "fr"},
                "company": {"id": 4242, "name": "Exemple SAS", "reg_no": "123456789"},
                "scopes": list(self.tokens[token])}

    def _list(self, resource: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
        try:
            filters = json.loads(query["filter"]) if query.get("filter") else []
        except ValueError:
            return 400, {"message": "filter is not JSON"}
        cursor = query.get("cursor")
        if cursor:
            issued = self._cursor_filters.get(cursor)
            if issued is None:
                return 400, {"error": "invalid cursor", "status": 400}
            if issued != (path, query.get("filter"), query.get("sort")):
                self.violations.append(f"GET {path}: cursor sent without the same filter/sort")
        limit = int(query.get("limit") or 20)
        descending = query.get("sort", "-id").startswith("-")
        source = self.customers if resource == "customers" else self.invoices
        rows = sorted(source, reverse=descending)
        if cursor:
            # ids are sorted: skip to the cursor by bisection, not by scanning (large ledgers)
            last = list_cursor_id(cursor)
            key = (lambda i: -i) if descending else (lambda i: i)
            rows = rows[bisect.bisect_right(rows, key(last), key=key):]
        wanted_ids = [f["value"] for f in filters if f.get("field") == "id"
                      and f.get("operator") == "in" and isinstance(f.get("value"), list)]
        if wanted_ids:  # an id list (re-reads of changed records): no need to scan the rest
            wanted = {str(v) for v in wanted_ids[0]}
            rows = [i for i in rows if str(i) in wanted]
        try:
            # one match past the page is enough to know there is more
            wanted = (i for i in rows if all(matches(filter_fields(resource, source[i]), f)
                                             for f in filters))
            found = list(itertools.islice(wanted, limit + 1))
        except (KeyError, ValueError, TypeError) as exc:
            return 400, {"message": f"unsupported filter: {exc}"}
        chunk, has_more = found[:limit], len(found) > limit
        next_cursor = None
        if has_more:
            next_cursor = list_cursor(path, chunk[-1])
            self._cursor_filters[next_cursor] = (path, query.get("filter"), query.get("sort"))
        bug = self.pagination_bug.get(path)
        if bug == "missing_cursor":
            has_more, next_cursor = True, None
        elif bug == "repeat_cursor":
            has_more = True
            next_cursor = list_cursor(path, 0)
            self._cursor_filters[next_cursor] = (path, query.get("filter"), query.get("sort"))
            chunk = found[:limit] if not cursor else []
        today = self.now().date()
        items = [dict(self.customers[i]) if resource == "customers"
                 else {**invoice_json(self.invoices[i], today),
                       "public_file_url": self.public_file_url(i)} for i in chunk]
        return 200, {"items": items, "has_more": has_more,
                     "next_cursor": next_cursor}

    def _changelog(self, resource: str, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("cursor") and query.get("start_date"):
            return 400, {"error": "Provide either start_date or cursor, not both", "status": 400}
        horizon = self.now() - RETENTION
        events = [e for e in self.events[resource] if e[3] >= horizon]
        if query.get("cursor"):
            seq, at = decode_event_cursor(query["cursor"])
            if at < horizon:
                return 422, {"error": "Cursor is older than the 4 weeks retention", "status": 422}
            events = [e for e in events if e[0] > seq]
        elif query.get("start_date"):
            start = dt.datetime.fromisoformat(query["start_date"].replace("Z", "+00:00"))
            if start < horizon:
                return 422, {"error": "start_date must be within the last 4 weeks",
                             "status": 422}
            events = [e for e in events if e[3] >= start]
        limit = int(query.get("limit") or 20)
        chunk = events[:limit]
        next_cursor = event_cursor(chunk[-1]) if chunk else None
        has_more = len(events) > limit
        bug = self.pagination_bug.get(f"/changelogs/{resource}")
        if bug == "missing_cursor":
            has_more, next_cursor = True, None
        elif bug == "repeat_cursor":
            has_more, next_cursor = True, query.get("cursor") or next_cursor
        return 200, {"items": [{"id": e[1], "operation": e[2], "processed_at": iso(e[3]),
                                "updated_at": iso(e[3]), "created_at": iso(e[3])}
                               for e in chunk],
                     "has_more": has_more, "next_cursor": next_cursor}

    def _appendices(self, method: str, invoice_id: int, body: bytes,
                    handler: BaseHTTPRequestHandler) -> tuple[int, Any]:
        if invoice_id not in self.invoices:
            return 404, {"error": f"Couldn't find CustomerInvoice with 'id'={invoice_id}",
                         "status": 404}
        stored = self.appendices.setdefault(invoice_id, [])
        if method == "GET":
            return 200, {"items": stored, "has_more": False, "next_cursor": None}
        ctype = handler.headers.get("Content-Type", "")
        message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body)
        parts = list(message.iter_parts()) if message.is_multipart() else []
        files = [p for p in parts if p.get_param("name", header="content-disposition") == "file"]
        if not files or not files[0].get_filename():
            return 400, {"message": "file is missing", "field": "file",
                         "code": "NotExistRequiredKey"}
        content = files[0].get_content()
        if not bytes(content).startswith(b"%PDF-"):
            return 422, {"error": "The file is not a supported document", "status": 422}
        appendix_id = self._new_id()
        now = iso(self.now())
        item = {"id": appendix_id, "url": f"https://files.example/{appendix_id}",
                "filename": files[0].get_filename(), "created_at": now, "updated_at": now}
        stored.append(item)
        return 201, item

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _event(self, resource: str, item_id: int, operation: str) -> None:
        self._seq += 1
        self.events[resource].append((self._seq, item_id, operation, self.now()))


def start_fake_pennylane(*, customers: int = 20, invoices: int = 60, seed: int = 7,
                         **options: Any) -> FakePennylane:
    """Start a seeded fake on a free loopback port; call `.stop()` when done."""
    fake = FakePennylane(**options).start()
    fake.seed(customers, invoices, seed)
    return fake


@contextmanager
def pennylane_endpoint(**options: Any) -> Iterator[tuple[str, str]]:
    """`(base_url, token)` of a seeded fake for end-to-end tests; fails on any spec violation."""
    fake = start_fake_pennylane(**options)
    try:
        yield fake.base_url, fake.token
    finally:
        fake.stop()
    assert not fake.violations, "the fake Pennylane saw spec violations:\n" + "\n".join(
        fake.violations)
