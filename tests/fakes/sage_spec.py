"""Checks requests and responses of the fake Sage server against the saved Accounts API description.

The description (../shared/specs/sage/openapi3.json, see SOURCE.md there) documents list endpoints
as bare arrays while the API answers with an envelope (`$items`, `$next`, ...): items are
validated one by one against the item schema. `/businesses` belongs to Sage's Core API and is
not in this description; it is checked against the small schema below, written from Sage's guide.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from werkzeug.datastructures import Headers, ImmutableMultiDict

# The description is shared reference data kept beside the repository (../shared), not in it.
FULL_SPEC = Path(os.environ.get("RELANCE_SAGE_SPEC") or Path(__file__).resolve().parents[3]
                 / "shared" / "specs" / "sage" / "openapi3.json")
SUBSET = Path(__file__).resolve().parent / "specs" / "sage-subset.json"
# The whole description where ../shared is beside the clone (CI); else relance's own subset of it
# (tests/fakes/specs/make_subsets.py), so a plain clone still validates every exchange.
SPEC_PATH = FULL_SPEC if FULL_SPEC.exists() else SUBSET
SPEC_HOST = "https://api.accounting.sage.com"
BASE_PATH = "/v3.1"
ENVELOPE_KEYS = {"$total", "$page", "$next", "$back", "$itemsPerPage", "$items"}
BUSINESS_SCHEMA = {"type": "object", "required": ["id", "name"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "displayed_as": {"type": "string"},
    "$path": {"type": "string"}}}


@functools.lru_cache(maxsize=1)
def load_spec() -> tuple[dict[str, Any], OpenAPI]:
    """The description as a dict and as an openapi-core object (about 3 s: once per session)."""
    with open(SPEC_PATH, encoding="utf-8") as handle:
        spec = json.load(handle)
    return spec, OpenAPI.from_dict(spec)


class _Request:
    """The openapi-core request protocol over what the fake server received."""

    def __init__(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: bytes | None) -> None:
        self.host_url, self.path, self.method = SPEC_HOST, path, method.lower()
        self.body = body or None
        self.content_type = headers.get("Content-Type", "application/json").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(urllib.parse.parse_qsl(query, keep_blank_values=True)),
            header=Headers(list(headers.items())), cookie={}, path={})


class SpecChecker:
    """Collects every way a request or response differs from the description."""

    def __init__(self) -> None:
        self.spec, self.openapi = load_spec()
        self.violations: list[str] = []
        self._templates = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"),
                            p) for p in self.spec["paths"]]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(template, operation) for a path below /v3.1, or None when the spec lacks it."""
        short = path[len(BASE_PATH):] if path.startswith(BASE_PATH) else path
        for pattern, template in self._templates:
            if pattern.match(short):
                op = self.spec["paths"][template].get(method.lower())
                if op:
                    return template, op
        return None

    def check_request(self, method: str, path: str, query: str, headers: dict[str, str],
                      body: bytes | None) -> None:
        found = self.operation(method, path)
        if found is None:
            self.violations.append(f"{method} {path}: no such operation in the spec")
            return
        template, op = found
        declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        for name, _ in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if name not in declared:
                self.violations.append(f"{method} {template}: query parameter {name!r} is not "
                                       "in the spec")
        try:
            self.openapi.validate_request(_Request(method, path, query, headers, body))
        except Exception as exc:  # openapi-core raises a family of validation errors
            detail = "; ".join(str(e) for e in getattr(exc, "schema_errors", []) or [exc])
            self.violations.append(f"{method} {template} request: {detail}"[:600])

    def check_response(self, method: str, path: str, status: int, body: Any,
                       query: dict[str, list[str]] | None = None) -> None:
        if status >= 300 or body is None:
            return
        if path.rstrip("/") == f"{BASE_PATH}/businesses":
            for item in body if isinstance(body, list) else [body]:
                self._validate(BUSINESS_SCHEMA, item, f"{method} {path}")
            return
        found = self.operation(method, path)
        if found is None:
            return
        template, op = found
        response = op.get("responses", {}).get(str(status))
        if response is None:
            self.violations.append(f"{method} {template}: status {status} is not in the spec")
            return
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            return
        where = f"{method} {template} {status}"
        if schema.get("type") == "array":
            if not isinstance(body, dict) or not ENVELOPE_KEYS <= set(body):
                self.violations.append(f"{where}: not a list envelope")
                return
            for item in body["$items"]:
                self._validate(schema["items"], item, where)
        else:
            self._validate(schema, body, where)

    def check_attributes(self, template: str, method: str, attributes: str | None) -> None:
        """Every name in `attributes=` must be a property of the item schema."""
        if not attributes or attributes == "all":
            return
        found = self.operation(method, BASE_PATH + template)
        if found is None:
            return
        properties = self.item_properties(found[1])
        for name in attributes.split(","):
            if name.strip() not in properties:
                self.violations.append(f"{method} {template}: attribute {name!r} is not a "
                                       "property of the item schema")

    def item_properties(self, op: dict[str, Any]) -> set[str]:
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        schema = schema.get("items", schema)
        name = schema["$ref"].rsplit("/", 1)[-1]
        return set(self.spec["components"]["schemas"][name].get("properties", {}))

    def _validate(self, schema: dict[str, Any], value: Any, where: str) -> None:
        validator = _validator(json.dumps(schema, sort_keys=True))
        for error in validator.iter_errors(value):
            location = "/".join(str(p) for p in error.absolute_path)
            self.violations.append(f"{where} at {location or 'body'}: {error.message}"[:600])


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> OAS30Validator:
    spec, _ = load_spec()
    root = {**json.loads(schema_json), "components": spec["components"]}
    return OAS30Validator(root, format_checker=oas30_format_checker)
