"""One message per customer per day whatever the currencies: one email with a section per
currency, each with its own level and total, never summed; each currency climbs its own ladder."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from connector.config import load_config
from connector.delivery.messages import template_context
from connector.delivery.render import render
from connector.formatting import money
from connector.rules.engine import History, ReminderIntent, evaluate
from connector.rules.payload import ReminderPayload
from connector.rules.policy import Policy, default_policy
from connector.store import outbox
from connector.store.store import Store
from tests.helpers import NOW, customer, invoice, write_config

DUE = dt.date(2026, 10, 1)
POLICY = default_policy().model_copy(update={"calendar": "none", "onboarding": "resume"})
LEDGER = [(customer(), [invoice("1", DUE, "1000.00", currency="EUR"),
                        invoice("2", DUE, "500.00", currency="USD"),
                        invoice("3", DUE + dt.timedelta(days=3), "200.00", currency="USD")])]


def plan(today: dt.date, history: History | None = None, policy: Policy = POLICY
         ) -> list[ReminderIntent]:
    return list(evaluate(policy, LEDGER, history or History(), today, tenant="t",
                         source="demo"))


def test_two_currencies_make_one_email_with_a_section_each() -> None:
    # EUR had its first reminder a week ago; the USD invoices were never chased
    history = History(levels={"1": {"first"}}, dates={"1": {"first": DUE + dt.timedelta(1)}},
                      last_contact={"C1": DUE + dt.timedelta(1)})
    gentle = POLICY.model_copy(update={"onboarding": "gentle"})
    intents = plan(DUE + dt.timedelta(days=8), history, gentle)
    [email] = [i for i in intents if i.channel == "email"]
    assert (email.currency, email.level) == ("EUR", "second")  # the higher stage leads
    [usd] = email.others
    assert usd.currency == "USD" and [i.invoice_id for i in usd.items] == ["2", "3"]
    assert {i.level for i in usd.items} <= {"first", "courtesy"}  # its own ladder, no skipping
    assert email.invoice_ids == ["1", "2", "3"]
    # the same plan gives the same key; it differs from the EUR-only message's
    again = [i for i in plan(DUE + dt.timedelta(days=8), history, gentle)
             if i.channel == "email"]
    assert again[0].key == email.key
    assert ReminderPayload.from_json(email.to_json()) == email  # kept whole in the outbox


def test_the_email_states_a_total_per_currency_never_a_sum(tmp_path: Path) -> None:
    [email] = [i for i in plan(DUE + dt.timedelta(days=10)) if i.channel == "email"]
    config = load_config(write_config(tmp_path))
    text = render(email.template, template_context(email, config), "fr").text
    assert (email.currency, [o.currency for o in email.others]) == ("USD", ["EUR"])  # more items
    assert f"Montant à régler en USD : {money(Decimal('700.00'), 'USD', 'fr')}" in text
    assert "Factures en EUR :" in text
    assert f"Montant à régler en EUR : {money(Decimal('1000.00'), 'EUR', 'fr')}" in text
    assert "Factures en USD :" not in text  # the leading section is the message's own
    for summed in ("1700", "1500", "1200"):  # no total across currencies, in any spacing
        assert summed not in "".join(text.split()).replace("\u202f", "").replace("\xa0", "")
    english = render(email.template, template_context(email, config), "en").text
    assert f"Amount to pay in EUR: {money(Decimal('1000.00'), 'EUR', 'en')}" in english
    assert "Invoices in EUR:" in english


def test_each_currency_keeps_its_own_stage_in_the_outbox(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    planned = plan(DUE + dt.timedelta(days=10))
    assert len([i for i in planned if i.channel == "email"]) == 1
    outbox.enqueue(store, planned, now=NOW)
    known = outbox.history(store, "t", "demo")
    assert known.levels["2"] == known.levels["1"]  # both at the level their message had
    stages = {currency: stage.level for (cid, currency), stage in known.stages.items()}
    assert set(stages) == {"EUR", "USD"}
    # nothing twice: the next day plans nothing new for either currency
    assert [i for i in plan(DUE + dt.timedelta(days=11), known) if i.channel == "email"] == []
    store.close()


def test_a_single_currency_message_is_unchanged() -> None:
    ledger = [(customer(), [invoice("1", DUE, "1000.00")])]
    [email] = [i for i in evaluate(POLICY, ledger, History(), DUE + dt.timedelta(days=10),
                                   tenant="t", source="demo") if i.channel == "email"]
    assert email.others == () and dataclasses.asdict(email)["others"] == ()
