"""Every key the configuration accepts is documented in config.example.toml (what `relance init`
writes) and every key a source accepts in the README too, read from the pydantic models."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pydantic
import pytest

from connector.adapters.base import REGISTRY, adapter_class
from connector.config import Config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "connector" / "config_example.toml").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOT_KEYS = {"base_dir", "file"}  # where the file was read from, set by the loader


def _models(annotation: object) -> list[type[pydantic.BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def keys(model: type[pydantic.BaseModel], path: str = "") -> list[str]:
    found: list[str] = []
    for name, info in model.model_fields.items():
        if name in NOT_KEYS or info.exclude:
            continue
        found.append(f"{path}{name}")
        for nested in _models(info.annotation):
            if nested.__name__ != "SourceConfig":
                found += keys(nested, f"{path}{name}.")
    return found


def documented(text: str, key: str) -> bool:
    """`key = …`, commented out or not, or a `[key]` / `[[key]]` table header."""
    name = key.rsplit(".", 1)[-1]
    return bool(re.search(rf"(^|[\s#,]){re.escape(name)}\s*=", text, re.M)
                or re.search(rf"\[\[?[\w.]*{re.escape(name)}(\.[\w\"-]+)?\]\]?", text))


@pytest.mark.parametrize("key", sorted(set(keys(Config))))
def test_every_key_is_in_the_example(key: str) -> None:
    assert documented(EXAMPLE, key), f"{key} is accepted but not in config_example.toml"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_source_key_is_in_the_example_and_the_readme(kind: str) -> None:
    model = adapter_class(kind).config_model
    missing = [k for k in keys(model) if not documented(EXAMPLE, k)]
    assert not missing, f"[source] kind={kind}: not in config_example.toml: {missing}"
    missing = [k for k in keys(model) if f"`{k}`" not in README]
    assert not missing, f"[source] kind={kind}: not in the README: {missing}"


def test_the_example_at_the_root_is_the_one_init_writes() -> None:
    assert (ROOT / "config.example.toml").read_text(encoding="utf-8") == EXAMPLE
