"""Write the schema subsets the fakes validate against when ../shared is not beside the clone.

    python tests/fakes/specs/make_subsets.py [SHARED_DIR]

A subset keeps, from the vendor's full description, only what relance touches: the operations
listed below (those its adapter calls), the components they reach, and of each object schema only
the properties whose names appear as strings in the adapter's code (what relance reads or
writes). `additionalProperties: false` is dropped, since the fakes answer with more fields than
relance reads. CI runs with the full descriptions; a plain clone runs with these.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
VENDORS = {  # name: (description inside shared/specs, path prefix, code globs)
    "pennylane": ("pennylane/openapi.json", "/api/external/v2",
                  ("connector/adapters/pennylane*.py", "connector/adapters/pennylane/*.py")),
    "sage": ("sage/openapi3.json", "",
             ("connector/adapters/sage*.py", "connector/adapters/sage/*.py")),
}
OPERATIONS = {  # the paths relance calls (every method the description gives them)
    "pennylane": ("/me", "/customers", "/customer_invoices",
                  "/customer_invoices/{customer_invoice_id}/appendices",
                  "/changelogs/customers", "/changelogs/customer_invoices"),
    "sage": ("/contacts", "/contacts/{key}", "/contact_persons", "/sales_invoices",
             "/sales_invoices/{key}", "/sales_credit_notes", "/sales_credit_notes/{key}",
             "/contact_payments", "/contact_allocations", "/attachments",
             "/attachment_context_types"),
}


def literals(globs: tuple[str, ...]) -> set[str]:
    """Every string constant (f-string parts included) in the adapter's modules."""
    found: set[str] = set()
    for pattern in globs:
        for path in ROOT.glob(pattern):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
                    found.update(part.strip() for part in node.value.split(","))  # attribute lists
    return found


def refs(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.add(node["$ref"])
        for value in node.values():
            out |= refs(value)
    elif isinstance(node, list):
        for value in node:
            out |= refs(value)
    return out


def resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


PROSE = {"example", "examples", "x-readme", "externalDocs"}  # a response needs its description


def prune(node: Any, names: set[str]) -> Any:
    """Object properties limited to `names`; `required` follows; closed objects opened."""
    if isinstance(node, list):
        return [prune(v, names) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: prune(v, names) for k, v in node.items()
           if not (k == "additionalProperties" and v is False) and k not in PROSE}
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: prune(v, names) for k, v in node["properties"].items()
                             if k in names}
        if "required" in node:
            out["required"] = [k for k in node["required"] if k in out["properties"]]
            if not out["required"]:
                del out["required"]
    return out


def subset(spec: dict[str, Any], prefix: str, operations: tuple[str, ...],
           names: set[str]) -> dict[str, Any]:
    paths = {p: item for p, item in spec["paths"].items() if p.removeprefix(prefix) in operations}
    wanted, todo = set(), refs(paths)
    while todo:
        ref = todo.pop()
        if ref in wanted:
            continue
        wanted.add(ref)
        todo |= refs(resolve(spec, ref)) - wanted
    components: dict[str, dict[str, Any]] = {}
    for ref in sorted(wanted):
        _, section, name = ref.split("/", 2)[0], *ref.removeprefix("#/components/").split("/", 1)
        components.setdefault(section, {})[name] = resolve(spec, ref)
    for section in ("securitySchemes",):
        if section in spec.get("components", {}):
            components[section] = spec["components"][section]
    out = {key: spec[key] for key in ("openapi", "info", "servers", "security") if key in spec}
    out["info"] = {**out.get("info", {}), "description":
                   "Subset written by relance (tests/fakes/specs/make_subsets.py) of the vendor's "
                   "description: only the operations and fields relance reads or writes."}
    out["paths"] = prune(paths, names | {"$items", "$next", "$back", "$total", "$page"})
    out["components"] = {s: (prune(v, names | {"$items", "$next"}) if s == "schemas" else v)
                         for s, v in components.items()}
    return out


def main(shared: Path) -> None:
    for vendor, (relative, prefix, globs) in VENDORS.items():
        spec = json.loads((shared / "specs" / relative).read_text(encoding="utf-8"))
        names = literals(globs) | literals((f"tests/fakes/{vendor}_server.py",))
        result = subset(spec, prefix, OPERATIONS[vendor], names)
        target = HERE / f"{vendor}-subset.json"
        target.write_text(json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        print(f"{target.relative_to(ROOT)}: {len(result['paths'])} paths, "
              f"{sum(len(v) for v in result['components'].values())} components, "
              f"{target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared")
