"""A fake Sage Accounting v3.1 server over a real socket, for adapter and OAuth tests.

It plays both Sage hosts: the OAuth pages (`/oauth/authorize`, `/oauth/token`, with refresh-token
rotation) and the API under `/v3.1` (X-Business, paging with `$next`, `attributes`, increments with
`updated_or_created_since`/`deleted_since`, 429 past a budget). Every API request and response is
checked against the saved description (`SpecChecker`); the test asserts `violations == []`.

Faults: `script_faults(...)` queues one fault per coming API request ("429", "500", "503",
"timeout", "reset", "malformed"); `fault_rate` draws them at random (seeded); `token_faults` does
the same for the token endpoint ("500_before_rotate", "500_after_rotate", "drop_after_rotate").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.sage_spec import BASE_PATH, SpecChecker

RESOURCES = ("contacts", "contact_persons", "sales_invoices", "sales_credit_notes",
             "contact_payments", "contact_allocations", "attachments")
BASE_FIELDS = {"id", "displayed_as", "$path"}
FAULTS = ("429", "500", "503", "timeout", "reset")  # "malformed" only when scripted


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _ref(resource: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "displayed_as": item.get("displayed_as", item["id"]),
            "$path": f"/{resource}/{item['id']}"}


@dataclass
class Grant:
    access: str
    refresh: str
    access_expires: float
    used: bool = False  # the new pair served a call: the pair it replaced is dead for good
    previous_refresh: str | None = None


@dataclass
class SageFake:
    """The books of a few businesses plus the OAuth state. Helpers below change them like a user."""

    client_id: str = "relance-test-app"
    client_secret: str = field(default_factory=lambda: "cs-" + secrets.token_hex(12))
    businesses: dict[str, str] = field(default_factory=dict)
    access_ttl: float = 300.0
    rate_limit: tuple[int, float] | None = None  # (requests, seconds) per business before a 429
    retry_after: float = 1.0
    fault_rate: float = 0.0
    strict_rotation: bool = False  # True: the old refresh token dies on rotation, even unused
    payment_bumps_invoice: bool = True
    token_delay: float = 0.0  # seconds the token endpoint thinks (to make refresh races real)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.checker = SpecChecker()
        self.data: dict[str, dict[str, dict[str, Any]]] = {r: {} for r in RESOURCES}
        self.deleted: dict[str, list[tuple[str, dt.datetime]]] = {r: [] for r in RESOURCES}
        self.owner: dict[str, str] = {}  # item id -> business id
        self.grants: list[Grant] = []
        self.codes: dict[str, str] = {}  # code -> redirect_uri
        self.log: list[dict[str, Any]] = []
        self.token_calls: list[str] = []
        self.faults: deque[str] = deque()
        self.token_faults: deque[str] = deque()
        self.random = random.Random(7)
        self.sent: dict[str, deque[float]] = {}
        self.counter = 0

    @property
    def violations(self) -> list[str]:
        return self.checker.violations

    # -- helpers for tests ------------------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        self.counter += 1
        return hashlib.md5(f"{kind}-{self.counter}".encode()).hexdigest()

    def add_business(self, name: str = "SARL Démo Relance") -> str:
        bid = self.new_id("business")
        self.businesses[bid] = name
        return bid

    def _store(self, business: str, resource: str, item: dict[str, Any],
               when: dt.datetime | None) -> dict[str, Any]:
        stamp = _iso(when or _now())
        item.setdefault("created_at", stamp)
        item["updated_at"] = stamp
        item["$path"] = f"/{resource}/{item['id']}"
        with self.lock:
            self.data[resource][item["id"]] = item
            self.owner[item["id"]] = business
        return item

    def add_contact(self, business: str, name: str, *, email: str | None = None,
                    persons: list[dict[str, Any]] = (), locale: str = "fr",
                    notes: str | None = None, when: dt.datetime | None = None) -> str:
        cid = self.new_id("contact")
        contact = {"id": cid, "displayed_as": name, "name": name, "locale": locale,
                   "contact_types": [{"id": "CUSTOMER", "displayed_as": "Client",
                                      "$path": "/contact_types/CUSTOMER"}], "is_active": True}
        if email:
            contact["email"] = email
        if notes:
            contact["notes"] = notes
        when = when or _now() - dt.timedelta(days=1)
        self._store(business, "contacts", contact, when)
        for person in persons:
            pid = self.new_id("person")
            body = {"id": pid, "displayed_as": person.get("name", pid), "_contact": cid,
                    "is_main_contact": False, "is_preferred_contact": False,
                    "contact_person_types": [], **person}
            body["contact_person_types"] = [{"id": t, "displayed_as": t,
                                             "$path": f"/contact_person_types/{t}"}
                                            for t in body["contact_person_types"]]
            self._store(business, "contact_persons", body, when)
        return cid

    def add_invoice(self, business: str, contact: str, number: str, total: str, *,
                    status: str = "UNPAID", date: dt.date = dt.date(2026, 9, 1),
                    due: dt.date | None = None, currency: str = "EUR",
                    when: dt.datetime | None = None, credit_note: bool = False) -> str:
        """An invoice (or credit note) as created earlier: `when` defaults to a day ago."""
        resource = "sales_credit_notes" if credit_note else "sales_invoices"
        iid = self.new_id(resource)
        amount = Decimal(total)
        outstanding = Decimal(0) if status in ("PAID", "VOID", "DRAFT") else amount
        item = {"id": iid, "displayed_as": number, "date": date.isoformat(),
                "contact": _ref("contacts", self.data["contacts"][contact]),
                "total_amount": amount, "outstanding_amount": outstanding, "total_paid":
                amount - outstanding, "currency": {"id": currency, "displayed_as": currency,
                                                   "$path": f"/currencies/{currency}"},
                "status": {"id": status, "displayed_as": status.title(),
                           "$path": f"/artefact_statuses/{status}"}}
        if credit_note:
            item["credit_note_number"] = number
        else:
            item["invoice_number"] = number
            item["due_date"] = (due or date + dt.timedelta(days=30)).isoformat()
        self._store(business, resource, item, when or _now() - dt.timedelta(days=1))
        return iid

    def pay(self, invoice_id: str, amount: str | None = None, *,
            day: dt.date = dt.date(2026, 11, 20)) -> str:
        """A customer receipt allocated to the invoice; the invoice's figures follow."""
        with self.lock:
            invoice = self.data["sales_invoices"][invoice_id]
            business = self.owner[invoice_id]
            paid = Decimal(amount) if amount is not None else invoice["outstanding_amount"]
            left = invoice["outstanding_amount"] - paid
            invoice["outstanding_amount"], invoice["total_paid"] = left, invoice["total_amount"] - left
            status = "PAID" if left <= 0 else "PART_PAID"
            invoice["status"] = {"id": status, "displayed_as": status.title(),
                                 "$path": f"/artefact_statuses/{status}"}
            invoice["last_paid"] = day.isoformat()
            if self.payment_bumps_invoice:
                invoice["updated_at"] = _iso(_now())
            pid = self.new_id("payment")
            payment = {"id": pid, "displayed_as": f"Règlement {invoice['invoice_number']}",
                       "date": day.isoformat(), "contact": invoice["contact"],
                       "total_amount": paid, "currency": invoice["currency"],
                       "transaction_type": {"id": "CUSTOMER_RECEIPT", "displayed_as": "Receipt",
                                            "$path": "/transaction_types/CUSTOMER_RECEIPT"},
                       "allocated_artefacts": [{"id": self.new_id("line"), "amount": paid,
                                                "artefact": _ref("sales_invoices", invoice)}]}
            self._store(business, "contact_payments", payment, None)
            return pid

    def delete(self, resource: str, item_id: str) -> None:
        with self.lock:
            self.data[resource].pop(item_id)
            self.deleted[resource].append((item_id, _now()))

    def touch(self, resource: str, item_id: str, **changes: Any) -> None:
        with self.lock:
            self.data[resource][item_id].update(changes)
            self.data[resource][item_id]["updated_at"] = _iso(_now())

    def script_faults(self, *faults: str) -> None:
        self.faults.extend(faults)

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return sum(1 for entry in self.log if (path is None or entry["path"] == path)
                   and (method is None or entry["method"] == method))

    def refresh_token_now(self) -> str | None:
        return self.grants[-1].refresh if self.grants else None

    def revoke_all(self) -> None:
        with self.lock:
            self.grants.clear()

    # -- OAuth --------------------------------------------------------------------------------
    def _issue(self, previous: str | None) -> Grant:
        grant = Grant("at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24),
                      time.time() + self.access_ttl, previous_refresh=previous)
        self.grants.append(grant)
        return grant

    def token_answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any], str | None]:
        """(status, JSON, fault) of the token endpoint."""
        with self.lock:
            self.token_calls.append(form.get("grant_type", ""))
            fault = self.token_faults.popleft() if self.token_faults else None
            if fault == "500_before_rotate":
                return 500, {"error": "server_error"}, None
            if form.get("client_id") != self.client_id or \
                    form.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client"}, None
            if form.get("grant_type") == "authorization_code":
                if self.codes.pop(form.get("code", ""), None) != form.get("redirect_uri"):
                    return 400, {"error": "invalid_grant"}, None
                grant = self._issue(None)
            elif form.get("grant_type") == "refresh_token":
                grant = self._rotate(form.get("refresh_token", ""))
                if grant is None:
                    return 400, {"error": "invalid_grant",
                                 "error_description": "refresh token expired or already used"}, None
            else:
                return 400, {"error": "unsupported_grant_type"}, None
            body = {"access_token": grant.access, "token_type": "bearer",
                    "expires_in": int(self.access_ttl), "refresh_token": grant.refresh,
                    "refresh_token_expires_in": 2678400, "scope": "full_access",
                    "requested_by_id": "fake-user"}
            return 200, body, fault

    def _rotate(self, refresh: str) -> Grant | None:
        current = next((g for g in self.grants if g.refresh == refresh), None)
        if current is not None and current is self.grants[-1]:
            self.grants = [current]  # everything older is dead now that the newest is used
            return self._issue(refresh)
        # Not the newest token: accepted only if the pair it produced never served a call (the
        # client cannot have received it), unless rotation is strict.
        newest = self.grants[-1] if self.grants else None
        if (not self.strict_rotation and newest is not None and not newest.used
                and newest.previous_refresh == refresh):
            self.grants.remove(newest)
            return self._issue(refresh)
        return None

    def bearer_ok(self, header: str | None) -> bool:
        token = (header or "").removeprefix("Bearer ").strip()
        with self.lock:
            for grant in self.grants:
                if grant.access == token and grant.access_expires > time.time():
                    grant.used = True
                    return True
        return False

    # -- API ----------------------------------------------------------------------------------
    def items(self, business: str, resource: str) -> list[dict[str, Any]]:
        return [item for item in self.data[resource].values() if self.owner[item["id"]] == business]

    def limited(self, business: str) -> bool:
        if self.rate_limit is None:
            return False
        count, period = self.rate_limit
        sent = self.sent.setdefault(business, deque())
        now = time.monotonic()
        while sent and sent[0] <= now - period:
            sent.popleft()
        if len(sent) >= count:
            return True
        sent.append(now)
        return False


def _public(item: dict[str, Any], attributes: str | None) -> dict[str, Any]:
    body = {k: v for k, v in item.items() if not k.startswith("_")}
    if attributes == "all":
        return body
    keep = BASE_FIELDS | ({a.strip() for a in attributes.split(",")} if attributes else set())
    return {k: v for k, v in body.items() if k in keep}


def _errors(code: str, message: str) -> list[dict[str, Any]]:
    return [{"$severity": "error", "$dataCode": code, "$message": message, "$source": ""}]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # request lines hold codes
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(body, default=_json_default).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        self.connection.shutdown(2)

    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if split.path == "/oauth/authorize":
            return self._authorize(dict(urllib.parse.parse_qsl(split.query)))
        if split.path == "/oauth/token" and method == "POST":
            return self._token(dict(urllib.parse.parse_qsl((body or b"").decode())))
        if not split.path.startswith(BASE_PATH + "/"):
            return self._send(404, _errors("NotFound", "no such path"))
        headers = {k: v for k, v in self.headers.items()}
        with fake.lock:
            fake.log.append({"method": method, "path": split.path, "query": split.query,
                             "at": time.monotonic(),
                             "business": self.headers.get("X-Business"),
                             "authorization": bool(self.headers.get("Authorization"))})
        if split.path != BASE_PATH + "/businesses":
            fake.checker.check_request(method, split.path, split.query, headers, body)
        fault = fake.faults.popleft() if fake.faults else (
            fake.random.choice(FAULTS) if fake.fault_rate and fake.random.random() < fake.fault_rate
            else None)
        if fault == "reset":
            return self._drop()
        if fault == "timeout":
            time.sleep(self.server.timeout_sleep)
            return self._drop()
        if fault in ("429", "500", "503"):
            headers_out = {"Retry-After": str(int(fake.retry_after))} if fault == "429" else {}
            return self._send(int(fault), _errors("Fault", "injected"), headers_out)
        if not fake.bearer_ok(self.headers.get("Authorization")):
            return self._send(401, _errors("AuthenticationFailure", "token invalid or expired"))
        if split.path == BASE_PATH + "/businesses":
            answer = [{"id": b, "name": n, "displayed_as": n, "$path": f"/businesses/{b}"}
                      for b, n in fake.businesses.items()]
            fake.checker.check_response(method, split.path, 200, answer)
            return self._send(200, answer)
        business = self.headers.get("X-Business")
        if not business:
            fake.violations.append(f"{method} {split.path}: no X-Business header")
            business = next(iter(fake.businesses))  # Sage falls back to the lead business
        if business not in fake.businesses:
            return self._send(403, _errors("MultiUserAccessDenied", "no access to this business"))
        if fake.limited(business):
            return self._send(429, _errors("TooManyRequests", "slow down"),
                              {"Retry-After": str(int(fake.retry_after))})
        query = urllib.parse.parse_qs(split.query)
        try:
            status, answer = self._api(method, split.path[len(BASE_PATH):], query, body, business)
        except KeyError as exc:
            status, answer = 404, _errors("RecordNotFound", f"not found: {exc}")
        if fault == "malformed":
            return self._send(200, None, raw=b'{"$items": [ {"id": ')
        # validated as the client will read it (decimals become JSON numbers)
        wire = json.loads(json.dumps(answer, default=_json_default))
        fake.checker.check_response(method, split.path, status, wire, query)
        self._send(status, answer)

    def _authorize(self, query: dict[str, str]) -> None:
        """The user consents at once: redirect to the app with a one-time code and the state."""
        fake = self.server.fake
        if query.get("client_id") != fake.client_id or query.get("response_type") != "code":
            return self._send(400, {"error": "invalid_request"})
        code = "code-" + secrets.token_urlsafe(16)
        fake.codes[code] = query["redirect_uri"]
        target = query["redirect_uri"] + "?" + urllib.parse.urlencode(
            {"code": code, "state": query.get("state", ""), "country": "fr"})
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _token(self, form: dict[str, str]) -> None:
        if self.server.fake.token_delay:
            time.sleep(self.server.fake.token_delay)
        status, answer, fault = self.server.fake.token_answer(form)
        if fault == "drop_after_rotate":
            return self._drop()
        if fault == "500_after_rotate":
            return self._send(500, {"error": "server_error"})
        self._send(status, answer)

    def _api(self, method: str, path: str, query: dict[str, list[str]], body: bytes | None,
             business: str) -> tuple[int, Any]:
        fake = self.server.fake
        one = {k: v[0] for k, v in query.items()}
        parts = path.strip("/").split("/")
        resource = parts[0]
        if resource == "attachment_context_types":
            types = [{"id": t, "displayed_as": t.title(), "$path": f"/attachment_context_types/{t}"}
                     for t in ("SALES_INVOICE", "SALES_CREDIT_NOTE", "CONTACT")]
            return 200, _envelope(path, types, one)
        if resource not in RESOURCES:
            return 404, _errors("RecordNotFound", "no such resource")
        fake.checker.check_attributes("/" + resource + ("/{key}" if len(parts) > 1 else ""),
                                      method, one.get("attributes"))
        if len(parts) > 1:
            item = fake.data[resource][parts[1]]
            if fake.owner[item["id"]] != business:
                raise KeyError(parts[1])
            if method == "PUT":
                changes = json.loads(body or b"{}")[resource[:-1]]
                with fake.lock:
                    item.update(changes)
                    item["updated_at"] = _iso(_now())
            return 200, _public(item, one.get("attributes"))
        if method == "POST":
            payload = json.loads(body or b"{}")["attachment"]
            aid = fake.new_id("attachment")
            item = {"id": aid, "displayed_as": payload["file_name"], **{
                k: payload[k] for k in ("file_name", "mime_type", "description", "is_public",
                                        "file_extension", "file_size") if k in payload},
                "attachment_context_type": {"id": payload.get("attachment_context_type_id")},
                "attachment_context": {"id": payload.get("attachment_context_id")},
                "_file": payload["file"]}
            fake._store(business, "attachments", item, None)
            return 201, _public(item, "all")
        if "deleted_since" in one:
            after = dt.datetime.fromisoformat(one["deleted_since"].replace("Z", "+00:00"))
            gone = [{"id": i, "displayed_as": i, "$path": f"/{resource}/{i}", "deleted_at": _iso(w)}
                    for i, w in fake.deleted[resource] if w > after]
            return 200, _envelope(path, gone, one)
        items = sorted(fake.items(business, resource), key=lambda i: (i["created_at"], i["id"]))
        items = [i for i in items if _matches(i, one)]
        return 200, _envelope(path, [_public(i, one.get("attributes")) for i in items], one)


def _matches(item: dict[str, Any], query: dict[str, str]) -> bool:
    if "updated_or_created_since" in query:
        since = dt.datetime.fromisoformat(query["updated_or_created_since"].replace("Z", "+00:00"))
        if dt.datetime.fromisoformat(item["updated_at"].replace("Z", "+00:00")) < since:
            return False
    checks = {"contact_type_id": lambda: query["contact_type_id"] in
              {t["id"] for t in item.get("contact_types", [])},
              "contact_id": lambda: item.get("_contact") == query["contact_id"]
              or (item.get("contact") or {}).get("id") == query["contact_id"],
              "status_id": lambda: (item.get("status") or {}).get("id") == query["status_id"],
              "transaction_type_id": lambda: (item.get("transaction_type") or {}).get("id")
              == query["transaction_type_id"],
              "attachment_context_id": lambda: (item.get("attachment_context") or {}).get("id")
              == query["attachment_context_id"]}
    return all(test() for name, test in checks.items() if name in query)


def _envelope(path: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    size = int(query.get("items_per_page", 20))
    page = max(int(query.get("page", 1)), 1)
    last = max((len(items) + size - 1) // size, 1)
    page = min(page, last)  # Sage answers the last page for a page past the end
    rest = {k: v for k, v in query.items() if k != "page"}

    def link(n: int) -> str:
        return f"{path}?" + urllib.parse.urlencode({**rest, "page": n})
    return {"$total": len(items), "$page": page, "$next": link(page + 1) if page < last else None,
            "$back": link(page - 1) if page > 1 else None, "$itemsPerPage": size,
            "$items": items[(page - 1) * size:page * size]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: SageFake
    timeout_sleep: float = 1.0


@dataclass
class RunningSage:
    """What an end-to-end test needs: URLs for the config, the fake's state, and a stop()."""

    fake: SageFake
    url: str  # http://127.0.0.1:port
    base_url: str
    auth_url: str
    token_url: str
    business_id: str
    server: _Server
    thread: threading.Thread

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The `[source]` table of a relance config pointing at this fake."""
        return {"kind": "sage", "business_id": self.business_id, "client_id": self.fake.client_id,
                "base_url": self.base_url, "auth_url": self.auth_url, "token_url": self.token_url,
                "requests_per_minute": 10_000, **overrides}

    def grant_tokens(self) -> dict[str, Any]:
        """Issue a token pair directly (as if `relance auth sage` had run); returns the JSON to store."""
        with self.fake.lock:
            grant = self.fake._issue(None)
        return {"access_token": grant.access, "refresh_token": grant.refresh,
                "expires_at": grant.access_expires,
                "refresh_issued_at": _now().isoformat(timespec="seconds")}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_sage(fake: SageFake | None = None, *, business_name: str = "SARL Démo Relance"
               ) -> RunningSage:
    """Start the fake on 127.0.0.1 (free port) in a thread, with one business."""
    fake = fake or SageFake()
    business = fake.add_business(business_name)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="fake-sage")
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    return RunningSage(fake, url, url + BASE_PATH, url + "/oauth/authorize", url + "/oauth/token",
                       business, server, thread)


def running(fake: SageFake | None = None) -> Iterator[RunningSage]:
    """Generator form for fixtures: yields the running fake, stops it afterwards."""
    sage = start_sage(fake)
    try:
        yield sage
    finally:
        sage.stop()
