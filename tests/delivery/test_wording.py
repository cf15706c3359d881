"""The words a customer reads: every level template × language × customer kind × case, checked
against the mistakes found in real reminders (issue 14: "de des factures", "1 jours", "du 1 décembre",
a single invoice called "les factures suivantes", an instalment shown as partly paid, "prochainement"
on the due date, subjects naming the sender at some levels only)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import Config, parse_config
from connector.delivery.letter import letter_text
from connector.delivery.messages import template_context
from connector.delivery.render import known_templates, render
from connector.models import Instalment
from connector.rules.engine import CreditLine, DueItem, History, ReminderIntent, evaluate
from connector.rules.policy import default_policy
from tests.helpers import BASE_CONFIG, customer, invoice

TODAY = dt.date(2026, 12, 1)  # the first of a month: dates must read "1er décembre"
SENDER = "Atelier Dupuis"
LEVEL_DAYS = {"first": 1, "second": 12, "final": 25, "formal_notice": 40}
COURTESY_DAYS = {"soon": -5, "today": 0, "past": 2}
CASES = ("one", "several", "instalments", "credit_note")
KINDS = ("company", "individual")
MONTHS = {"fr": "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
                "décembre"}

# (pattern, what is wrong): found anywhere in a subject, a text part or a letter
MISTAKES: dict[str, list[tuple[str, str]]] = {
    "fr": [
        (r"\bde (des|les|le)\b", "doubled or uncontracted article (\"le règlement de des\")"),
        (r"\bà (les|le)\b", "uncontracted article (\"à les\")"),
        (r"\b[01] (jours|factures|échéances|avoirs)\b", "plural after 0 or 1"),
        (rf"\b(du|le|au) 1 ({MONTHS['fr']})", "the first of the month is \"1er\""),
        (r"[^\s/\d]:(\s|$)", "French needs a space before a colon"),
        (r"\b(days?|invoices?|overdue|due)\b", "English word in a French text"),
    ],
    "en": [
        (r"\b1 (days|invoices|instalments|credit notes)\b", "plural after 1"),
        (r"\binvoices is\b|\binvoice are\b|\binvoices remains\b|\binvoice remain\b",
         "subject and verb disagree"),
        (r"\b(facture|jours|échéance)\b", "French word in an English text"),
    ],
    "*": [
        (r"\bNone\b", "a missing value printed as None"),
        (r"\{\{|\{%|%\}|\}\}", "unrendered Jinja"),
        (r"\(s\)", "a plural left to the reader"),
        (r"[^\n|] {2,}\S", "double space"),
        (r" [,.](\s|$)", "space before a comma or full stop"),
        (r"%\(num\)", "ngettext placeholder left"),
    ],
}


def _config() -> Config:
    text = BASE_CONFIG.format(tenant="acme", state="sqlite:///:memory:", seed=1,
                              anchor=TODAY.isoformat())
    return parse_config(text.replace('name = "Atelier Dupuis"', f'name = "{SENDER}"'),
                        base_dir=Path("."))


def _item(number: str, days_late: int, total: str, residual: str | None = None, *,
          issued: dt.date | None = None, instalment: int = 0, instalments: int = 0) -> DueItem:
    due = TODAY - dt.timedelta(days=days_late)
    return DueItem(f"{number}#{instalment}" if instalment else number, number, number,
                   issued or due - dt.timedelta(days=30), due, "EUR", Decimal(total),
                   Decimal(residual or total), days_late, level="x", instalment=instalment,
                   instalments=instalments)


def _payload(template: str, case: str, kind: str, language: str, days: int) -> ReminderIntent:
    other = (_item("F-90", -20, "96.00"),)
    credits: tuple[CreditLine, ...] = ()
    if case == "one":
        items = (_item("F-1", days, "1440.00", issued=dt.date(2026, 10, 1)),)
    elif case == "several":
        items = (_item("F-1", days + 10 if days > 0 else days, "1440.00"),
                 _item("F-2", days, "500.00", "380.50"))
    elif case == "instalments":
        items = (_item("F-3", days + 30 if days > 0 else days, "1620.74", instalment=1,
                       instalments=2),
                 _item("F-3", days, "1620.74", instalment=2, instalments=2))
    else:
        items = (_item("F-1", days, "1440.00"),)
        credits = (CreditLine("AV-7", "AV-7", TODAY - dt.timedelta(days=3), "EUR",
                              Decimal("120.00")),)
    intent = ReminderIntent(
        key="k" * 32, tenant="acme", source="demo", customer_id="C1",
        customer_name="Boulangerie Lefèvre" if kind == "company" else "Camille Martin",
        customer_kind=kind, language=language, level=template, channel="email",
        template=template, recipients=("compta@client.fr",), currency="EUR", items=items,
        credit_notes=credits, statement=items + other, planned_for=TODAY,
        level_channels=("email", "letter") if template == "formal_notice" else ("email",),
        customer_address="12 rue des Lilas\n69003 Lyon")
    return intent


def _matrix() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for language in ("fr", "en"):
        # penalties.j2 is not a level: the "facture de pénalités" renders on its own context
        for template in (t for t in known_templates(language) if t != "penalties"):
            whens = COURTESY_DAYS if template == "courtesy" else {"late": LEVEL_DAYS[template]}
            for when in whens:
                rows += [(template, language, kind, case, when) for kind in KINDS
                         for case in CASES]
    return rows


def _mistakes(text: str, language: str) -> list[str]:
    found = []
    for pattern, why in MISTAKES[language] + MISTAKES["*"]:
        for line in text.splitlines():
            if re.search(pattern, line):
                found.append(f"{why}: {line.strip()!r}")
    return found


def test_the_matrix_covers_every_level_template() -> None:
    levels = {row[0] for row in _matrix()}
    assert levels == {"courtesy", "first", "second", "final", "formal_notice"}
    assert len(_matrix()) == 2 * (3 + 4) * len(KINDS) * len(CASES)


@pytest.mark.parametrize(("template", "language", "kind", "case", "when"), _matrix())
def test_no_known_mistake(template: str, language: str, kind: str, case: str, when: str) -> None:
    config = _config()
    days = COURTESY_DAYS.get(when, LEVEL_DAYS.get(template, 0))
    context = template_context(_payload(template, case, kind, language, days), config)
    rendered = render(template, context, language)
    texts = {"subject": rendered.subject, "text": rendered.text}
    if template == "formal_notice":
        texts["letter"] = letter_text(context, language)
    problems = [f"{part}: {p}" for part, text in texts.items() for p in _mistakes(text, language)]
    body = re.sub("[\u00a0\u202f]", " ", rendered.text)  # Babel's no-break spaces
    single = len(context["items"]) == 1
    words = {"fr": ("la facture suivante", "les factures suivantes", "l'échéance suivante",
                    "les échéances suivantes"),
             "en": ("the following invoice ", "the following invoices", "the following instalment ",
                    "the following instalments")}[language]
    one, many = (words[2], words[3]) if case == "instalments" else (words[0], words[1])
    if single and many in body or not single and one in body.replace(many, ""):
        problems.append(f"singular/plural of the list: {body.splitlines()[2]!r}")
    # consistent subjects: the sender's name opens every level's subject
    if not rendered.subject.startswith(f"{SENDER} – "):
        problems.append(f"subject without the sender's name: {rendered.subject!r}")
    if case == "instalments":
        label = "Échéance 1/2 de la facture F-3" if language == "fr" else \
            "Instalment 1/2 of invoice F-3"
        if label not in body:
            problems.append(f"instalment not labelled {label!r}")
        if "restant dû sur" in body or "outstanding of" in body:
            problems.append("an unpaid instalment is shown as partly paid")
    if case == "several" and ("380,50 € restant dû sur 500,00 €" not in body
                              and "€380.50 outstanding of €500.00" not in body):
        problems.append("a partly paid invoice does not say what is left of what")
    if days == 1 and ("(1 jour de retard)" not in body and "(1 day overdue)" not in body):
        problems.append("one day late is not said in the singular")
    soon = "prochainement" in body or "due shortly" in body or "due soon" in rendered.subject
    today_words = "aujourd'hui" in body or "today" in body
    if template == "courtesy" and (soon != (when == "soon") or (when == "today") != today_words):
        problems.append(f"the courtesy note does not match the day ({when}): {body.splitlines()[2]!r}")
    if kind == "individual" and re.search(r"L\.? ?441-10", body):
        problems.append("B2B late-payment law quoted to a consumer")
    assert not problems, "\n".join(problems) + "\n\n" + rendered.subject + "\n" + body


def test_the_engine_labels_instalments_with_their_own_amount() -> None:
    due = dt.date(2026, 10, 1)
    split = invoice("I1", due + dt.timedelta(days=60), "3000.00", instalments=(
        Instalment(due_date=due, amount=Decimal(900), residual=Decimal(900)),
        Instalment(due_date=due + dt.timedelta(days=60), amount=Decimal(2100),
                   residual=Decimal(2100))))
    policy = default_policy().model_copy(update={"calendar": "none"})
    intents = list(evaluate(policy, [(customer(), [split])], History(), due + dt.timedelta(days=3),
                            tenant="t", source="demo"))
    item = next(i for i in intents if i.channel == "email").items[0]
    assert (item.instalment, item.instalments, item.total, item.residual) == \
        (1, 2, Decimal(900), Decimal(900))
    context = template_context(next(i for i in intents if i.channel == "email"), _config())
    text = render("first", context, "fr").text
    assert "Échéance 1/2 de la facture F-I1 du 31 octobre 2026" in text
    assert "restant dû sur" not in text
