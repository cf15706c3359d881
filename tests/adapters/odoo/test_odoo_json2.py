"""Odoo 19+ over JSON-2: chosen from `version()`, the documented request shape on the wire, its
errors read as the XML-RPC faults they stand for. (The adapter's behaviour on both transports is
tested by test_odoo.py, test_odoo_push.py and test_odoo_rights.py, parametrized on TRANSPORTS.)"""

from __future__ import annotations

import json
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
import responses

from connector.adapters.odoo import json2
from connector.errors import AuthError, PermanentError, TransientError
from tests.adapters.contract import drain
from tests.adapters.odoo.helpers import make_adapter
from tests.fakes.odoo_server import API_KEY, running_fake_odoo

URL = "https://odoo19.example.fr"


@pytest.mark.parametrize("serie, transport", [("16.0", "xmlrpc"), ("17.0", "xmlrpc"),
                                               ("18.0", "xmlrpc"), ("19.0", "json2"),
                                               ("saas~19.1", "json2")])
def test_the_transport_follows_the_version(serie: str, transport: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_odoo(serie) as odoo:
        adapter = make_adapter(odoo, tmp_path, monkeypatch)
        invoices, _ = drain(adapter.invoices(None))
        adapter.check()
        assert invoices
        assert set(odoo.transports) == {transport}  # never a call on the other one
        adapter.close()


def version_answer(serie: str) -> bytes:
    major = int(serie.split(".")[0])
    return xmlrpc.client.dumps(({"server_version": serie, "server_serie": serie,
                                 "server_version_info": [major, 0, 0, "final", 0, ""],
                                 "protocol_version": 1},), methodresponse=True).encode()


@responses.activate
def test_the_request_is_the_documented_one(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    responses.post(f"{URL}/xmlrpc/2/common", body=version_answer("19.0"))
    responses.post(f"{URL}/json/2/res.users/search", json=[2])
    responses.post(f"{URL}/json/2/account.move/search_read", json=[])
    adapter = make_adapter(None, tmp_path, monkeypatch, url=URL, key="k19-secret")
    drain(adapter.invoices(None))
    login, read = responses.calls[1].request, responses.calls[2].request
    for request in (login, read):
        assert request.headers["Authorization"] == "bearer k19-secret"
        assert request.headers["X-Odoo-Database"] == "dunning"
        assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(login.body) == {"domain": [["login", "=", "bot@example.fr"]], "limit": 1}
    body = json.loads(read.body)
    assert "ids" not in body  # search_read is an @api.model method: ids are refused
    assert body["domain"][0] == ["move_type", "in", ["out_invoice", "out_refund"]]
    assert {"fields", "limit", "order", "context"} <= set(body)
    assert "k19-secret" not in repr(adapter.rpc) + repr(adapter.rpc.json2)


@pytest.mark.parametrize("method, args, kwargs, body, single", [
    ("search_read", [[["id", "=", 1]]], {"fields": ["name"]},
     {"domain": [["id", "=", 1]], "fields": ["name"]}, False),
    ("read", [[1, 2]], {"fields": ["name"]}, {"ids": [1, 2], "fields": ["name"]}, False),
    ("create", [{"name": "x"}], {}, {"vals_list": [{"name": "x"}]}, True),
    ("create", [[{"name": "x"}, {"name": "y"}]], {}, {"vals_list": [{"name": "x"},
                                                                     {"name": "y"}]}, False),
    ("message_post", [[7]], {"body": "b"}, {"ids": [7], "body": "b"}, True),
    ("has_access", [[], "create"], {}, {"ids": [], "operation": "create"}, False),
    ("action_feedback", [[3]], {"feedback": "ok"}, {"ids": [3], "feedback": "ok"}, False),
])
def test_positional_arguments_are_named(method: str, args: list[Any], kwargs: dict[str, Any],
                                        body: dict[str, Any], single: bool) -> None:
    assert json2.named(method, args, kwargs) == (body, single)


def test_records_come_back_as_xml_rpc_gave_them() -> None:
    assert json2.unwrap([41], single=True) == 41
    assert json2.unwrap([41, 42], single=False) == [41, 42]
    assert json2.unwrap([], single=True) is False


@pytest.mark.parametrize("status, name, code, error", [
    (401, "werkzeug.exceptions.Unauthorized", 3, AuthError),
    (403, "odoo.exceptions.AccessError", 4, AuthError),
    (401, "odoo.exceptions.AccessDenied", 3, AuthError),
    (422, "odoo.exceptions.UserError", 2, PermanentError),
    (422, "odoo.exceptions.ValidationError", 2, PermanentError),
    (404, "odoo.exceptions.MissingError", 2, PermanentError),
    (404, "werkzeug.exceptions.NotFound", 1, PermanentError),
    (422, "werkzeug.exceptions.UnprocessableEntity", 1, PermanentError),
    (500, "builtins.ValueError", 1, PermanentError),
    (400, "werkzeug.exceptions.BadRequest", 1, PermanentError),
])
@responses.activate
def test_errors_are_the_faults_they_stand_for(status: int, name: str, code: int,
                                              error: type[Exception], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert json2.fault_code_of(status, name, "m") == code
    responses.post(f"{URL}/xmlrpc/2/common", body=version_answer("19.0"))
    responses.post(f"{URL}/json/2/res.users/search", json=[2])
    responses.post(f"{URL}/json/2/account.move/search_read", status=status,
                   json={"name": name, "message": "Something precise", "arguments": [],
                         "context": {}, "debug": "Traceback…"})
    adapter = make_adapter(None, tmp_path, monkeypatch, url=URL, key="k")
    with pytest.raises(error) as caught:
        adapter._execute("account.move", "search_read", [[]], {"fields": ["name"]})
    assert getattr(caught.value, "fault_code", None) == code
    assert "Something precise" in str(caught.value) or code == 3


@responses.activate
def test_a_proxy_error_page_is_transient_and_a_message_alone_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    responses.post(f"{URL}/xmlrpc/2/common", body=version_answer("19.0"))
    responses.post(f"{URL}/json/2/res.users/search", json=[2])
    responses.post(f"{URL}/json/2/account.move/search_read", status=500,
                   body="<html>Internal Server Error</html>", content_type="text/html")
    responses.post(f"{URL}/json/2/account.move/read", status=422,
                   json="Record does not exist or has been deleted.")
    adapter = make_adapter(None, tmp_path, monkeypatch, url=URL, key="k")
    with pytest.raises(TransientError):
        adapter._execute("account.move", "search_read", [[]], {})
    with pytest.raises(PermanentError, match="Record does not exist"):
        adapter._execute("account.move", "read", [[5]], {})


def test_a_refused_key_names_the_user_and_where_to_make_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_odoo("19.0") as odoo:
        adapter = make_adapter(odoo, tmp_path, monkeypatch, key="not-" + API_KEY)
        with pytest.raises(AuthError, match="refused the API key for user bot@example.fr.*"
                                            "New API Key"):
            adapter.check()
        assert set(odoo.transports) == {"json2"}


def test_the_fake_refuses_what_odoo_19_refuses() -> None:
    """The fake holds the client to Odoo's rules, so the tests above mean something."""
    import requests
    with running_fake_odoo("19.0") as odoo:
        post = lambda path, body, **headers: requests.post(  # noqa: E731
            f"{odoo.url}{path}", json=body, timeout=5,
            headers={"Authorization": f"bearer {API_KEY}", **headers})
        assert post("/json/2/account.move/search", {"ids": [1], "domain": []}).status_code == 422
        assert post("/json/2/account.move/search", {"domain": [], "bogus": 1}).status_code == 422
        assert post("/json/2/no.model/search", {"domain": []}).status_code == 404
        assert post("/json/2/account.move/_private", {}).status_code == 403
        missing = post("/json/2/account.move/search", {"domain": []},
                       **{"X-Odoo-Database": "nope"})
        assert missing.status_code == 404
        refused = requests.post(f"{odoo.url}/json/2/account.move/search", json={"domain": []},
                                headers={"Authorization": "bearer wrong"}, timeout=5)
        assert refused.status_code == 401
        assert refused.json()["name"] == "werkzeug.exceptions.Unauthorized"
        assert refused.json()["message"] == "Invalid apikey"
        ok = post("/json/2/account.move/search", {"domain": [], "limit": 2})
        assert ok.status_code == 200 and ok.json() == [1, 2]
