"""Pennylane's OpenAPI document, loaded once, and the checks the fake runs on every exchange.

openapi-core validates parameters, bodies and responses; it ignores query parameters the operation
does not declare, so `check_request` also refuses those (a typo such as `page=` must not pass).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "/api/external/v2"
SPEC_HOST = "https://app.pennylane.com"  # the spec's server; the fake's own host differs
SHARED = Path(os.environ.get("RELANCE_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
FULL_SPEC = SHARED / "specs" / "pennylane" / "openapi.json"
SUBSET = Path(__file__).resolve().parent / "specs" / "pennylane-subset.json"
# The vendor's whole description where ../shared is beside the clone (CI); else relance's own
# subset of it (tests/fakes/specs/make_subsets.py), so a plain clone still validates every exchange.
SPEC_PATH = FULL_SPEC if FULL_SPEC.exists() else SUBSET


@functools.lru_cache(maxsize=1)
def load_spec() -> tuple[Any, dict[str, Any]]:
    """(openapi_core.OpenAPI, raw dict). About 5 s: load it once per test session.

    `json.load` + `from_dict`: the YAML-based file loader rejects the file's unicode escapes."""
    from openapi_core import OpenAPI

    with SPEC_PATH.open(encoding="utf-8") as handle:
        raw = json.load(handle)
    return OpenAPI.from_dict(raw), raw


def _request(method: str, full_path: str, query: Mapping[str, str], headers: Mapping[str, str],
             body: bytes) -> Any:
    from openapi_core.testing import MockRequest

    return MockRequest(SPEC_HOST, method, full_path, args=dict(query), headers=dict(headers),
                       data=body, content_type=headers.get("Content-Type") or "")


def check_request(method: str, full_path: str, query: Mapping[str, str],
                  headers: Mapping[str, str], body: bytes) -> str | None:
    """None when the request is what the spec allows, else a description of what is wrong."""
    api, _ = load_spec()
    try:
        api.validate_request(_request(method, full_path, query, headers, body))
    except Exception as exc:  # noqa: BLE001 - every validation error is a violation
        return f"{method} {full_path}: request: {_explain(exc)}"
    unknown = sorted(set(query) - declared_params(method, full_path))
    if unknown:
        return f"{method} {full_path}: undeclared query parameter(s) {unknown}"
    return None


def check_response(method: str, full_path: str, query: Mapping[str, str],
                   headers: Mapping[str, str], body: bytes, status: int,
                   raw: bytes) -> str | None:
    from openapi_core.testing import MockResponse

    api, _ = load_spec()
    try:
        api.validate_response(_request(method, full_path, query, headers, body),
                              MockResponse(raw, status_code=status))
    except Exception as exc:  # noqa: BLE001
        return f"{method} {full_path}: response {status}: {_explain(exc)}"
    return None


def _explain(exc: BaseException) -> str:
    """The schema errors themselves (where in the object, what is wrong), not the whole value."""
    found = []
    for candidate in (exc, exc.__cause__):
        for error in getattr(candidate, "schema_errors", None) or ():
            where = "/".join(map(str, getattr(error, "absolute_path", ()))) or "(root)"
            found.append(f"{where}: {getattr(error, 'message', error)}"[:300])
    detail = "; ".join(found[:5]) if found else str(exc.__cause__ or exc)[:500]
    return f"{str(exc)[:120]} -- {detail}"


@functools.lru_cache(maxsize=256)
def declared_params(method: str, full_path: str) -> frozenset[str]:
    """Query parameter names the spec declares for one operation."""
    _, raw = load_spec()
    for pattern, item in raw["paths"].items():
        regex = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in pattern.split("/"))
        if re.fullmatch(regex, full_path) and method.lower() in item:
            params = item[method.lower()].get("parameters", []) + item.get("parameters", [])
            return frozenset(p["name"] for p in params if p.get("in") == "query")
    return frozenset()
