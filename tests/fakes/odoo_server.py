"""A fake Odoo XML-RPC server over a real socket (127.0.0.1, random port, background thread).

Start it for a test or an end-to-end run:

    with running_fake_odoo() as odoo:           # seeded with the recorded Odoo 17 books
        url, database, username, key = odoo.credentials()
        print(odoo.source_toml(secret_env="ODOO_KEY"))

or `odoo = start_fake_odoo(); ...; odoo.stop()`. Test helpers change the books as a user of Odoo
would (post an invoice, register a payment, reverse with a credit note), and fault injection makes
the next calls fail the way networks and proxies do (`odoo.script("503", "timeout")`,
`odoo.chaos(0.3)`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import struct
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes import odoo_json2
from tests.fakes.odoo_data import OdooData, fault

DATABASE = "dunning"
USERNAME = "bot@example.fr"
API_KEY = "0d00-fake-api-key-7f3a9c41e8b2d6"
FAULT_KINDS = ("503", "502", "504", "429", "timeout", "reset", "reset-after", "truncated",
               "malformed")


class FakeOdooServer:
    """The books (`data`), the XML-RPC endpoint, and helpers that act like an Odoo user."""

    def __init__(self, serie: str = "17.0", *, seed: bool = True, key: str = API_KEY) -> None:
        self.data = OdooData(serie)
        self.key = key
        self.lock = threading.RLock()
        self.calls: list[tuple[str, str, str]] = []  # (service, model, method) of each request
        self.transports: list[str] = []  # "xmlrpc" or "json2", per object call
        self.timeout_delay = 1.0
        self._script: list[tuple[str, str | None]] = []
        self._chaos: tuple[float, tuple[str, ...], random.Random] | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base()
        if seed:
            self.seed_recorded()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeOdooServer:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True,
                                        name="fake-odoo")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def credentials(self) -> tuple[str, str, str, str]:
        """(url, database, username, api key) for a `[source] kind = "odoo"` config."""
        return self.url, DATABASE, USERNAME, self.key

    def source_toml(self, secret_env: str = "ODOO_KEY") -> str:
        return (f'[source]\nkind = "odoo"\nurl = "{self.url}"\ndatabase = "{DATABASE}"\n'
                f'username = "{USERNAME}"\nsecret_env = "{secret_env}"\n')

    # -- fault injection ------------------------------------------------------------------
    def script(self, *kinds: str, method: str | None = None) -> None:
        """The next requests (to `method` only, when given) fail in these ways, in order."""
        for kind in kinds:
            assert kind in FAULT_KINDS or kind == "ok", kind
            self._script.append((kind, method))

    def chaos(self, share: float, kinds: tuple[str, ...] = ("503", "502", "429", "reset"),
              seed: int = 1) -> None:
        """A `share` of all requests fail with one of `kinds`, reproducibly (seeded)."""
        self._chaos = (share, kinds, random.Random(seed)) if share else None

    def _next_fault(self, method: str) -> str | None:
        with self.lock:
            for index, (kind, only) in enumerate(self._script):
                if only is None or only == method:
                    del self._script[index]
                    return None if kind == "ok" else kind
            if self._chaos is not None:
                share, kinds, rng = self._chaos
                if rng.random() < share:
                    return rng.choice(kinds)
        return None

    # -- dispatch -------------------------------------------------------------------------
    def dispatch(self, service: str, method: str, params: tuple[Any, ...]) -> Any:
        with self.lock:
            data = self.data
            if service == "common":
                self.calls.append((service, "", method))
                if method == "version":
                    return _version(data.serie)
                if method in ("authenticate", "login"):
                    db, login, key = params[0], params[1], params[2]
                    self._check_db(db)
                    return data.uid if (login == USERNAME and key == self.key) else False
                raise fault(1, f"KeyError: '{method}'")
            if service != "object" or method != "execute_kw":
                raise fault(1, f"KeyError: '{method}'")
            db, uid, key, model, name = params[:5]
            args = list(params[5]) if len(params) > 5 else []
            kwargs = dict(params[6]) if len(params) > 6 else {}
            self.calls.append((service, model, name))
            self.transports.append("xmlrpc")
            self._check_db(db)
            if uid != data.uid or key != self.key:
                raise fault(3, "Access Denied")
            return data.call(model, name, args, kwargs)

    def _check_db(self, db: str) -> None:
        if db != DATABASE:
            raise fault(1, f'psycopg2.OperationalError: FATAL:  database "{db}" does not exist')

    # -- books ----------------------------------------------------------------------------
    def _base(self) -> None:
        d = self.data
        d.insert("res.company", {"name": "Dunning Test SAS"}, 1)
        d.insert("res.currency", {"name": "USD"}, 1)
        d.insert("res.currency", {"name": "EUR"}, 126)
        # ids as in Odoo's base data (base.fr, base.uk)
        d.insert("res.country", {"name": "France", "code": "FR"}, 75)
        d.insert("res.country", {"name": "United Kingdom", "code": "GB"}, 231)
        d.insert("res.users", {"login": USERNAME, "name": "Administrator", "partner_id": 3}, 2)
        d.insert("res.partner", {"name": "Administrator", "email": "bot@example.fr",
                                 "type": "contact"}, 3)
        d.insert("res.users", {"login": "marie@example.fr", "name": "Marie Recouvrement"}, 6)
        d.insert("account.journal", {"name": "Customer Invoices"}, 1)
        d.insert("account.account", {"name": "411100 Customers - Sales of goods or services"},
                 302)
        d.insert("account.payment.term", {"name": "30% Now, Balance 60 Days"}, 8)
        d.insert("ir.model", {"model": "account.move", "name": "Journal Entry"}, 430)
        d.insert("ir.model", {"model": "res.partner", "name": "Contact"}, 78)
        for res_id, name, label, category in ((1, "email", "Email", "default"),
                                              (2, "call", "Call", "phonecall"),
                                              (4, "todo", "To-Do", "default"),
                                              (5, "upload", "Upload Document", "upload_file")):
            d.insert("mail.activity.type", {"name": label, "category": category,
                                            "res_model": False, "sequence": res_id}, res_id)
            d.insert("ir.model.data", {"module": "mail", "name": f"mail_activity_data_{name}",
                                       "model": "mail.activity.type", "res_id": res_id},
                     8646 + res_id)
        d.insert("mail.message.subtype", {"name": "Discussions"}, 1)
        d.insert("mail.message.subtype", {"name": "Note"}, 2)
        d.insert("ir.module.module", {"name": "account_followup", "state": "uninstalled"}, 900)

    def seed_recorded(self) -> None:
        """The books recorded from a real Odoo 17 (tests/fixtures/odoo17), same ids and values."""
        d = self.data
        d.now = "2026-11-23 19:14:18"
        # (the recording has no addresses; two are filled in here, Gamma is left without one)
        for pid, name, email, ref, address in (
                (7, "Alpha Distribution SARL", "compta@alpha.example", "CUST-A",
                 ("12 rue du Commerce", "69002", "Lyon", "FR")),
                (8, "Beta Services SAS", "ap@beta.example", "CUST-B",
                 ("4 Dock Road", "L3 4AA", "Liverpool", "GB")),
                (9, "Gamma Conseil", "factures@gamma.example", "CUST-C", None)):
            street, postcode, city, country = address or (None, None, None, None)
            self.add_partner(name, email=email, lang="en_US", ref=ref, partner_id=pid,
                             street=street, zip=postcode, city=city, country=country)
        d.now = "2026-11-23 19:14:19"
        self.add_invoice(7, 1000.0, "2026-09-09", move_id=1, ref="SEED-1")
        self.add_invoice(7, 500.0, "2026-10-14", move_id=2, ref="SEED-2")
        self.add_invoice(8, 750.0, "2026-10-19", move_id=3, ref="SEED-3")
        self.add_invoice(8, 1200.0, "2026-11-18", move_id=4, ref="SEED-4")
        # Same displayed second, distinct microseconds: Odoo sent them as 4, 5, 2, 3.
        d.now = "2026-11-23 19:14:20"
        d.write("account.move", 4)
        self.add_invoice(9, 300.0, "2026-09-24", move_id=5, ref="SEED-5")
        self.register_payment(2, 200.0)
        self.register_payment(3)
        d.now = "2026-11-23 19:16:05"
        self.reverse(5, credit_note_id=8)
        d.now = "2026-11-23 20:02:01"
        self.add_invoice(8, 3000.0, "2026-09-15", move_id=9, payment_term=8,
                         instalments=[("2026-09-15", 900.0), ("2026-11-14", 2100.0)])
        d.now = None

    def add_company(self, name: str) -> int:
        with self.lock:
            return self.data.insert("res.company", {"name": name})

    def add_partner(self, name: str, *, email: str | None = None, phone: str | None = None,
                    lang: str = "fr_FR", is_company: bool = True, parent_id: int | None = None,
                    type: str = "contact", company_id: int | None = None, ref: str | None = None,
                    active: bool = True, partner_id: int | None = None,
                    street: str | None = None, street2: str | None = None,
                    zip: str | None = None, city: str | None = None,
                    country: str | None = None) -> int:
        """`country`: an ISO code of a country the fake knows (FR, GB)."""
        with self.lock:
            country_id = next((i for i, c in self.data.tables["res.country"].items()
                               if c["code"] == country), False) if country else False
            return self.data.insert("res.partner", {
                "name": name, "email": email or False, "phone": phone or False,
                "lang": lang, "is_company": is_company, "parent_id": parent_id or False,
                "type": type, "company_id": company_id or False, "ref": ref or False,
                "active": active, "display_name": name, "street": street or False,
                "street2": street2 or False, "zip": zip or False, "city": city or False,
                "country_id": country_id, "state_id": False,
                "country_code": country if country_id else False}, partner_id)

    def add_invoice(self, partner_id: int, amount: float, invoice_date: str, *,
                    due_date: str | None = None, currency: str = "EUR", company_id: int = 1,
                    refund: bool = False, instalments: list[tuple[str, float]] | None = None,
                    payment_term: int | None = None, user_id: int = 2,
                    reversed_entry_id: int | None = None, ref: str | None = None,
                    move_id: int | None = None) -> int:
        """Post a customer invoice (or credit note) the way Odoo does, receivable lines included."""
        with self.lock:
            d = self.data
            due = due_date or (dt.date.fromisoformat(invoice_date)
                               + dt.timedelta(days=30)).isoformat()
            schedule = instalments or [(due, amount)]
            prefix = "RINV" if refund else "INV"
            year = invoice_date[:4]
            count = 1 + sum(1 for m in d.tables["account.move"].values()
                            if str(m["name"]).startswith(f"{prefix}/{year}/"))
            name = f"{prefix}/{year}/{count:05d}"
            currency_id = next(i for i, c in d.tables["res.currency"].items()
                               if c["name"] == currency)
            sign = -1 if refund else 1
            partner = d.tables["res.partner"][partner_id]
            commercial = d.raw_value("res.partner", partner, "commercial_partner_id")
            move = d.insert("account.move", {
                "name": name, "ref": ref or False, "payment_reference": name,
                "move_type": "out_refund" if refund else "out_invoice", "state": "posted",
                "posted_before": True, "payment_state": "not_paid", "partner_id": partner_id,
                "commercial_partner_id": commercial, "invoice_date": invoice_date,
                "invoice_date_due": schedule[-1][0], "date": invoice_date,
                "currency_id": currency_id, "company_id": company_id,
                "amount_untaxed": float(amount), "amount_tax": 0.0, "amount_total": float(amount),
                "amount_residual": float(amount), "amount_total_signed": sign * float(amount),
                "amount_residual_signed": sign * float(amount),
                "invoice_payment_term_id": payment_term or False, "invoice_user_id": user_id,
                "reversed_entry_id": reversed_entry_id or False, "journal_id": 1}, move_id)
            for maturity, part in schedule:
                d.insert("account.move.line", {
                    "move_id": move, "date_maturity": maturity, "display_type": "payment_term",
                    "debit": 0.0 if refund else part, "credit": part if refund else 0.0,
                    "balance": sign * part, "amount_currency": sign * part,
                    "amount_residual": sign * part, "amount_residual_currency": sign * part,
                    "account_id": 302, "reconciled": False, "currency_id": currency_id})
            # Odoo bumps customer_rank with raw SQL: the partners' write_date does NOT change.
            for pid in {partner_id, commercial}:
                d.tables["res.partner"][pid]["customer_rank"] += 1
            return move

    def print_invoice(self, move_id: int) -> int:
        """Send & Print, as a user does in Odoo 17: the invoice's PDF is made and kept on it."""
        with self.lock:
            d = self.data
            name = str(d.tables["account.move"][move_id]["name"]).replace("/", "_")
            attachment = d.insert("ir.attachment", {
                "name": f"{name}.pdf", "datas": "JVBERi0xLjQ=", "res_model": "account.move",
                "res_id": move_id, "mimetype": "application/pdf"})
            d.write("account.move", move_id, invoice_pdf_report_id=attachment)
            return attachment

    def mark_activity_done(self, activity_id: int, feedback: str = "Client appelé") -> None:
        """A user clicks "Mark Done" on an activity, as in Odoo's chatter."""
        with self.lock:
            self.data.m_action_feedback("mail.activity", [activity_id], feedback)

    def register_payment(self, move_id: int, amount: float | None = None, *,
                         in_payment: bool = False, date: str | None = None) -> None:
        """Pay an invoice (all of what is left by default) on `date` (default: the fake's
        today); oldest instalment first."""
        with self.lock:
            move = self.data.tables["account.move"][move_id]
            self._settle(move, move["amount_residual"] if amount is None else amount,
                         "in_payment" if in_payment else "paid", date=date)

    def reverse(self, move_id: int, amount: float | None = None, *,
                 reconcile: bool = True, credit_note_id: int | None = None) -> int:
        """Issue a credit note against an invoice, reconciled with it unless `reconcile=False`.

        A full reversal leaves the invoice `reversed`; a partial one leaves it `partial`. The credit
        note, consumed by the reconciliation, is `paid` with nothing left.
        """
        with self.lock:
            d = self.data
            invoice = d.tables["account.move"][move_id]
            value = invoice["amount_total"] if amount is None else amount
            note = self.add_invoice(invoice["partner_id"], value, d.clock()[:10], refund=True,
                                    due_date=d.clock()[:10], reversed_entry_id=move_id,
                                    company_id=invoice["company_id"], move_id=credit_note_id)
            if reconcile:
                full = value >= invoice["amount_residual"]
                self._settle(invoice, min(value, invoice["amount_residual"]),
                             "reversed" if full else "paid")
                self._settle(d.tables["account.move"][note], value, "paid")
            return note

    def _settle(self, move: dict[str, Any], amount: float, full_state: str, *,
                date: str | None = None) -> None:
        d = self.data
        left = round(move["amount_residual"] - amount, 2)
        sign = -1 if move["move_type"] == "out_refund" else 1
        remaining = amount
        first = min((ln for ln in d.tables["account.move.line"].values()
                     if ln["move_id"] == move["id"]), key=lambda ln: ln["id"])
        side = "credit_move_id" if sign < 0 else "debit_move_id"
        d.insert("account.partial.reconcile", {
            side: first["id"], "amount": amount, "debit_amount_currency": amount,
            "debit_currency_id": move["currency_id"], "max_date": date or d.clock()[:10]})
        for line in sorted((ln for ln in d.tables["account.move.line"].values()
                            if ln["move_id"] == move["id"]),
                           key=lambda ln: (ln["date_maturity"], ln["id"])):
            take = min(abs(line["amount_residual"]), remaining)
            remaining = round(remaining - take, 2)
            residual = round(abs(line["amount_residual"]) - take, 2)
            d.write("account.move.line", line["id"], amount_residual=sign * residual,
                    amount_residual_currency=sign * residual, reconciled=residual == 0)
        state = full_state if left <= 0 else "partial"
        d.write("account.move", move["id"], amount_residual=max(left, 0.0),
                amount_residual_signed=sign * max(left, 0.0), payment_state=state)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeOdooServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ValueError):
            pass  # the client went away (timeouts) or we reset the connection on purpose

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def do_POST(self) -> None:  # noqa: N802
        fake = self.server_fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/json/2/") and fake.data.major >= 19:
            return self._json2(body)
        if self.path not in ("/xmlrpc/2/common", "/xmlrpc/2/object"):
            return self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
        try:
            params, called = xmlrpc.client.loads(body)
        except Exception:
            return self._send(400, b"bad request", "text/plain")
        method = called or ""
        inner = str(params[4]) if method == "execute_kw" and len(params) > 4 else method
        kind = fake._next_fault(inner)
        if kind in ("503", "502", "504"):
            return self._send(int(kind), b"<html><body>Bad Gateway</body></html>", "text/html")
        if kind == "429":
            return self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "0"})
        if kind == "reset":
            return self._reset()
        if kind == "malformed":
            return self._send(200, b"<?xml version='1.0'?>\n<methodResponse><params><param>"
                                   b"<value><struct><member><name>id</name>", "text/xml",
                              complete=True)
        service = self.path.rsplit("/", 1)[-1]
        try:
            result = fake.dispatch(service, method, params)
            answer = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except xmlrpc.client.Fault as exc:
            answer = xmlrpc.client.dumps(exc, methodresponse=True, allow_none=False)
        except TypeError as exc:  # "cannot marshal None": Odoo's marshaller refuses it too
            answer = xmlrpc.client.dumps(xmlrpc.client.Fault(1, str(exc)), methodresponse=True)
        payload = answer.encode("utf-8")
        if kind == "timeout":
            time.sleep(fake.timeout_delay)
        if kind == "reset-after":
            return self._reset()
        if kind == "truncated":
            return self._send(200, payload[: len(payload) // 2], "text/xml",
                              length=len(payload))
        self._send(200, payload, "text/xml")

    def _json2(self, body: bytes) -> None:
        """Odoo 19's JSON-2 (tests/fakes/odoo_json2.py), with the same faults as XML-RPC."""
        fake = self.server_fake
        kind = fake._next_fault(odoo_json2.call_name(self.path, body))
        if kind in ("503", "502", "504"):
            return self._send(int(kind), b"<html><body>Bad Gateway</body></html>", "text/html")
        if kind == "429":
            return self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "0"})
        if kind == "reset":
            return self._reset()
        if kind == "malformed":
            return self._send(200, b'[{"id": 1, "name": ', "application/json; charset=utf-8")
        status, answer = odoo_json2.dispatch(fake, self.path, self.headers, body)
        payload = json.dumps(answer).encode("utf-8")
        if kind == "timeout":
            time.sleep(fake.timeout_delay)
        if kind == "reset-after":
            return self._reset()
        if kind == "truncated":
            return self._send(200, payload[: len(payload) // 2], "application/json",
                              length=len(payload))
        self._send(status, payload, "application/json; charset=utf-8")

    def _send(self, status: int, payload: bytes, content_type: str,
              headers: dict[str, str] | None = None, *, length: int | None = None,
              complete: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length if length is not None else len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _reset(self) -> None:
        """Close with a TCP RST, as a crashed proxy or worker would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def _version(serie: str) -> dict[str, Any]:
    """As Odoo answers; an Odoo Online "saas~19.1" gives ["saas~19", 1, …] (odoo/release.py)."""
    prefix, _, number = serie.rpartition("~")
    major, minor = (int(p) for p in number.split(".")[:2])
    first: int | str = f"{prefix}~{major}" if prefix else major
    return {"server_version": f"{serie}-20240709", "server_version_info": [first, minor, 0,
                                                                           "final", 0, ""],
            "server_serie": serie, "protocol_version": 1}


def start_fake_odoo(serie: str = "17.0", *, seed: bool = True) -> FakeOdooServer:
    """Start a seeded fake Odoo; call `.credentials()` for (url, db, user, key), `.stop()` after."""
    return FakeOdooServer(serie, seed=seed).start()


@contextmanager
def running_fake_odoo(serie: str = "17.0", *, seed: bool = True) -> Iterator[FakeOdooServer]:
    server = start_fake_odoo(serie, seed=seed)
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":  # python -m tests.fakes.odoo_server: a fake Odoo for manual runs
    server = start_fake_odoo()
    print(server.source_toml(), f"\nexport ODOO_KEY={server.key}\n", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
