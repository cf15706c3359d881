"""What customers read: consumers never see B2B law, rates are never silently provisional, the
€40 never joins a total in another currency, the court follows the debtor."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from connector.app import lint
from connector.config import load_config
from connector.delivery.letter import letter_text
from connector.delivery.messages import template_context
from connector.delivery.render import render
from connector.rules.legal import court_for
from tests.helpers import write_config

TEMPLATES = ("courtesy", "first", "second", "final", "formal_notice")
FORTY = re.compile(r"(?<!\d)(?<!\d )40(,00)? €|€ ?40\b|EUR 40")  # not "1 440,00 €"
B2B_ONLY = ("441-10", "indemnité forfaitaire",
            "fixed recovery", "tribunal de commerce", "commercial court")


def spaced(text: str) -> str:
    """Babel writes amounts with (narrow) no-break spaces; compare with plain ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture()
def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(write_config(tmp_path))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("template", TEMPLATES + ("_letter",))
def test_nothing_b2b_reaches_a_consumer(config, template: str, language: str) -> None:  # type: ignore[no-untyped-def]
    payload = lint.sample_payload(config, template, kind="individual", language=language,
                                  today=dt.date(2026, 3, 2))
    context = template_context(payload, config)
    if template == "_letter":
        text = spaced(letter_text(context, language))
    else:
        message = render(template, context, language)
        text = spaced(f"{message.subject}\n{message.text}\n{message.html}")
    lowered = text.lower()
    for words in B2B_ONLY:
        assert words.lower() not in lowered, (template, words)
    assert not FORTY.search(text), template


def test_company_letter_states_every_rate_the_breakdown_and_the_day_count(config) -> None:  # type: ignore[no-untyped-def]
    # a sample late across the 2025/2026 boundary uses two rates: both are stated
    payload = lint.sample_payload(config, "formal_notice", today=dt.date(2026, 1, 20))
    text = spaced(letter_text(template_context(payload, config), "fr"))
    assert "13,15 % l'an (2nd semestre 2025)" not in text  # 2025 H2 is 12.15 %
    assert "12,15 % l'an (2nd semestre 2025)" in text and "12,15 % l'an (1er semestre 2026)" in text
    assert "Décompte de la créance (art. 1407 du Code de procédure civile)" in text
    assert "nombre exact de jours / 365" in text
    assert "sans préjudice des pénalités qui continueront de courir jusqu'à complet paiement" in text
    assert "art. L. 441-10 du Code de commerce" in text and "L441-10" not in text


def test_a_provisional_rate_is_never_silent(config) -> None:  # type: ignore[no-untyped-def]
    payload = lint.sample_payload(config, "final", today=dt.date(2026, 9, 15))
    context = template_context(payload, config)
    assert context["rates_provisional"]
    assert "taux provisoire" in render("final", context, "fr").text
    letter = letter_text(template_context(lint.sample_payload(
        config, "formal_notice", today=dt.date(2026, 9, 15)), config), "fr")
    assert "taux provisoire" in letter and "2nd semestre 2026" in letter


def test_the_forty_euros_stays_apart_from_a_chf_total(config) -> None:  # type: ignore[no-untyped-def]
    payload = lint.sample_payload(config, "formal_notice", today=dt.date(2026, 3, 2))
    payload = dataclasses.replace(
        payload, currency="CHF",
        items=tuple(dataclasses.replace(i, currency="CHF") for i in payload.items),
        credit_notes=tuple(dataclasses.replace(c, currency="CHF") for c in payload.credit_notes))
    context = template_context(payload, config)
    assert context["indemnity_apart"] and context["indemnity"] == Decimal("80.00")
    assert context["claim_total"] == context["amount_to_pay"] + context["penalties"]
    text = spaced(letter_text(context, "fr"))
    assert not re.search(r"(?<!\d)(?<!\d )[48]0,00 CHF", text)  # the €40s never in francs
    assert "+ 80,00 € d'indemnité forfaitaire" in text


def test_the_court_follows_the_debtor() -> None:
    courts = {"company:69": "le tribunal de commerce de Lyon",
              "individual": "le tribunal judiciaire du domicile du débiteur"}
    assert court_for("company", "12 rue des Lilas\n69003 Lyon", courts) == \
        "le tribunal de commerce de Lyon"
    assert court_for("company", "1 rue X\n75001 Paris", courts) == "la juridiction compétente"
    assert court_for("individual", "69003 Lyon", courts).startswith("le tribunal judiciaire")
    # the old single court is never used for a consumer
    assert court_for("individual", None, {}, "le tribunal de commerce de Lyon") == \
        "la juridiction compétente"


def test_rules_check_names_the_floor_half_years_instead_of_failing(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, extra='\n[penalties]\ncontract_rate = "12"\n'))
    findings = lint.check_money(config, dt.date(2026, 12, 1))
    floor = [f for f in findings if f.where == "penalties.contract_rate"]
    assert len(floor) == 1 and floor[0].severity == "warning"
    assert "2024-S1 (15.21 %)" in floor[0].text and "2023-S2 (12.66 %)" in floor[0].text
    assert "2025-S1" not in floor[0].text  # 3 × 3.71 = 11.13 % < 12 %
    provisional = [f for f in findings if f.where == "rates"]
    assert provisional and "2026-S2" in provisional[0].text
    assert not [f for f in lint.check(config, dt.date(2026, 12, 1)) if f.severity == "error"]



def test_terms_45_days_end_of_month_are_lawful_periodic_invoices_capped_at_45() -> None:
    from tests.helpers import invoice
    issue = dt.date(2026, 1, 1)

    def billed(days: int) -> object:
        return invoice(f"D{days}", issue + dt.timedelta(days=days), issue_date=issue)

    # 1 Jan + "45 jours fin de mois" = 31 Jan + 45 days = 17 March (75 days): lawful
    assert lint.check_terms([billed(75)]) == []
    assert lint.check_terms([billed(60)]) == []
    late = lint.check_terms([billed(76), billed(75)])
    assert len(late) == 1 and "1 open invoice(s)" in late[0].text and "F-D76" in late[0].text
    periodic = lint.check_terms([billed(46), billed(45)], periodic=True)
    assert len(periodic) == 1 and "F-D46" in periodic[0].text and "45 days" in periodic[0].text


def test_a_public_buyer_gets_the_public_procurement_law_and_ecb_plus_8(config) -> None:  # type: ignore[no-untyped-def]
    payload = lint.sample_payload(config, "formal_notice", kind="public", today=dt.date(2026, 3, 2))
    context = template_context(payload, config)
    assert context["interest_rate"] == Decimal("10.15")  # 2.15 + 8 points
    text = spaced(letter_text(context, "fr"))
    assert "Intérêts moratoires dus de plein droit (art. L. 2192-13 et R. 2192-31" in text
    assert "D. 2192-35 du Code de la commande publique" in text and "441-10" not in text
