"""Pennylane transport: the company token, the shared rate budget, scope errors, paged lists.

Rate limits: https://pennylane.readme.io/docs/rate-limiting-1 (25 requests per 5 s per token,
2026-02); every answer carries ratelimit-limit/-remaining/-reset (a Unix time), which
RateBudget.observe reads. Scopes: https://pennylane.readme.io/docs/v2-scopes
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from connector.adapters.rest import CursorPaginator, error_describer, json_body
from connector.budget import BudgetFactory, shared_budget
from connector.errors import AuthError
from connector.http import HttpClient

DEFAULT_BASE_URL = "https://app.pennylane.com/api/external/v2"
PAGE_LIMIT = 100  # the list maximum; Pennylane's default is only 20
RATE_LIMIT, RATE_PERIOD = 25, 5.0
READ_SCOPES = {"customer_invoices": "customer_invoices:readonly", "customers": "customers:readonly"}


def _error_text(body: Any) -> str | None:
    """Pennylane errors are {"error", "status"} or {"message", ...} (spec: 400 anyOf)."""
    if isinstance(body, dict) and isinstance(body.get("error") or body.get("message"), str):
        return str(body.get("error") or body.get("message"))
    return None  # another shape (a 500's body, a proxy's JSON): the kit renders it readably


describe_error = error_describer(_error_text)


class PennylaneClient:
    """One company token against one base URL."""

    def __init__(self, base_url: str, token: str, sleep: Callable[[float], None],
                 budgets: BudgetFactory = shared_budget) -> None:
        self.base_url = base_url
        # The budget is keyed on a fingerprint: the token itself must never be a dict key that
        # could end up in a repr or a log.
        fingerprint = hashlib.sha256(token.encode()).hexdigest()[:16]
        self.http = HttpClient(
            base_url, headers={"Accept": "application/json"},
            auth=lambda: {"Authorization": f"Bearer {token}"},
            budget=budgets(fingerprint, urlsplit(base_url).netloc, RATE_LIMIT, RATE_PERIOD),
            sleep=sleep, describe_error=describe_error)

    def close(self) -> None:
        self.http.session.close()

    def call(self, method: str, path: str, scope: str, *, allow: tuple[int, ...] = (),
             **kwargs: Any) -> requests.Response:
        """One request; a 401/403 becomes an AuthError naming the token or the missing scope."""
        response = self.http.request(method, path, allow=(401, 403, *allow), **kwargs)
        if response.status_code == 401:
            raise AuthError(
                f"Pennylane refused the company API token at {self.base_url} (401): "
                "generate a new company API token in the company's Pennylane settings and store "
                "it with `relance secret set source` (or the variable named by secret_env)")
        if response.status_code == 403:
            raise AuthError(
                f"the Pennylane token lacks the scope {scope!r} needed for {method} {path} (403): "
                f"{describe_error(response)}")
        return response

    def get_json(self, path: str, scope: str, params: dict[str, Any] | None = None) -> Any:
        return json_body(self.call("GET", path, scope, params=params), "Pennylane")

    def list(self, path: str, scope: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Every page, sending the same filter and sort with every cursor (the cursor does not
        carry them); rest.CursorPaginator refuses a repeated or missing cursor."""
        walk = CursorPaginator("Pennylane", f"GET {path}")
        return walk.pages(lambda extra: self.get_json(path, scope, {**params, **extra}))


def granted(scope: str, scopes: set[str]) -> bool:
    """`x:readonly` is also given by `x:all`."""
    resource, _, level = scope.partition(":")
    return scope in scopes or (level == "readonly" and f"{resource}:all" in scopes)
