"""XML-RPC over connector.http: request bodies, answers, and faults turned into our errors.

Why not `xmlrpc.client.ServerProxy`: its transport silently resends a request when a kept-alive
connection is reset (CPython's `Transport.request`), which can duplicate a `message_post` whose
answer was lost. Here every request goes through `HttpClient`, the one retry layer, which resends
only idempotent calls.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from connector.adapters.odoo import mapping as om
from connector.errors import TransientError
from connector.http import HttpClient
from connector.secrets import redact


def fault_code(error: BaseException) -> object:
    """The XML-RPC fault code an error came from, or None (HTTP or network errors)."""
    return getattr(error, "fault_code", None)


def _fault_error(cls: type[Exception], message: str, code: object) -> Exception:
    error = cls(redact(message))
    error.fault_code = code  # type: ignore[attr-defined]  # read by fault_code()
    return error


class OdooRpc:
    """XML-RPC calls over HttpClient, with faults turned into our errors."""

    def __init__(self, http: HttpClient, database: str, username: str) -> None:
        self.http, self.database, self.username = http, database, username

    def __repr__(self) -> str:  # never show the key
        return f"OdooRpc({self.http.base_url!r}, db={self.database!r}, user={self.username!r})"

    def call(self, service: str, method: str, params: tuple[Any, ...], *,
             idempotent: bool = True, what: str = "") -> Any:
        body = xmlrpc.client.dumps(params, method, allow_none=False).encode("utf-8")
        response = self.http.request("POST", f"/xmlrpc/2/{service}", data=body,
                                     headers={"Content-Type": "text/xml"}, idempotent=idempotent)
        try:
            (result,), _ = xmlrpc.client.loads(response.content, use_builtin_types=False)
        except xmlrpc.client.Fault as fault:
            raise self._from_fault(fault, what or method) from None
        except (ExpatError, xmlrpc.client.ResponseError, ValueError) as exc:
            # A proxy error page served with 200, or a body cut short: the server may be fine
            # next time. Not retried here (parsing happens after the transport's retries).
            raise TransientError(f"Odoo at {self.http.base_url} answered {method} with a body "
                                 f"that is not XML-RPC ({type(exc).__name__})") from None
        return result

    def _from_fault(self, fault: xmlrpc.client.Fault, what: str) -> Exception:
        code, detail = fault.faultCode, om.fault_detail(fault.faultCode, fault.faultString)
        cls = om.classify_fault(code)
        if code == 3:
            message = (f"Odoo refused the API key for user {self.username} on database "
                       f"{self.database} at {self.http.base_url}; check the login and database, or "
                       "create a new key in Odoo: Preferences → Account Security → New API Key")
        elif code == 4:
            message = (f"the Odoo user {self.username} lacks a right for {what}: {detail} "
                       "(give it access in Odoo: Settings → Users → Access Rights)")
        else:
            message = f"Odoo could not run {what}: {detail}"
        return _fault_error(cls, message, code)


def describe_http(response: Any) -> str:
    text = (response.text or "").strip().replace("\n", " ")[:200]
    if response.status_code == 404:
        return f"{text} (is the URL the root of an Odoo server, without /odoo or /web?)"
    return text or response.reason or ""
