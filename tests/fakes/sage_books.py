"""The books and OAuth state of the fake Sage server, with helpers that change them like a user.

`sage_server` serves them over HTTP; tests call the helpers (add_contact, add_invoice, pay, delete,
touch, script_faults, count) directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.fakes.sage_spec import SpecChecker

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
    write_faults: list[str] = field(default_factory=list)
    """Faults for the next writes (POST, PUT, DELETE) only: "503" refuses one before it happens,
    "reset-after" does it and drops the connection before the answer (a lost answer)."""
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
        # list path (e.g. "/contacts") -> "endless" ($next forever, every page the first one),
        # "back" (page 2's $next points to page 1) or "no_envelope" (a list without `$items`)
        self.paging_faults: dict[str, str] = {}
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
                    notes: str | None = None, when: dt.datetime | None = None,
                    address: tuple[str, str, str] | None = None) -> str:
        """`address`: (line 1, postal code, city) of the main address, in France."""
        cid = self.new_id("contact")
        contact = {"id": cid, "displayed_as": name, "name": name, "locale": locale,
                   "contact_types": [{"id": "CUSTOMER", "displayed_as": "Client",
                                      "$path": "/contact_types/CUSTOMER"}], "is_active": True}
        if address:
            line, postcode, city = address
            contact["main_address"] = {
                "id": self.new_id("address"), "displayed_as": f"{line} {postcode} {city}",
                "$path": f"/addresses/{cid}", "address_line_1": line, "address_line_2": "",
                "postal_code": postcode, "city": city, "is_main_address": True,
                "country": {"id": "FR", "displayed_as": "France (FR)",
                            "$path": "/countries/FR"}}
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
            invoice["outstanding_amount"] = left
            invoice["total_paid"] = invoice["total_amount"] - left
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

    def expire_access(self) -> None:
        """Every access token dies now (refresh tokens live on)."""
        with self.lock:
            for grant in self.grants:
                grant.access_expires = 0.0

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
