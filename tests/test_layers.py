"""The house's one-way flow (DESIGN §1–2): no module imports a higher layer, and no import cycle.

Read from the source with `ast`, so the test sees lazy imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "connector"
LAYERS: dict[str, int] = {
    "errors": 0, "models": 0, "formatting": 0, "clock": 0, "emails": 0,
    "secrets": 1, "logs": 1, "rules": 1, "http": 1, "budget": 1,
    "adapters": 2,
    "config": 3,
    "sync": 4, "store": 4,
    "delivery": 5, "reports": 5,
    "app": 6,
    "commands": 7, "web": 7,
    "cli": 8, "__main__": 9,
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules imported; `from package import submodule` counts as the submodule only."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(subs & MODULES.keys())
            if subs - MODULES.keys():
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("connector.")}


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: {i for i in _imports(path) if i in MODULES and i != name}
         for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_top_level_room_has_a_layer() -> None:
    rooms = {m.split(".")[1] for m in MODULES if "." in m}
    assert rooms <= set(LAYERS), f"add these to LAYERS (and DESIGN.md): {rooms - set(LAYERS)}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_nothing_imports_a_higher_layer(module: str) -> None:
    mine = _layer(module)
    upward = sorted(i for i in GRAPH[module]
                    if mine is not None and (_layer(i) or 0) > mine)
    assert not upward, f"{module} (layer {mine}) imports higher layers: {upward}"


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import cycle: " + " → ".join(cycle))
