"""Which invoices a bank credit pays: a confident match needs the exact amount and a second sign
(the number cited, or the customer named and no other invoice due for that amount); a partial
payment or an amount several customers owe is left for a person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connector.models import BankCredit, Customer, Invoice
from connector.rules.bank import cites, match, names, normalize
from tests.helpers import customer, invoice

DUE = dt.date(2026, 10, 31)


def credit(amount: str, text: str = "", payer: str = "", currency: str = "EUR") -> BankCredit:
    return BankCredit(reference="r1", date=dt.date(2026, 11, 25), amount=Decimal(amount),
                      currency=currency, payer=payer, text=text)


def books() -> list[tuple[Customer, list[Invoice]]]:
    martin = customer("C1", name="SARL Boulangerie Martin")
    lefevre = customer("C2", name="Menuiserie Lefèvre SAS")
    rousseau = customer("C3", name="Garage Rousseau")
    cafe = customer("C4", name="Café du Théâtre")
    return [
        (martin, [invoice("1", DUE, "1450.00", customer_id="C1", number="FA-2026-0101"),
                  invoice("2", DUE, "320.00", customer_id="C1", number="FA-2026-0102")]),
        (lefevre, [invoice("3", DUE, "2400.00", customer_id="C2", number="FA-2026-0103")]),
        (rousseau, [invoice("4", DUE, "780.00", customer_id="C3", number="FA-2026-0104"),
                    invoice("5", DUE, "540.00", customer_id="C3", number="FA-2026-0105")]),
        (cafe, [invoice("6", DUE, "780.00", customer_id="C4", number="FA-2026-0106")]),
    ]


def test_the_number_and_the_amount_are_a_confident_match() -> None:
    found = match(credit("1450.00", "REGLEMENT FACTURE FA-2026-0101"), books())
    assert found.verdict == "confident"
    assert found.best is not None and found.best.invoice_ids == ("1",)
    assert found.best.score == 100


@pytest.mark.parametrize("text", ["FACT FA 2026 0101", "fa20260101", "Facture n°2026-0101"])
def test_the_number_as_payers_write_it(text: str) -> None:
    found = match(credit("1450.00", text), books())
    assert found.verdict == "confident" and found.best is not None
    assert found.best.numbers == ("FA-2026-0101",)


def test_several_invoices_of_one_customer_paid_at_once() -> None:
    cited = match(credit("1770.00", "FA-2026-0101 + FA-2026-0102"), books())
    assert cited.verdict == "confident" and cited.best is not None
    assert cited.best.invoice_ids == ("1", "2")
    named = match(credit("1320.00", payer="GARAGE ROUSSEAU"), books())
    assert named.verdict == "confident" and named.best is not None
    assert named.best.invoice_ids == ("4", "5")  # 780 + 540, the customer named by the bank


def test_a_partial_payment_is_not_confident() -> None:
    found = match(credit("1000.00", "Acompte facture FA-2026-0103", "MENUISERIE LEFEVRE"),
                  books())
    assert found.verdict == "partial"
    assert found.best is not None and found.best.invoice_ids == ("3",)


def test_an_amount_two_customers_owe_is_ambiguous() -> None:
    found = match(credit("780.00", "VIREMENT SEPA RECU"), books())
    assert found.verdict == "ambiguous"
    assert {found.best.invoice_ids if found.best else ()} | {o.invoice_ids
                                                             for o in found.others} >= {("4",),
                                                                                        ("6",)}


def test_the_name_settles_an_amount_two_customers_owe() -> None:
    found = match(credit("780.00", "VIR SEPA RECU /DE CAFE DU THEATRE"), books())
    assert found.verdict == "confident" and found.best is not None
    assert found.best.invoice_ids == ("6",)


def test_an_amount_alone_is_not_enough() -> None:
    found = match(credit("2400.00", "VIREMENT"), books())
    assert found.verdict == "review"  # the only invoice at that amount, but nothing else says so
    assert found.best is not None and found.best.score == 60


def test_another_currency_or_an_unknown_amount_matches_nothing() -> None:
    assert match(credit("1450.00", "FA-2026-0101", currency="USD"), books()).verdict == "none"
    assert match(credit("99.99", "VIREMENT"), books()).verdict == "none"


def test_an_invoice_already_paid_elsewhere_in_the_text_does_not_mislead() -> None:
    # the longer number FA-2026-01010 is not FA-2026-0101
    assert cites(normalize("FA-2026-01010"), "FA-2026-0101") is None
    assert cites(normalize("ref 2026-0101"), "FA-2026-0101") == "digits"


def test_names_ignore_legal_forms_and_accents() -> None:
    assert names(normalize("VIR MENUISERIE LEFEVRE"), "Menuiserie Lefèvre SAS")
    assert not names(normalize("VIR SAS"), "SAS")  # nothing but a legal form: never a name
    assert not names(normalize("MENUISERIE DUPONT"), "Menuiserie Lefèvre SAS")


def test_the_minimum_score_is_configurable() -> None:
    text = "VIR SEPA RECU /DE CAFE DU THEATRE"
    assert match(credit("780.00", text), books(), min_score=80).verdict == "confident"
    # 80 points are not 100: and another customer owes 780,00 too
    assert match(credit("780.00", text), books(), min_score=100).verdict == "ambiguous"
