"""JSON-2 (Odoo 19+): `POST /json/2/<model>/<method>`, the API key as a bearer token, named
parameters, the same calls and answers as the XML-RPC client gives the streams.

Vendor docs: https://www.odoo.com/documentation/19.0/developer/reference/external_api.html
- Headers: `Authorization: bearer <api key>`, `X-Odoo-Database` (needed when one server hosts
  several databases), `Content-Type: application/json`.
- Body: `ids` for methods on records (never for `@api.model` ones: 422 "cannot call … with
  ids"), `context`, and each parameter by name (positional arguments do not exist here).
- A method that returns records answers their ids (`create`, `message_post`: a list), where
  XML-RPC answered one id: `execute` gives the streams the XML-RPC shape.
- Errors: a 4xx/5xx status and a JSON object {name, message, arguments, context, debug} (`name`
  is the Python exception, e.g. "odoo.exceptions.AccessError"; some builds send the message
  alone, as a JSON string). They become the XML-RPC fault codes the rest of the adapter reads
  (client.FAULT_NAMES), so both transports fail the same way.
- Each call is its own transaction, like XML-RPC: nothing changes in what may be retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from connector.errors import TransientError
from connector.http import HttpClient

# The positional parameters of the methods the adapter calls, by name, as Odoo declares them
# (odoo/models.py, mail_thread.py, mail_activity.py). "ids" is the records a method runs on.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "read": ("ids", "fields", "load"),
    "formatted_read_group": ("domain", "groupby", "aggregates", "having", "offset", "limit",
                             "order"),
    "create": ("vals_list",),
    "write": ("ids", "vals"),
    "unlink": ("ids",),
    "message_post": ("ids",),
    "action_feedback": ("ids", "feedback", "attachment_ids"),
    "has_access": ("ids", "operation"),
    "check_access_rights": ("operation", "raise_exception"),
    "fields_get": ("allfields", "attributes"),
    "address_get": ("ids", "adr_pref"),
}
ONE_RECORD = frozenset({"message_post"})  # XML-RPC answers one id (@api.returns), JSON-2 a list
ERROR_STATUSES = (400, 401, 403, 404, 422, 500)
Raise = Callable[[int, str, str], Exception]
"""(XML-RPC fault code, detail, what) → the error to raise (client.fault_error)."""


def named(method: str, args: list[Any], kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The JSON body for an `execute_kw` call, and whether XML-RPC would have answered a single
    id (a `create` of one dict)."""
    names = PARAMETERS.get(method, ("ids",))
    if len(args) > len(names):
        raise ValueError(f"{method}: {len(args)} positional arguments, JSON-2 names {names}")
    body = dict(kwargs)
    single = False
    for name, value in zip(names, args, strict=False):
        if name == "vals_list" and isinstance(value, dict):
            value, single = [value], True
        body[name] = value
    return body, single or method in ONE_RECORD


def unwrap(result: Any, single: bool) -> Any:
    if single and isinstance(result, list):
        return result[0] if result else False
    return result


class OdooJson2:
    """The JSON-2 half of OdooRpc: `object.execute_kw` and `common.authenticate`."""

    def __init__(self, http: HttpClient, database: str, username: str, fail: Raise) -> None:
        self.http, self.database, self.username, self.fail = http, database, username, fail

    def __repr__(self) -> str:  # never show the key
        return f"OdooJson2({self.http.base_url!r}, db={self.database!r})"

    def call(self, service: str, method: str, params: tuple[Any, ...], *,
             idempotent: bool = True, what: str = "") -> Any:
        if service == "common" and method == "authenticate":
            return self.authenticate(str(params[1]), str(params[2]))
        if service != "object" or method != "execute_kw":
            raise ValueError(f"JSON-2 has no {service}.{method}")
        key, model, name = str(params[2]), str(params[3]), str(params[4])
        args = list(params[5]) if len(params) > 5 else []
        kwargs = dict(params[6]) if len(params) > 6 else {}
        body, single = named(name, args, kwargs)
        return unwrap(self.post(key, model, name, body, idempotent=idempotent,
                                what=what or f"{model}.{name}"), single)

    def authenticate(self, login: str, key: str) -> int | bool:
        """The uid of `login`, with its key as the bearer token; False when the key is refused
        (or is another user's), as XML-RPC's `authenticate` answers."""
        try:
            found = self.post(key, "res.users", "search",
                              {"domain": [["login", "=", login]], "limit": 1}, what="login")
        except Exception as exc:
            if getattr(exc, "fault_code", None) == 3:
                return False
            raise
        return int(found[0]) if found else False

    def post(self, key: str, model: str, method: str, body: dict[str, Any], *,
             idempotent: bool = True, what: str = "") -> Any:
        headers = {"Authorization": f"bearer {key}", "X-Odoo-Database": self.database}
        response = self.http.request("POST", f"/json/2/{model}/{method}", json=body,
                                     headers=headers, idempotent=idempotent,
                                     allow=ERROR_STATUSES)
        if response.status_code >= 400:
            raise self._error(response, what or f"{model}.{method}")
        try:
            return response.json()
        except (ValueError, requests.exceptions.JSONDecodeError):
            # A proxy page served with 200, or a body cut short (DESIGN: not retried here).
            raise TransientError(f"Odoo at {self.http.base_url} answered {model}.{method} with "
                                 "a body that is not JSON") from None

    def _error(self, response: requests.Response, what: str) -> Exception:
        try:
            body = response.json()
        except ValueError:
            body = None
        if body is None and response.status_code == 500:  # not Odoo's own answer: a proxy
            return TransientError(f"Odoo at {self.http.base_url} answered {what} with HTTP 500")
        name, message = "", ""
        if isinstance(body, dict):
            name, message = str(body.get("name") or ""), str(body.get("message") or "")
        elif isinstance(body, str):
            message = body
        return self.fail(fault_code_of(response.status_code, name, message),
                         message or response.reason or str(response.status_code), what)


def fault_code_of(status: int, name: str, message: str) -> int:
    """The XML-RPC fault code a JSON-2 error stands for (mapping.FAULT_TABLE then decides)."""
    short = name.rsplit(".", 1)[-1]
    if short == "AccessDenied" or status == 401:
        return 3
    if short == "AccessError" or status == 403:
        return 4
    if short in ("UserError", "ValidationError", "MissingError", "RedirectWarning") \
            or status == 422 and not short:
        return 2
    return 1

