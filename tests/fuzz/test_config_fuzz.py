"""Hypothesis-made configuration files: `parse_config` returns a Config or raises ConfigError, never
anything else; `relance --config F plan` exits 0 or 2 with one line, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

from connector.cli import main
from connector.config import Config, parse_config
from connector.errors import ConfigError
from tests.fuzz.garbage import FUZZ, ODD_CHARS

EXAMPLE = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
# The CLI runs `plan` on whatever survives: a tiny demo ledger keeps that quick.
SMALL = EXAMPLE.replace('kind = "demo"', 'kind = "demo"\ncustomers = 3\ninvoices = 12', 1)
KNOWN_KEYS = sorted({m for m in re.findall(r"^\s*([a-z_]+)\s*=", EXAMPLE, re.M)}
                    | {"source", "sender", "email", "policy", "policies", "customers",
                       "penalties", "letter", "levels", "segments"})


# -- a small TOML writer (the standard library only reads TOML) -----------------------------
def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    return '"' + "".join(
        "\\" + ch if ch in '"\\' else f"\\u{ord(ch):04x}" if ord(ch) < 32 or ord(ch) == 127
        else ch for ch in text) + '"'


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value)) \
            if value == value else "nan"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"


def dumps(data: dict[str, Any]) -> str:
    """Top-level scalars, then one [table] per dict value (nested dicts inline)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{_key(name)}]")
            lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=12))
scalars = st.one_of(
    st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["", "demo", "odoo", "sage", "pennylane", "smtp", "file", "Europe/Paris",
                     "Mars/Olympus", "../../etc/passwd", "Europe", "sqlite:///x.db",
                     "sqlite:////proc/relance/x.db", "mysql://u@h/db", "postgresql://",
                     "08:30-18:00", "25:00-26:00", "end_of_month", "x@y.fr", "-1", "1e999",
                     "".join(ODD_CHARS)]),
    st.dates(), st.datetimes(), st.times())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)), max_leaves=8)


def _tweak(data: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """Set (or, for None, delete) one key somewhere in the example's tree."""
    out = json.loads(json.dumps(data, default=str))
    node: Any = out
    for step in path[:-1]:
        if isinstance(node, list):
            node = node[hash(step) % len(node)] if node else {}
        if not isinstance(node, dict):
            return out
        node = node.setdefault(step, {})
    if isinstance(node, list) and node:
        node = node[0]
    if isinstance(node, dict):
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return out


BASE = tomllib.loads(SMALL)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list) and node and isinstance(node[0], dict):
        return [p for n, v in enumerate(node) for p in _leaves(v, (*path, n))]
    return [path]


def _replace(path: tuple[Any, ...], value: Any) -> str:
    """The example with the value at `path` (an existing key) replaced."""
    data = json.loads(json.dumps(BASE, default=str))
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return dumps(data)


documents = st.one_of(
    # the example with existing values replaced by anything
    st.builds(_replace, st.sampled_from(_leaves(BASE)), values),
    # the example with a few keys changed to anything, added or removed
    st.lists(st.tuples(st.lists(keys, min_size=1, max_size=3), st.one_of(st.none(), values)),
             min_size=1, max_size=4).map(
        lambda edits: _apply_all(BASE, edits)),
    # a whole random document
    st.dictionaries(keys, values, max_size=6).map(dumps),
)


def _apply_all(base: dict[str, Any], edits: list[tuple[list[str], Any]]) -> str:
    data = base
    for path, value in edits:
        data = _tweak(data, path, value)
    return dumps(data)


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace/insert/delete characters at positions of the text."""
    for position, width, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + width:]
    return text


mutations = st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 4),
                               st.one_of(st.text(max_size=4), st.sampled_from(
                                   ['"', "[", "]", "=", "\n", "#", "\\", "\x00", "\ufeff",
                                    "[[policy.levels]]\n", "kind = 1\n", "\u202e"]))),
                     min_size=1, max_size=6).map(lambda edits: _mutate(SMALL, edits))


def parse(text: str, where: Path) -> Config | None:
    try:
        return parse_config(text, file="relance.toml", base_dir=where)
    except ConfigError as exc:
        assert str(exc).strip() and "Traceback" not in str(exc)
        return None


@FUZZ
@given(text=st.one_of(documents, mutations))
def test_parse_config_returns_a_config_or_a_config_error(text: str, tmp_path: Path) -> None:
    parse(text, tmp_path)


def test_the_example_itself_parses(tmp_path: Path) -> None:
    assert isinstance(parse(EXAMPLE, tmp_path), Config)
    assert isinstance(parse(SMALL, tmp_path), Config)


@settings(FUZZ, max_examples=60)
@given(text=st.one_of(documents, mutations))
def test_cli_never_shows_a_traceback(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("cfg")
    path = folder / "relance.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(main, ["--config", str(path), "--today", "2026-11-27", "plan"])
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "erreur :" in result.output or "Usage" in result.output


def _state(url: str) -> str:
    return re.sub(r'^state = .*$', f'state = "{url}"', SMALL, count=1, flags=re.M)


@pytest.mark.parametrize(("name", "content", "says"), [
    ("unwritable state folder", _state("sqlite:////proc/relance/state.db"), "[state]"),
    ("unknown state database", _state("nosuchdb://x"), "[state]"),
    ("not UTF-8", b"\xff\xfe tenant = 1", "cannot read the file"),
    ("empty", "", "[source]"),
    ("escape in a key", SMALL + '\n"\\u001b[2J" = 1\n', "unknown key"),
    ("NUL in the text", SMALL.replace("Ma Société", "Ma\x00"), "not valid TOML"),
])
def test_cli_config_failures_are_one_line_and_exit_2(
        tmp_path: Path, name: str, content: str | bytes, says: str) -> None:
    path = tmp_path / "relance.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "--today", "2026-11-27", "plan"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert says in result.output and "Traceback" not in result.output
    assert "\x1b" not in result.output


def test_cli_plans_with_the_small_example(tmp_path: Path) -> None:
    path = tmp_path / "relance.toml"
    path.write_text(SMALL, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "--today", "2026-11-27", "plan"])
    assert result.exit_code == 0, result.output
