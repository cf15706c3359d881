"""The JSON-2 endpoint of the fake Odoo (19+): `POST /json/2/<model>/<method>`, shaped as Odoo 19
documents it (developer/reference/external_api.rst) and as addons/rpc/controllers/json2.py does:

- `Authorization: bearer <api key>` (else 401 "Invalid apikey"), `X-Odoo-Database` optional
  but, when given, the database must exist (404);
- a JSON object body: `ids` (refused with 422 for an `@api.model` method), `context`, and the
  method's parameters by name (an unknown one: 422, as `signature.bind` fails);
- an unknown model or method: 404; a private method: 403 AccessError;
- records returned as their ids (`create`, `message_post` answer a list);
- errors as {name, message, arguments, context, debug} with the exception's HTTP code:
  UserError family 422 (MissingError 404), AccessError 403, AccessDenied 401, others 500.
The books are the same `OdooData` the XML-RPC endpoint serves.
"""

from __future__ import annotations

import json
import xmlrpc.client
from typing import TYPE_CHECKING, Any

from tests.fakes.odoo_data import SCHEMA

if TYPE_CHECKING:
    from tests.fakes.odoo_server import FakeOdooServer

MODEL_METHODS = frozenset({"search", "search_read", "search_count", "create",
                           "check_access_rights", "fields_get", "read_group",
                           "formatted_read_group"})  # @api.model: no ids
RETURNS_RECORDS = frozenset({"create", "message_post"})
RENAMED = {("create", "vals_list"): "values"}  # the fake's handler names its parameter so


def error(status: int, name: str, message: str) -> tuple[int, Any]:
    return status, {"name": name, "message": message, "arguments": [message, status],
                    "context": {}, "debug": f"Traceback (most recent call last):\n{name}: "
                                            f"{message}\n"}


def from_fault(fault: xmlrpc.client.Fault) -> tuple[int, Any]:
    """The JSON-2 answer to what the XML-RPC endpoint would have sent as a fault."""
    text = str(fault.faultString)
    if fault.faultCode == 2:
        missing = "does not exist" in text
        return error(404 if missing else 422, "odoo.exceptions." + (
            "MissingError" if missing else "UserError"), text)
    if fault.faultCode == 3:
        return error(401, "odoo.exceptions.AccessDenied", text)
    if fault.faultCode == 4:
        return error(403, "odoo.exceptions.AccessError", text)
    if "AttributeError" in text and "does not exist" in text:
        return error(404, "werkzeug.exceptions.NotFound", text.split(": ", 1)[-1])
    kind, _, message = text.partition(": ")
    return error(500, f"builtins.{kind}" if message else "builtins.Exception", message or text)


def call_name(path: str, body: bytes) -> str:
    """The name fault scripts use for a request: its method, and "authenticate" for the login
    (relance's JSON-2 login is res.users/search on the login), so that a script means the same
    call on both transports."""
    method = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if "/res.users/search" in path and b'"login"' in body:
        return "authenticate"
    return method


def dispatch(fake: FakeOdooServer, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
    from tests.fakes.odoo_server import DATABASE
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) != 4:
        return error(404, "werkzeug.exceptions.NotFound",
                     "Did you mean POST /json/2/<model>/<method>?")
    model, method = parts[2], parts[3]
    with fake.lock:
        fake.calls.append(("json2", model, method))
        fake.transports.append("json2")
    scheme, _, key = str(headers.get("Authorization") or "").partition(" ")
    database = headers.get("X-Odoo-Database")
    if database is not None and database != DATABASE:
        return error(404, "werkzeug.exceptions.NotFound", f"database {database!r} not found")
    if scheme.lower() != "bearer" or key != fake.key:
        return error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey")
    if "json" not in str(headers.get("Content-Type") or ""):
        return error(400, "werkzeug.exceptions.BadRequest", "expecting a json object")
    try:
        params = json.loads(body or b"{}")
    except ValueError as exc:
        return error(400, "werkzeug.exceptions.BadRequest",
                     f"could not parse the body as json: {exc}")
    if not isinstance(params, dict):
        return error(400, "werkzeug.exceptions.BadRequest",
                     "could not parse the body, expecting a json object")
    if model not in SCHEMA:
        return error(404, "werkzeug.exceptions.NotFound", f"the model {model!r} does not exist")
    ids = params.pop("ids", [])
    context = params.pop("context", {})
    if method in MODEL_METHODS and ids:
        return error(422, "werkzeug.exceptions.UnprocessableEntity",
                     f"cannot call {model}.{method} with ids")
    kwargs = {RENAMED.get((method, k), k): v for k, v in params.items()}
    args = [] if method in MODEL_METHODS else [list(ids)]
    with fake.lock:
        try:
            result = fake.data.call(model, method, args, {**kwargs, "context": context})
        except xmlrpc.client.Fault as fault:
            return from_fault(fault)
        except TypeError as exc:  # a parameter the method does not take
            return error(422, "werkzeug.exceptions.UnprocessableEntity", str(exc))
    if method in RETURNS_RECORDS and not isinstance(result, list):
        result = [result] if result else []
    return 200, result
