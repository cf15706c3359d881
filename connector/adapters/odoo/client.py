"""XML-RPC over connector.http: request bodies, answers, and faults turned into our errors; and
the choice of transport: Odoo 19+ (`server_version_info` from `common.version()`) is spoken to
over JSON-2 (json2.py), with the same calls and errors, XML-RPC staying for 16-18.

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
from connector.adapters.odoo.json2 import OdooJson2
from connector.errors import PermanentError, TransientError
from connector.http import HttpClient
from connector.secrets import redact


def fault_code(error: BaseException) -> object:
    """The XML-RPC fault code an error came from, or None (HTTP or network errors)."""
    return getattr(error, "fault_code", None)


def _fault_error(cls: type[Exception], message: str, code: object) -> Exception:
    error = cls(redact(message))
    error.fault_code = code  # type: ignore[attr-defined]  # read by fault_code()
    return error


JSON2_SINCE = 19


class OdooRpc:
    """Odoo calls over HttpClient (XML-RPC, or JSON-2 once `version()` says 19+), with faults
    turned into our errors."""

    def __init__(self, http: HttpClient, database: str, username: str) -> None:
        self.http, self.database, self.username = http, database, username
        self.json2: OdooJson2 | None = None

    def __repr__(self) -> str:  # never show the key
        return f"OdooRpc({self.http.base_url!r}, db={self.database!r}, user={self.username!r})"

    @property
    def transport(self) -> str:
        return "JSON-2" if self.json2 is not None else "XML-RPC"

    def call(self, service: str, method: str, params: tuple[Any, ...], *,
             idempotent: bool = True, what: str = "") -> Any:
        if service == "common" and method == "version":
            info = self._call(service, method, params, idempotent=idempotent, what=what)
            self._choose(info)
            return info
        if self.json2 is not None:
            return self.json2.call(service, method, params, idempotent=idempotent, what=what)
        return self._call(service, method, params, idempotent=idempotent, what=what)

    def _choose(self, info: Any) -> None:
        """JSON-2 from Odoo 19 on (its XML-RPC is deprecated, removed in 22)."""
        version = info.get("server_version_info") if isinstance(info, dict) else None
        try:
            major = om.parse_serie(str(version[0])) if version else 0
        except PermanentError:
            major = 0
        if major >= JSON2_SINCE and self.json2 is None:
            self.json2 = OdooJson2(self.http, self.database, self.username, self.fault_error)

    def _call(self, service: str, method: str, params: tuple[Any, ...], *,
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
        return self.fault_error(fault.faultCode, fault.faultString, what)

    def fault_error(self, code: object, text: str, what: str) -> Exception:
        """Our error for an Odoo fault (XML-RPC code, or the code a JSON-2 error stands for)."""
        detail = om.fault_detail(code, text)
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
