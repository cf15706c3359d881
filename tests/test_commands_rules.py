"""The pause, rules and templates commands as a user types them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main
from tests.helpers import write_config

TODAY = "2026-11-27"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = write_config(tmp_path, small=True)
    assert invoke("--config", str(path), "--today", TODAY, "sync").exit_code == 0
    return str(path)


def planned(config: str) -> list[dict]:
    return json.loads(invoke("--config", config, "--today", TODAY, "plan", "--json").output)


def test_dispute_then_resume(config: str) -> None:
    row = next(r for r in planned(config) if r["channel"] == "email")
    number = row["invoices"][0]["number"]
    result = invoke("--config", config, "--today", TODAY, "dispute", number,
                    "--reason", "livraison incomplète", "--by", "marie")
    assert result.exit_code == 0, result.output
    assert all(number not in [i["number"] for i in r["invoices"]] for r in planned(config))
    text = invoke("--config", config, "--today", TODAY, "plan").output
    assert f"facture {number} : en litige (livraison incomplète), par marie" in text
    status = invoke("--config", config, "--today", TODAY, "status").output
    assert "livraison incomplète" in status
    explain = invoke("--config", config, "--today", TODAY, "rules", "explain", number).output
    assert "disputed" in explain and "pas de relance aujourd'hui" in explain
    assert invoke("--config", config, "--today", TODAY, "resume", number).exit_code == 0
    assert any(number in [i["number"] for i in r["invoices"]] for r in planned(config))


def test_promise_and_customer_pause(config: str) -> None:
    row = next(r for r in planned(config) if r["channel"] == "email")
    number, customer = row["invoices"][0]["number"], row["customer_id"]
    past = invoke("--config", config, "--today", TODAY, "promise", number, "--until", "2026-11-01")
    assert past.exit_code == 2 and "est déjà passé" in past.output
    assert invoke("--config", config, "--today", TODAY, "promise", number,
                  "--until", "2026-12-04").exit_code == 0
    assert invoke("--config", config, "--today", TODAY, "pause", customer,
                  "--until", "2026-12-31", "--reason", "redressement").exit_code == 0
    assert all(r["customer_id"] != customer for r in planned(config))
    unknown = invoke("--config", config, "--today", TODAY, "dispute", "F-NOPE", "--reason", "x")
    assert unknown.exit_code == 2 and "no invoice 'F-NOPE'" in unknown.output


def test_explain_a_planned_invoice(config: str) -> None:
    row = next(r for r in planned(config) if r["channel"] == "email")
    number = row["invoices"][0]["number"]
    text = invoke("--config", config, "--today", TODAY, "rules", "explain", number).output
    assert "default policy 'standard'" in text and f"→ {row['level']} par email" in text
    weekend = invoke("--config", config, "--today", "2026-11-28", "rules", "explain", number)
    assert "is a Saturday" in weekend.output


def test_rules_check_passes_on_the_example_and_fails_on_mistakes(tmp_path: Path) -> None:
    good = write_config(tmp_path / "good")
    result = invoke("--config", str(good), "--today", TODAY, "rules", "check")
    assert result.exit_code == 0, result.output
    bad = write_config(tmp_path / "bad", extra='''
[policy]
[[policy.levels]]
name = "first"
days = 1
template = "first"

[[policy.levels]]
name = "again"
basis = "end_of_month"
days = 0
template = "nosuch"

[penalties]
contract_rate = "5"
individual_fee = "15"
''')
    result = invoke("--config", str(bad), "--today", TODAY, "rules", "check")
    assert result.exit_code == 2
    # in the tenant's language, French by default
    assert "erreur : policy.levels.again : pas de modèle 'fr/nosuch.j2'" in result.output
    assert "penalties.contract_rate" in result.output and "penalties.individual_fee" in result.output
    assert "les frais de recouvrement ne peuvent être facturés à un consommateur" in result.output
    english = in_english(bad)
    result = invoke("--config", str(english), "--today", TODAY, "rules", "check")
    assert result.exit_code == 2
    assert "error: policy.levels.again: no template 'fr/nosuch.j2'" in result.output
    assert "recovery costs cannot be charged to a consumer" in result.output
    assert result.output.splitlines()[-1].endswith(" warning(s)") and "erreur" not in result.output


def in_english(path: Path) -> Path:
    """The same config for an English-speaking tenant."""
    english = path.parent / "relance-en.toml"
    english.write_text('language = "en"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    return english


def test_rules_and_check_refuse_letters_without_the_sender_identity(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra=LETTER_LEVEL)
    text = path.read_text(encoding="utf-8")
    for line in ('rcs_city = "Lyon"\n', 'signatory_name = "Paul Dupuis"\n'):
        text = text.replace(line, "")
    path.write_text(text, encoding="utf-8")
    for command in (("rules", "check"), ("check",)):
        result = invoke("--config", str(path), "--today", TODAY, *command)
        assert result.exit_code == 2, result.output
        assert "rcs_city, signatory_name manquant(s)" in result.output
        assert "formal_notice" in result.output
    # without a letter level, nothing requires them
    plain = write_config(tmp_path / "plain")
    plain.write_text(plain.read_text(encoding="utf-8").replace('rcs_city = "Lyon"\n', ""),
                     encoding="utf-8")
    assert invoke("--config", str(plain), "--today", TODAY, "rules", "check").exit_code == 0


LETTER_LEVEL = """
[policy]
[[policy.levels]]
name = "first"
days = 1
template = "first"

[[policy.levels]]
name = "formal_notice"
days = 30
channel = ["letter", "email"]
template = "formal_notice"
"""


def test_rules_check_fails_on_a_ladder_that_skips_a_level(tmp_path: Path) -> None:
    """The issue's ladder: a formal notice 10 days after the second reminder comes before the
    final warning (J+20) and skips it; written in order, it would not be sent in order."""
    levels = """
[policy]
[[policy.levels]]
name = "first"
days = 1
template = "first"

[[policy.levels]]
name = "second"
days = 7
template = "second"

[[policy.levels]]
name = "final"
days = 20
template = "final"

[[policy.levels]]
name = "formal_notice"
basis = "previous_reminder"
days = 3
after = "{after}"
channel = ["letter", "email"]
template = "formal_notice"
"""
    bad = write_config(tmp_path / "bad", extra=levels.format(after="second"))
    result = invoke("--config", str(bad), "--today", TODAY, "rules", "check")
    assert result.exit_code == 2, result.output
    assert "pas dans l'ordre écrit first → second → final → formal_notice" in result.output
    assert "final serait sauté (donnez au niveau suivant `after = \"final\"`" in result.output
    result = invoke("--config", str(in_english(bad)), "--today", TODAY, "rules", "check")
    assert "not in the written order" in result.output and "final would be skipped" in result.output
    good = write_config(tmp_path / "good", extra=levels.format(after="final"))
    result = invoke("--config", str(good), "--today", TODAY, "rules", "check")
    assert result.exit_code == 0, result.output


def test_rules_check_finds_overlaps_and_unknown_variables(tmp_path: Path, monkeypatch) -> None:
    from connector.delivery import render
    merged = tmp_path / "templates"  # the shipped templates plus one with a typo
    shutil.copytree(render.TEMPLATES, merged)
    for language in ("fr", "en"):
        (merged / language / "typo.j2").write_text(
            "{% extends layout %}{% block subject %}{{ amount_to_pai }}{% endblock %}")
    monkeypatch.setattr(render, "_envs", {})
    monkeypatch.setattr(render, "TEMPLATES", merged)
    config = write_config(tmp_path / "c", extra='''
[policy]
[[policy.levels]]
name = "first"
days = 5
template = "typo"

[[policy.levels]]
name = "eom"
basis = "end_of_month"
days = -20
template = "first"
''')
    result = invoke("--config", str(config), "--today", TODAY, "rules", "check")
    assert result.exit_code == 2
    assert "utilise des variables inconnues : amount_to_pai" in result.output
    overlap = next(line for line in result.output.splitlines() if "policy.levels.eom" in line)
    assert re.search(r"^erreur : policy\.levels\.eom : atteint le \d\d/\d\d/\d{4}, pas "
                     r"après le niveau 'first' \(\d\d/\d\d/\d{4}\)", overlap), overlap
    assert "se chevauchent" in overlap
    english = invoke("--config", str(in_english(config)), "--today", TODAY, "rules", "check")
    assert "unknown variable(s): amount_to_pai" in english.output
    assert re.search(r"policy\.levels\.eom: reached on \d{4}-\d\d-\d\d, not after level "
                     r"'first' \(\d{4}-\d\d-\d\d\)", english.output) and "overlap" in english.output


@pytest.mark.parametrize(("template", "lang", "expected"), [
    ("first", "fr", "Montant à régler"),
    ("final", "en", "Amount to pay"),
    ("formal_notice", "fr", "Mise en demeure de payer"),
    ("_letter", "fr", "Objet : mise en demeure de payer"),
])
def test_templates_preview(tmp_path: Path, template: str, lang: str, expected: str) -> None:
    config = str(write_config(tmp_path))
    result = invoke("--config", config, "--today", TODAY, "templates", "preview", template,
                    "--lang", lang)
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_every_template_variable_is_documented(tmp_path: Path) -> None:
    from connector.app.lint import sample_payload
    from connector.config import load_config
    from connector.delivery.messages import template_context
    config = load_config(write_config(tmp_path))
    documented = (Path(__file__).resolve().parent.parent / "docs" / "templates.md").read_text()
    variables = set(template_context(sample_payload(config, "first"), config))
    assert sorted(v for v in variables if f"`{v}" not in documented) == []
