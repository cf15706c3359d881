"""Credit notes go to the invoice they credit; only credits on the account come off the total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connector.config import parse_config
from connector.delivery.messages import template_context
from connector.delivery.render import render
from connector.rules.engine import History, ReminderIntent, evaluate
from connector.rules.policy import Level, Policy
from tests.helpers import BASE_CONFIG, customer, invoice

TODAY = dt.date(2026, 11, 27)
POLICY = Policy(calendar="none", levels=(
    Level(name="first", days=1, template="first"),
    Level(name="final", days=20, template="final"),))


def plan(invoices: list) -> list[ReminderIntent]:
    return list(evaluate(POLICY, [(customer(), invoices)], History(), TODAY, tenant="t",
                         source="demo"))


def late(iid: str, days: int, amount: str) -> object:
    return invoice(iid, TODAY - dt.timedelta(days=days), amount)


def credit(iid: str, amount: str, credits: str | None) -> object:
    return invoice(iid, TODAY - dt.timedelta(days=40), amount, kind="credit_note",
                   credited_invoice_id=credits)


def test_a_credit_note_of_a_not_yet_due_invoice_is_not_taken_off_an_overdue_one() -> None:
    # the bug of the issue: AV on F-SOON was deducted from F-LATE in a final reminder
    ledger = [late("LATE", 30, "1000.00"), invoice("SOON", TODAY + dt.timedelta(days=10),
                                                   "400.00"), credit("AV", "400.00", "SOON")]
    (intent,) = plan(ledger)
    assert [i.number for i in intent.items] == ["F-LATE"]
    assert intent.credit_notes == () and intent.amount_to_pay == Decimal("1000.00")


def test_a_credit_note_of_a_listed_invoice_comes_off_that_invoice() -> None:
    ledger = [late("A", 30, "1000.00"), late("B", 25, "300.00"), credit("AV", "250.00", "B")]
    (intent,) = plan(ledger)
    assert {i.number for i in intent.items} == {"F-A", "F-B"}
    assert [(c.number, c.credited_invoice_id) for c in intent.credit_notes] == [("F-AV", "B")]
    assert intent.amount_to_pay == Decimal("1050.00")
    text = words(intent)
    assert "Avoir déduit de la facture qu'il corrige" in text  # one credit note: singular
    assert "Avoir F-AV du" in text and "sur la facture F-B : -250,00 €" in text
    assert "déduits du total" not in text


def test_an_invoice_its_credit_note_covers_is_not_asked_for() -> None:
    ledger = [late("A", 30, "1000.00"), late("B", 25, "300.00"), credit("AV", "300.00", "B")]
    (intent,) = plan(ledger)
    assert [i.number for i in intent.items] == ["F-A"] and intent.credit_notes == ()
    assert intent.amount_to_pay == Decimal("1000.00")


def test_a_credit_on_the_account_is_shown_apart_and_deducted_from_the_total() -> None:
    # unlinked, or linked to an invoice that is no longer open: a credit on the account
    ledger = [late("A", 30, "1000.00"), credit("AV1", "100.00", None),
              invoice("PAID", TODAY - dt.timedelta(days=90), "50.00", residual="0",
                      status="paid"), credit("AV2", "50.00", "PAID")]
    (intent,) = plan(ledger)
    assert {c.number for c in intent.credit_notes} == {"F-AV1", "F-AV2"}
    assert all(c.credited_invoice_id is None for c in intent.credit_notes)
    assert intent.amount_to_pay == Decimal("850.00")
    text = words(intent)
    assert "Avoirs en votre faveur, déduits du total" in text and "sur la facture" not in text
    assert "Montant à régler : 850,00 €" in text


def words(intent: ReminderIntent) -> str:
    config = parse_config(BASE_CONFIG.format(tenant="t", seed=1, anchor="2026-11-27",
                                             state="sqlite:///:memory:"))
    text = render(intent.template, template_context(intent, config), "fr").text
    return text.replace("\xa0", " ").replace("\u202f", " ")  # Babel's no-break spaces
