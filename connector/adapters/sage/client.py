"""Sage transport: the rotating bearer, X-Business on every call, the per-business budget, the
`$next` paginator and Sage's error arrays.

Docs: https://developer.sage.com/accounting/guides/concepts/multi_business/ (X-Business),
.../concepts/pagination/ ($next), .../concepts/response_codes/ (error arrays).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from connector.adapters.oauth import TokenManager
from connector.adapters.rest import NextLinkPaginator, error_describer, json_body
from connector.budget import BudgetFactory, shared_budget
from connector.http import HttpClient, json_detail

PAGE_SIZE = 200  # the spec's maximum for items_per_page


def _error_text(data: Any) -> str | None:
    """Sage errors are a JSON array of {$severity, $dataCode, $message, $source}: one sentence."""
    if isinstance(data, dict):
        data = data.get("errors") or [data]
    if not isinstance(data, list):
        return None
    parts = []
    for item in data[:3]:
        if not isinstance(item, dict):
            continue
        if not (item.get("$message") or item.get("$dataCode")):  # not Sage's own shape
            parts.append(json_detail(item))
            continue
        code, message = item.get("$dataCode") or "error", item.get("$message") or ""
        source = item.get("$source") or item.get("$dataPath")
        parts.append(f"{code}: {message}" + (f" ({source})" if source else ""))
    text = "; ".join(p for p in parts if p)
    codes = " ".join(str(item.get("$dataCode")) for item in data if isinstance(item, dict))
    if "MultiUserAccessDenied" in codes:
        text += " — the Sage user lacks the role for this area (Sales: Read Only or above)"
    elif "No active subscription" in text:
        text += " — the Sage subscription of this business has ended"
    return text or None


describe_error = error_describer(_error_text)


class SageClient:
    """One business of one Sage user, through the tenant's rotating token pair."""

    def __init__(self, base_url: str, business_id: str, requests_per_minute: int,
                 tokens: TokenManager, sleep: Callable[[float], None],
                 budgets: BudgetFactory = shared_budget) -> None:
        self.tokens = tokens
        host = urllib.parse.urlsplit(base_url).netloc
        # Sage counts per business, whoever asks: one budget per business id and host.
        budget = budgets(f"sage-business:{business_id}", host, requests_per_minute, 60.0)
        # Multi-business users: without X-Business a call goes to the "lead" business, which can
        # change; always name it.
        self.http = HttpClient(base_url, auth=tokens.auth_header, budget=budget,
                               headers={"X-Business": business_id, "Accept": "application/json"},
                               sleep=sleep, describe_error=describe_error)

    def close(self) -> None:
        self.http.session.close()
        self.tokens.close()

    def call(self, method: str, path: str, *, allow: tuple[int, ...] = (), **kwargs: Any) -> Any:
        """The decoded body (amounts as exact Decimals), or None for an allowed status."""
        response = self.http.request(method, path, allow=(*allow, 401), **kwargs)
        if response.status_code == 401 and 401 not in allow:
            # An access token can die before its 5 minutes (revoked, or the clocks disagree):
            # refresh once and try again; a second 401 is a real refusal (e.g. no subscription).
            self.tokens.ensure_fresh(force=True)
            response = self.http.request(method, path, allow=allow, **kwargs)
        if response.status_code < 400:
            self.tokens.confirm()  # the new pair works: the previous one may go
        if response.status_code in allow:
            return None
        return json_body(response, "Sage", parse_float=Decimal) if response.content else None

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, following `$next` (rest.NextLinkPaginator: a `$next`
        that repeats, points back or a body without `$items` raises instead of looping)."""
        query = {**params, "items_per_page": PAGE_SIZE, "page": 1}
        walk = NextLinkPaginator("Sage", f"GET {path}")
        return walk.pages(lambda extra: self.call("GET", path, params={**query, **extra}))

    def ids(self, path: str, params: dict[str, Any]) -> list[str]:
        return [str(item["id"]) for items in self.pages(path, params) for item in items
                if item.get("id")]
