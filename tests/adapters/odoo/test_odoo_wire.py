"""What crosses the wire: fault and status classification; the fake's shapes vs. a real Odoo 17."""

from __future__ import annotations

import json
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
import responses

from connector.adapters.odoo import OdooAdapter
from connector.adapters.odoo import mapping as om
from connector.errors import AuthError, PermanentError, TransientError
from tests.adapters.odoo.helpers import make_adapter
from tests.fakes.odoo_server import running_fake_odoo

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "odoo17"
URL = "https://odoo.example.fr"
KEY = "wire-test-key-6b1d93e0"


def recorded(method: str, model: str, predicate: Any = lambda call: True) -> dict[str, Any]:
    calls = json.loads((FIXTURES / "odoo17-calls.json").read_text())["calls"]
    calls += json.loads((FIXTURES / "odoo17-instalments.json").read_text())["calls"]
    return next(c for c in calls if c["method"] == "execute_kw" and c["args"][3] == model
                and c["args"][4] == method and c["fault"] is None and predicate(c))


def fields_types(model: str) -> dict[str, str]:
    call = recorded("fields_get", model)
    types = {name: spec["type"] for name, spec in call["result"].items()}
    # fields the recording read but did not describe
    return {"move_id": "many2one", "amount_currency": "monetary", "customer_rank": "integer",
            **types}


def kind_ok(value: Any, odoo_type: str) -> bool:
    """Does a value have the shape Odoo gives to a field of this type over XML-RPC?"""
    if odoo_type in ("many2one",):
        return value is False or (isinstance(value, list) and len(value) == 2
                                  and isinstance(value[0], int) and isinstance(value[1], str))
    if odoo_type in ("one2many", "many2many"):
        return isinstance(value, list) and all(isinstance(v, int) for v in value)
    if odoo_type == "monetary" or odoo_type == "float":
        return isinstance(value, float)
    if odoo_type == "boolean":
        return isinstance(value, bool)
    if odoo_type == "date":
        return value is False or (isinstance(value, str) and len(value) == 10)
    if odoo_type == "datetime":
        return value is False or (isinstance(value, str) and len(value) == 19)
    if odoo_type in ("char", "selection", "html"):
        return value is False or isinstance(value, str)
    return True


@pytest.mark.parametrize(("model", "method"), [("account.move", "search_read"),
                                                ("res.partner", "search_read"),
                                                ("account.move.line", "search_read")])
def test_fake_answers_have_the_recorded_shapes(model: str, method: str) -> None:
    call = recorded(method, model, lambda c: "fields" in c["args"][6]
                    and len(c["args"][6]["fields"]) > 5)
    fields = call["args"][6]["fields"]
    types = fields_types(model)
    with running_fake_odoo() as odoo:
        ours = odoo.data.m_search_read(model, [], fields, order="id asc")
    assert ours and call["result"]
    for theirs in call["result"]:
        assert set(theirs) == set(fields) | {"id"}
    for row in ours:
        assert set(row) == set(fields) | {"id"}
        for name in fields:
            assert kind_ok(row[name], types[name]), (name, row[name], types[name])
    # and the recorded rows themselves pass the same shape checks (the checker is honest)
    for theirs in call["result"]:
        for name in fields:
            assert kind_ok(theirs[name], types[name]), (name, theirs[name])


def test_fake_reproduces_the_recorded_books() -> None:
    call = recorded("search_read", "account.move", lambda c: len(c["args"][6]["fields"]) > 20)
    with running_fake_odoo() as odoo:
        listed = odoo.data.m_search_read("account.move", call["args"][5][0],
                                         call["args"][6]["fields"], order="write_date asc, id asc")
    ours = {r["id"]: r for r in listed}
    # Same order as Odoo's, which is NOT id order within a second (microseconds decide).
    recorded_order = [r["id"] for r in call["result"] if r["id"] != 5]  # 5 reversed later
    assert [r["id"] for r in listed if r["id"] in recorded_order] == recorded_order
    after_reversal = recorded("search_read", "account.move",
                              lambda c: c["args"][5][0] == [["id", "in", [5, 8]]])
    for theirs in call["result"] + after_reversal["result"]:
        if theirs["id"] == 5 and theirs["payment_state"] == "not_paid":
            continue  # recorded before the credit note reversed it; the fake holds the after
        mine = ours[theirs["id"]]
        for name in set(theirs) & {"payment_state", "write_date", "reversed_entry_id"}:
            if name != "reversed_entry_id":
                assert mine[name] == theirs[name], name
        for name in set(theirs) & {"name", "move_type", "state", "partner_id", "invoice_date",
                                   "invoice_date_due", "currency_id", "amount_total",
                                   "amount_residual"}:
            assert mine[name] == theirs[name], name


def test_our_request_body_is_byte_for_byte_the_recorded_one() -> None:
    """The body we POST is what a real Odoo 17 accepted (key placeholder as recorded)."""
    wire = (FIXTURES / "wire-search_read-request.xml").read_text()
    params = ("dunning", 2, "<api-key>", "account.move", "search_read",
              [[["move_type", "=", "out_invoice"]]],
              {"fields": ["name", "invoice_date_due", "amount_residual", "partner_id",
                          "payment_state"], "limit": 2})
    assert xmlrpc.client.dumps(params, "execute_kw", allow_none=False).strip() == wire.strip()
    # and the recorded answer parses to the shapes the mapping expects
    (rows,), _ = xmlrpc.client.loads((FIXTURES / "wire-search_read-response.xml").read_bytes())
    assert rows[0]["partner_id"] == [8, "Beta Services SAS"]
    assert isinstance(rows[0]["amount_residual"], float)


# -- classification tables -------------------------------------------------------------------
@pytest.mark.parametrize(("code", "expected"), [
    (1, PermanentError), (2, PermanentError), (3, AuthError), (4, AuthError),
    (99, PermanentError), ("warning -- Odoo", PermanentError)])
def test_fault_table(code: object, expected: type[Exception]) -> None:
    assert om.classify_fault(code) is expected


@pytest.mark.parametrize(("state", "status"), [
    ("not_paid", "open"), ("partial", "partial"), ("in_payment", "paid"), ("paid", "paid"),
    ("reversed", "cancelled"), ("invoicing_legacy", "paid"), ("blocked", "disputed")])
def test_payment_state_table(state: str, status: str) -> None:
    assert om.PAYMENT_STATUS[state] == status


def _adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OdooAdapter:
    """An adapter already logged in, for `responses` to answer its calls."""
    adapter = make_adapter(None, tmp_path, monkeypatch, url=URL, key=KEY)
    adapter.uid, adapter.profile, adapter._serie = 2, om.PROFILES[17], 17
    return adapter


def _answer(result: Any) -> str:
    if isinstance(result, xmlrpc.client.Fault):
        return xmlrpc.client.dumps(result, methodresponse=True)
    return xmlrpc.client.dumps((result,), methodresponse=True)


@pytest.mark.parametrize(("code", "text", "expected", "says"), [
    (1, "Traceback ...\nValueError: Invalid field 'x' on model 'res.partner'", PermanentError,
     "Invalid field 'x'"),
    (2, "Record does not exist or has been deleted.\n(Record: account.move(9,), User: 2)",
     PermanentError, "does not exist"),
    (3, "Access Denied", AuthError, "refused the API key for user bot@example.fr on database "
                                    "dunning"),
    (4, "You are not allowed to access 'Journal Entry' (account.move) records.", AuthError,
     "lacks a right for account.move.search_read: You are not allowed")])
@responses.activate
def test_faults_on_the_wire(code: int, text: str, expected: type[Exception], says: str,
                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = _adapter(tmp_path, monkeypatch)
    responses.post(f"{URL}/xmlrpc/2/object", body=_answer(xmlrpc.client.Fault(code, text)))
    with pytest.raises(expected, match=says) as raised:
        adapter._execute("account.move", "search_read", [[]], {"limit": 1})
    assert KEY not in str(raised.value)
    assert len(responses.calls) == 1  # a fault is an answer: never retried


@pytest.mark.parametrize(("status", "expected", "attempts"), [
    (502, TransientError, 5), (503, TransientError, 5), (504, TransientError, 5),
    (404, PermanentError, 1), (401, AuthError, 1)])
@responses.activate
def test_http_statuses(status: int, expected: type[Exception], attempts: int,
                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = _adapter(tmp_path, monkeypatch)
    responses.post(f"{URL}/xmlrpc/2/object", status=status, body="<html>proxy</html>")
    with pytest.raises(expected) as raised:
        adapter._execute("account.move", "search_read", [[]], {"limit": 1})
    assert len(responses.calls) == attempts
    if status == 404:
        assert "root of an Odoo server" in str(raised.value)


@responses.activate
def test_writes_are_not_retried_on_5xx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = _adapter(tmp_path, monkeypatch)
    responses.post(f"{URL}/xmlrpc/2/object", status=502)
    with pytest.raises(TransientError):
        adapter._execute("account.move", "message_post", [[4]], {"body": "x"}, write=True)
    assert len(responses.calls) == 1


def test_chaos_on_reads_still_gives_the_whole_ledger(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A third of all requests fail (5xx, 429, resets): every read still gets through."""
    with running_fake_odoo() as odoo:
        adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=2)
        adapter.http.max_attempts = 8
        odoo.chaos(0.3, seed=7)
        invoices = [i for p in adapter.invoices(None) for i in p.records]
        customers = [c for p in adapter.customers(None) for c in p.records]
        odoo.chaos(0)
    assert len(invoices) == 7 and len(customers) == 3
    assert adapter.http.request_count > len(odoo.calls)  # some requests never reached Odoo
