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
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connector.adapters.trace_pdf import trace_pdf
from tests.fakes.sage_books import BASE_FIELDS, FAULTS, RESOURCES, SageFake, _iso, _now
from tests.fakes.sage_spec import BASE_PATH

__all__ = ["RunningSage", "SageFake", "running", "start_sage"]



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
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

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

    def _pdf(self, path: str, business: str) -> None:
        """`GET /sales_invoices/{key}` with `Accept: application/pdf`: the invoice as Sage prints
        it (the API reference documents only the JSON answer; its guides document this one)."""
        fake = self.server.fake
        parts = path.strip("/").split("/")
        item = fake.data["sales_invoices"].get(parts[1]) if len(parts) == 2 \
            and parts[0] == "sales_invoices" else None
        if item is None or fake.owner.get(item["id"]) != business:
            return self._send(404, _errors("RecordNotFound", "not found"))
        data = trace_pdf(f"Facture {item.get('invoice_number')}", [str(item.get("total_amount"))])
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

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
        if fault is None and method != "GET" and fake.write_faults:
            with fake.lock:
                fault = fake.write_faults.pop(0) if fake.write_faults else None
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
        if "application/pdf" in (self.headers.get("Accept") or ""):
            return self._pdf(split.path[len(BASE_PATH):], business)
        asked = query
        if fake.paging_faults.get(split.path[len(BASE_PATH):]) == "endless":
            asked = {**query, "page": ["1"]}  # the page number is ignored
        try:
            status, answer = self._api(method, split.path[len(BASE_PATH):], asked, body, business)
        except KeyError as exc:
            status, answer = 404, _errors("RecordNotFound", f"not found: {exc}")
        if fault == "malformed":
            return self._send(200, None, raw=b'{"$items": [ {"id": ')
        if fault == "reset-after":
            return self._drop()  # done, but the answer never leaves
        paging = fake.paging_faults.get(split.path[len(BASE_PATH):])
        if paging and method == "GET" and isinstance(answer, dict) and "$items" in answer:
            return self._send(200, _broken_page(answer, paging, split.path[len(BASE_PATH):],
                                                query))
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


def _broken_page(page: dict[str, Any], paging: str, path: str,
                 query: dict[str, list[str]]) -> Any:
    """A list answer as a buggy Sage (or a proxy in front of it) might send it."""
    if paging == "no_envelope":
        return page["$items"]  # a bare list, as /businesses answers
    number = int(query.get("page", ["1"])[0])
    rest = {k: v[0] for k, v in query.items() if k != "page"}
    if paging == "endless":  # the items of page 1 (see _dispatch) and a $next that never ends
        return page | {"$next": f"{path}?" + urllib.parse.urlencode({**rest, "page": number + 1})}
    if paging == "back" and number >= 2:
        return page | {"$next": f"{path}?" + urllib.parse.urlencode({**rest, "page": 1})}
    return page


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
        """A token pair issued directly (as if `relance auth sage` had run), as stored JSON."""
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
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True, name="fake-sage")
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
