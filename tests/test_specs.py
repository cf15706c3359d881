"""Which vendor descriptions the fakes validate against: the whole ones in CI, a subset alone."""

from __future__ import annotations

import json
import os

import pytest

from tests.fakes import pennylane_spec, sage_spec


@pytest.mark.parametrize("module", [pennylane_spec, sage_spec], ids=["pennylane", "sage"])
def test_ci_validates_against_the_whole_description(module: object) -> None:
    full = module.FULL_SPEC  # type: ignore[attr-defined]
    if not full.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must validate against the vendor's whole description: {full}")
        pytest.skip(f"{full} is not beside this clone: the fakes validate against "
                    f"{module.SUBSET.name} (a subset written by relance)")  # type: ignore[attr-defined]
    assert module.SPEC_PATH == full  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", [pennylane_spec, sage_spec], ids=["pennylane", "sage"])
def test_the_subset_keeps_every_field_it_keeps_typed(module: object) -> None:
    """The subset is a valid description whose kept object properties all carry a type or a
    reference, so a plain clone still catches a wrong type in what relance reads or writes."""
    subset = json.loads(module.SUBSET.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert subset["openapi"].startswith("3.") and subset["paths"]
    untyped: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if isinstance(prop, dict) and not ({"type", "$ref", "allOf", "oneOf", "anyOf",
                                                    "enum"} & prop.keys()):
                    untyped.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(subset, "$")
    assert not untyped, untyped[:10]


def test_the_committed_subsets_match_the_adapters_of_today() -> None:
    """An adapter that reads a new field must regenerate the subsets (make_subsets.py), or a plain
    clone would stop validating it."""
    from tests.fakes.specs import make_subsets

    shared = pennylane_spec.FULL_SPEC.parents[2]
    if not pennylane_spec.FULL_SPEC.exists() or not sage_spec.FULL_SPEC.exists():
        pytest.skip("needs ../shared/specs to regenerate the subsets")
    for vendor, (relative, prefix, globs) in make_subsets.VENDORS.items():
        spec = json.loads((shared / "specs" / relative).read_text(encoding="utf-8"))
        names = make_subsets.literals(globs) | make_subsets.literals(
            (f"tests/fakes/{vendor}_server.py",))
        fresh = make_subsets.subset(spec, prefix, make_subsets.OPERATIONS[vendor], names)
        committed = json.loads((make_subsets.HERE / f"{vendor}-subset.json").read_text("utf-8"))
        assert fresh == committed, (f"{vendor}-subset.json is stale: run "
                                    "python tests/fakes/specs/make_subsets.py")
