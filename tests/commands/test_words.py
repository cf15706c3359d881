"""The CLI's catalogue (connector/commands/words.py): every message in French and English with the
same placeholders, the language chosen as documented, and no command printing a sentence of its
own (an AST walk over connector/commands/)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main
from connector.commands.catalogue import MESSAGES
from connector.commands.words import env_language, label, say
from tests.helpers import write_config

COMMANDS = Path(__file__).resolve().parents[2] / "connector" / "commands"
PROSE = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
# words that may stand in a printed literal: names of things, not sentences
ALLOWED = {"relance", "DSO", "SMTP", "HTML", "PDF", "json"}
OWN_WORDS = {"words.py", "catalogue.py", "catalogue_desk.py"}
# data, not messages: a client's errors are part of `clients list --json` and `status --all
# --json`, which never change with the language
DATA = {"firm.py": {"last sync failed:  {} ", "last  {}  run failed:  {} ",
                    " {}  reminder(s)  {} "}}


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    french, english = MESSAGES[key]
    assert french.strip() and english.strip(), key
    assert _fields(french) == _fields(english), key
    values = dict.fromkeys(_fields(french), "x")
    assert say(key, "fr", **values) != "" and say(key, "en", **values) != ""


def test_french_puts_a_space_before_its_colons_and_english_none() -> None:
    """French typography: « Objet : … », never « Objet: »; English the reverse."""
    for key, (french, english) in MESSAGES.items():
        plain_fr = re.sub(r"`[^`]*`|\{[^}]*\}|https?://\S+", "X", french)
        plain_en = re.sub(r"`[^`]*`|\{[^}]*\}|https?://\S+", "X", english)
        assert not re.search(r"[A-Za-zÀ-ÿ)»]:(\s|$)", plain_fr), key
        assert " : " not in plain_en, key


def _words(text: str) -> list[str]:
    """The words of a literal: tokens between spaces made of letters only (so that a path, a
    key like `col.level` or a TOML line is no sentence)."""
    return [w for w in (t.strip(".,;:!?()[]«»`'\"") for t in text.split())
            if PROSE.fullmatch(w) and w not in ALLOWED]


def _prose(node: ast.AST, least: int = 1) -> list[str]:
    """The literal text of an expression that reads as words (`least` of them, placeholders
    counting as none)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if len(_words(node.value)) >= least else []
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                       else " {} " for v in node.values)
        return [text] if len(_words(text)) >= least else []
    if isinstance(node, ast.BinOp):
        return _prose(node.left, least) + _prose(node.right, least)
    if isinstance(node, ast.IfExp):
        return _prose(node.body, least) + _prose(node.orelse, least)
    return []


def _printed_literals(path: Path) -> list[str]:
    """What click.echo/secho/prompt get as literal text, and every f-string with words in it
    (views.py builds lines that commands print)."""
    found: list[str] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("echo", "secho", "prompt") and node.args:
            found += [f"line {node.lineno}: {p!r}" for p in _prose(node.args[0])]
        elif isinstance(node, ast.JoinedStr):  # a line built to be printed, or an error
            found += [f"line {node.lineno}: {p!r}" for p in _prose(node, least=2)]
    return sorted(set(found))


@pytest.mark.parametrize("module", sorted(p.name for p in COMMANDS.glob("*.py")
                                          if p.name not in OWN_WORDS))
def test_no_command_prints_a_sentence_outside_the_catalogue(module: str) -> None:
    found = [line for line in _printed_literals(COMMANDS / module)
             if line.split(": ", 1)[1].strip("'") not in DATA.get(module, set())]
    assert found == []


def test_the_walk_finds_an_english_sentence(tmp_path: Path) -> None:
    """The check above can fail: an echo of a literal sentence is caught, a catalogue call not."""
    sample = tmp_path / "sample.py"
    sample.write_text('import click\nclick.echo(f"synced {n} records")\n'
                      'click.echo(say("check.ok", "fr"))\nclick.echo(f"== {slug} ==")\n',
                      encoding="utf-8")
    assert _printed_literals(sample) == ["line 2: 'synced  {}  records'"]


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "fr"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "fr"),
    ({"LANG": "C.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_ALL": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "fr"),
    ({"RELANCE_LANG": "en", "LC_ALL": "fr_FR.UTF-8"}, "en"),
    ({"RELANCE_LANG": "fr", "LANG": "en_US.UTF-8"}, "fr"),
])
def test_the_language_without_a_config(environ: dict[str, str], expected: str) -> None:
    assert env_language(environ) == expected


def test_an_identifier_without_words_is_shown_as_it_is() -> None:
    assert label("state", "sent", "fr") == "envoyée" and label("state", "sent", "en") == "sent"
    assert label("stream", "ledger_lines", "fr") == "ledger_lines"


def test_init_speaks_the_locale_and_the_config_then_speaks_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config yet: RELANCE_LANG decides; once one is loaded its `language` does, whatever
    the environment says."""
    runner = CliRunner()
    monkeypatch.setenv("RELANCE_LANG", "en")
    target = tmp_path / "new" / "relance.toml"
    wrote = runner.invoke(main, ["--config", str(target), "init"])
    assert wrote.exit_code == 0 and wrote.output.startswith(f"wrote {target}; edit [source]")
    again = runner.invoke(main, ["--config", str(target), "init"])
    assert again.exit_code == 2 and f"error: {target} exists; use --force" in again.output
    monkeypatch.setenv("RELANCE_LANG", "fr")
    again = runner.invoke(main, ["--config", str(target), "init"])
    assert f"erreur : {target} existe déjà ; --force pour l'écraser" in again.output

    french = write_config(tmp_path / "fr")
    english = write_config(tmp_path / "en")
    english.write_text('language = "en"\n' + english.read_text(encoding="utf-8"),
                       encoding="utf-8")
    monkeypatch.setenv("RELANCE_LANG", "en")
    fr = runner.invoke(main, ["--config", str(french), "--today", "2026-11-27", "sync"])
    assert fr.exit_code == 0 and fr.output.startswith("synchronisé : clients ")
    assert "enregistrement(s) invalide(s) ignoré(s)" in fr.output
    monkeypatch.setenv("RELANCE_LANG", "fr")
    en = runner.invoke(main, ["--config", str(english), "--today", "2026-11-27", "sync"])
    assert en.exit_code == 0 and en.output.startswith("synced: customers ")
    assert "malformed record(s)" in en.output
    plan_en = runner.invoke(main, ["--config", str(english), "--today", "2026-11-27", "plan"])
    assert plan_en.output.splitlines()[0].split() == ["customer", "level", "channel", "to",
                                                      "pay"]
    assert re.search(r"^\d+ reminder\(s\) for \d+ customer\(s\)\.$", plan_en.output, re.M)
    plan_fr = runner.invoke(main, ["--config", str(french), "--today", "2026-11-27", "plan"])
    assert plan_fr.output.splitlines()[0].split() == ["client", "niveau", "canal", "à", "payer"]
    assert re.search(r"^\d+ relance\(s\) pour \d+ client\(s\)\.$", plan_fr.output, re.M)


def test_json_output_is_the_same_in_both_languages(tmp_path: Path) -> None:
    runner = CliRunner()
    french = write_config(tmp_path / "fr")
    english = write_config(tmp_path / "en")
    english.write_text('language = "en"\n' + english.read_text(encoding="utf-8"),
                       encoding="utf-8")
    outputs = []
    for config in (french, english):
        assert runner.invoke(main, ["--config", str(config), "--today", "2026-11-27",
                                    "sync"]).exit_code == 0
        outputs.append(runner.invoke(main, ["--config", str(config), "--today", "2026-11-27",
                                            "plan", "--json"]).output)
    assert outputs[0] == outputs[1] and outputs[0].startswith("[")
