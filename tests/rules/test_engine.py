"""The rules a user relies on, one test each (issue: the foundation's point 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connector.models import Instalment
from connector.rules.engine import History, ReminderIntent, evaluate
from connector.rules.policy import Level, Policy, default_policy
from tests.helpers import customer, invoice

DUE = dt.date(2026, 10, 1)
POLICY = default_policy()


def plan(ledger, today, history=None, policy=POLICY) -> list[ReminderIntent]:
    # These tests are about levels, not the calendar: every day counts as a business day here
    # (tests/rules/test_calendar.py covers weekends and holidays).
    policy = policy.model_copy(update={"calendar": "none"})
    return list(evaluate(policy, ledger, history or History(), today, tenant="t", source="demo"))


def day(offset: int) -> dt.date:
    return DUE + dt.timedelta(days=offset)


@pytest.mark.parametrize(("offset", "expected"), [
    (-10, []), (-3, ["courtesy"]), (-1, ["courtesy"]), (0, ["courtesy"]), (1, ["first"]),
    (6, ["first"]), (7, ["second"]), (19, ["second"]), (20, ["final"]), (200, ["final"]),
])
def test_level_reached_by_days_late(offset: int, expected: list[str]) -> None:
    intents = plan([(customer(), [invoice("I1", DUE)])], day(offset))
    assert sorted({i.level for i in intents}) == expected


def test_on_the_due_date_an_invoice_is_not_late() -> None:
    policy = Policy(levels=(Level(name="first", days=1, template="first"),))
    assert plan([(customer(), [invoice("I1", DUE)])], DUE, policy=policy) == []
    assert [i.level for i in plan([(customer(), [invoice("I1", DUE)])], day(1),
                                  policy=policy)] == ["first"]


def test_a_level_is_never_planned_twice_for_the_same_invoice() -> None:
    ledger = [(customer(), [invoice("I1", DUE)])]
    first = plan(ledger, day(2))
    history = History(levels={"I1": {"first"}})
    assert [i.level for i in first] == ["first"]
    assert plan(ledger, day(3), history) == []
    assert plan(ledger, day(6), history) == []
    assert [i.level for i in plan(ledger, day(7), history) if i.channel == "email"] == ["second"]


def test_first_seen_already_late_gets_only_the_highest_level_due() -> None:
    intents = plan([(customer(), [invoice("I1", DUE)])], day(45))
    assert {i.level for i in intents} == {"final"}
    assert sorted(i.channel for i in intents) == ["email", "task"]


def test_no_step_back_after_a_higher_level() -> None:
    history = History(levels={"I1": {"final"}})
    assert plan([(customer(), [invoice("I1", DUE)])], day(60), history) == []


@pytest.mark.parametrize("status", ["paid", "cancelled", "disputed"])
def test_nothing_for_paid_cancelled_or_disputed(status: str) -> None:
    ledger = [(customer(), [invoice("I1", DUE, status=status, residual="0" if status != "disputed"
                                    else "100.00")])]
    assert plan(ledger, day(10)) == []


def test_nothing_for_a_fully_credited_invoice() -> None:
    credited = invoice("I1", DUE, status="cancelled", residual="0")
    note = invoice("A1", DUE, kind="credit_note", status="paid", residual="0",
                   credited_invoice_id="I1")
    assert plan([(customer(), [credited, note])], day(10)) == []


def test_partial_payment_reminds_for_the_amount_still_due() -> None:
    intents = plan([(customer(), [invoice("I1", DUE, "1000.00", residual="400.00",
                                          status="partial")])], day(2))
    assert intents[0].amount_to_pay == Decimal("400.00")
    assert intents[0].items[0].total == Decimal("1000.00")


def test_open_credit_note_is_shown_and_deducted() -> None:
    ledger = [(customer(), [invoice("I1", DUE, "1000.00"),
                            invoice("A1", day(-5), "150.00", kind="credit_note")])]
    intent = plan(ledger, day(2))[0]
    assert [c.number for c in intent.credit_notes] == ["F-A1"]
    assert intent.amount_due == Decimal("1000.00")
    assert intent.amount_to_pay == Decimal("850.00")


def test_credit_note_covering_everything_means_no_reminder() -> None:
    ledger = [(customer(), [invoice("I1", DUE, "100.00"),
                            invoice("A1", day(-5), "150.00", kind="credit_note")])]
    assert plan(ledger, day(2)) == []


def test_customer_without_email_gets_a_task_instead() -> None:
    intents = plan([(customer(email=None), [invoice("I1", DUE)])], day(2))
    assert [(i.level, i.channel) for i in intents] == [("first", "task")]


def test_billing_contact_email_is_used() -> None:
    from connector.models import Contact
    who = customer(email=None, contacts=(Contact(name="Compta", email="factures@client.fr"),))
    intents = plan([(who, [invoice("I1", DUE)])], day(2))
    assert intents[0].channel == "email" and intents[0].recipients == ("factures@client.fr",)


def test_do_not_dun_customers_get_nothing() -> None:
    assert plan([(customer(do_not_dun=True), [invoice("I1", DUE)])], day(30)) == []


def test_one_message_per_customer_grouping_the_late_invoices() -> None:
    ledger = [(customer(), [invoice("I1", day(-30)), invoice("I2", DUE), invoice("I3", day(40))])]
    intents = plan(ledger, day(2))
    assert [i.channel for i in intents] == ["email", "task"]
    email = next(i for i in intents if i.channel == "email")
    assert email.level == "final"  # the oldest invoice leads
    assert [x.item_id for x in email.items] == ["I1", "I2"]
    assert [x.level for x in email.items] == ["final", "first"]
    assert {x.item_id for x in email.statement} == {"I1", "I2", "I3"}


def test_per_invoice_grouping() -> None:
    policy = default_policy().model_copy(update={"grouping": "invoice"})
    ledger = [(customer(), [invoice("I1", day(-3)), invoice("I2", DUE)])]
    intents = [i for i in plan(ledger, day(2), policy=policy) if i.channel == "email"]
    assert sorted(len(i.items) for i in intents) == [1, 1]


def test_instalments_are_chased_on_their_own_dates() -> None:
    split = invoice("I1", day(60), "3000.00", instalments=(
        Instalment(due_date=DUE, amount=Decimal(900), residual=Decimal(900)),
        Instalment(due_date=day(60), amount=Decimal(2100), residual=Decimal(2100))))
    intents = plan([(customer(), [split])], day(2))
    assert [x.item_id for x in intents[0].items] == ["I1#1"]
    assert intents[0].amount_to_pay == Decimal("900.00")


def test_the_same_plan_gives_the_same_keys() -> None:
    ledger = [(customer(), [invoice("I1", DUE), invoice("I2", DUE)])]
    assert [i.key for i in plan(ledger, day(2))] == [i.key for i in plan(ledger, day(2))]
    other = list(evaluate(POLICY.model_copy(update={"calendar": "none"}), ledger, History(), day(2), tenant="other", source="demo"))
    assert {i.key for i in other}.isdisjoint({i.key for i in plan(ledger, day(2))})


def test_minimum_gap_between_two_messages_to_a_customer() -> None:
    ledger = [(customer(), [invoice("I1", DUE), invoice("I2", day(3))])]
    history = History(levels={"I1": {"first"}}, last_contact={"C1": day(2)})
    assert plan(ledger, day(4), history) == []  # I2 is late too, but C1 was written to 2 days ago
    assert [i.level for i in plan(ledger, day(7), history) if i.channel == "email"] == ["second"]


def test_levels_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="increasing"):
        Policy(levels=(Level(name="a", days=5, template="first"),
                       Level(name="b", days=1, template="first")))
