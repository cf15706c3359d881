"""The customer's ladder, proved over random ledgers, payments and day sequences (issue 13).

Each example plays evaluate() over a sequence of days on a random ledger of a few customers:
invoices appear on their issue date and disappear when paid; every message planned is recorded
the way the outbox records it (items at the message's level, the customer's last message as its
stage). Then, whatever the ledger:

1. every invoice a message lists is recorded at that message's level;
2. an invoice's levels strictly increase across the messages that list it (no level twice);
3. while an invoice of a customer's last message is unpaid, the next message's level is not lower;
4. no courtesy note to a customer with an overdue invoice;
5. a formal notice lists only invoices that had an earlier overdue reminder and the final one;
6. an invoice's first overdue reminder is the first level, unless it joins the next message of a
   customer already in escalation (an invoice an earlier overdue reminder listed is unpaid);
7. an open credit note is deducted once per customer: a message deducts at most what the credit
   notes leave after the customer's other late invoices, and never asks for a negative amount.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.models import Invoice
from connector.rules.engine import History, ReminderIntent, evaluate
from connector.rules.ladder import Stage
from connector.rules.policy import Level, Policy
from tests.helpers import customer, invoice

START = dt.date(2026, 1, 5)
LEVELS = (
    Level(name="courtesy", days=-3, template="courtesy"),
    Level(name="first", days=1, template="first"),
    Level(name="second", days=7, channel=("email", "task"), template="second"),
    Level(name="final", days=20, channel=("email", "task"), template="final"),
    Level(name="formal_notice", basis="previous_reminder", days=10,
          channel=("letter", "email"), template="formal_notice"),
)
RANK = {level.name: n for n, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Bill:
    iid: str
    cid: str
    issued: int  # day offset from START
    terms: int
    amount: int
    paid_on: int | None  # day offset, None: never
    credit: bool = False

    def due(self) -> dt.date:
        return START + dt.timedelta(days=self.issued + self.terms)

    def open_on(self, day: int) -> bool:
        return self.issued <= day and (self.paid_on is None or day < self.paid_on)

    def record(self) -> Invoice:
        return invoice(self.iid, self.due(), f"{self.amount}.00", customer_id=self.cid,
                       kind="credit_note" if self.credit else "invoice",
                       issue_date=START + dt.timedelta(days=self.issued))


@st.composite
def ledgers(draw: st.DrawFn) -> list[Bill]:
    bills = []
    for n in range(draw(st.integers(1, 9))):
        issued = draw(st.integers(-150, 60))
        paid = draw(st.one_of(st.none(), st.integers(issued, 120)))
        bills.append(Bill(f"I{n}", draw(st.sampled_from(["C1", "C2", "C3"])), issued,
                          draw(st.sampled_from([0, 15, 30, 45])), draw(st.integers(20, 900)),
                          paid, credit=draw(st.integers(0, 5)) == 0))
    return bills


@dataclass
class Book:
    """What the outbox would hold: the messages planned, and the history they make."""

    messages: list[tuple[dt.date, ReminderIntent]] = field(default_factory=list)
    levels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    dates: dict[str, dict[str, dt.date]] = field(default_factory=lambda: defaultdict(dict))
    contact: dict[str, dt.date] = field(default_factory=dict)
    stages: dict[tuple[str, str], Stage] = field(default_factory=dict)
    covered: set[tuple[str, str, str]] = field(default_factory=set)

    def history(self) -> History:
        return History(levels={k: set(v) for k, v in self.levels.items()}, last_contact=dict(
            self.contact), dates={k: dict(v) for k, v in self.dates.items()},
            stages=dict(self.stages))

    def record(self, day: dt.date, intents: list[ReminderIntent]) -> None:
        for intent in intents:
            for item in intent.items:
                key = (item.item_id, intent.level, intent.channel)
                assert key not in self.covered, f"{key} planned twice"
                self.covered.add(key)
                self.levels[item.item_id].add(intent.level)
                self.dates[item.item_id].setdefault(intent.level, day)
            self.contact[intent.customer_id] = day
            self.stages[(intent.customer_id, intent.currency)] = Stage(
                intent.level, day, frozenset(i.item_id for i in intent.items))
            if intent.channel != "task":
                self.messages.append((day, intent))


def play(bills: list[Bill], days: list[int], policy: Policy) -> Book:
    book = Book()
    for offset in days:
        day = START + dt.timedelta(days=offset)
        ledger = []
        for cid in ("C1", "C2", "C3"):
            records = [b.record() for b in bills if b.cid == cid and b.open_on(offset)]
            if records:
                ledger.append((customer(cid), records))
        book.record(day, list(evaluate(policy, ledger, book.history(), day, tenant="t",
                                       source="demo")))
    return book


def unpaid_on(bills: list[Bill], item_id: str, day: dt.date) -> bool:
    bill = next(b for b in bills if b.iid == item_id)
    return bill.open_on((day - START).days)


def check(bills: list[Bill], book: Book) -> None:
    per_item: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    last: dict[str, tuple[dt.date, ReminderIntent]] = {}
    sent: dict[str, list[tuple[dt.date, ReminderIntent]]] = defaultdict(list)
    for day, intent in book.messages:
        if intent.channel == "letter":
            continue  # the letter and its email are one message
        assert all(i.level == intent.level for i in intent.items)  # 1
        for item in intent.items:
            per_item[item.item_id].append((day, intent.level))
        before = last.get(intent.customer_id)
        if before is not None and any(unpaid_on(bills, i.item_id, day)
                                      for i in before[1].items):
            assert RANK[intent.level] >= RANK[before[1].level], (before, intent)  # 3
        # in escalation: an invoice an earlier overdue reminder listed is still unpaid (not
        # only one of the last message's: that one may list a newer invoice, paid since)
        escalating = any(
            earlier.level != "courtesy" and any(unpaid_on(bills, i.item_id, day)
                                                for i in earlier.items)
            for when, earlier in sent.get(intent.customer_id, ()) if when < day)
        last[intent.customer_id] = (day, intent)
        sent[intent.customer_id].append((day, intent))
        if intent.level == "courtesy":  # 4
            assert not any(b.cid == intent.customer_id and not b.credit
                           and b.open_on((day - START).days) and b.due() < day for b in bills)
        for item in intent.items:
            earlier = [level for when, level in per_item[item.item_id] if when < day]
            if intent.level == "formal_notice":  # 5
                assert "final" in earlier and set(earlier) & {"first", "second", "final"}
            if not set(earlier) - {"courtesy"} and intent.level != "courtesy":  # 6
                # gentle: it starts at the first level, or joins the customer's escalation
                assert intent.level == "first" or escalating, (item, intent)
        others = sum((i.residual for i in intent.statement
                      if i.days_late > 0 and i.item_id not in {x.item_id for x in intent.items}),
                     Decimal(0))
        assert intent.credits <= max(sum((c.residual for c in intent.credit_notes), Decimal(0))
                                     - others, Decimal(0))  # 7
        assert intent.amount_to_pay > 0
    for item_id, seen in per_item.items():  # 2
        ranks = [RANK[level] for _day, level in sorted(seen, key=lambda s: (s[0], RANK[s[1]]))]
        assert all(b > a for a, b in pairwise(ranks)), (item_id, seen)


DAYS = st.lists(st.integers(0, 120), min_size=1, max_size=40, unique=True).map(sorted)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(bills=ledgers(), days=DAYS, gap=st.sampled_from([0, 1, 5]))
def test_one_escalation_per_customer_joining(bills: list[Bill], days: list[int], gap: int) -> None:
    policy = Policy(levels=LEVELS, calendar="none", min_gap_days=gap)
    check(bills, play(bills, days, policy))


@SETTINGS
@given(bills=ledgers(), days=DAYS)
def test_one_escalation_per_customer_at_own_pace(bills: list[Bill], days: list[int]) -> None:
    policy = Policy(levels=LEVELS, calendar="none", new_invoices="own_pace")
    book = play(bills, days, policy)
    check(bills, book)


@SETTINGS
@given(bills=ledgers(), days=DAYS)
def test_resuming_keeps_the_ladder_too(bills: list[Bill], days: list[int]) -> None:
    """`resume` may start high, but still never skips to a formal notice nor goes back."""
    policy = Policy(levels=LEVELS, calendar="none", onboarding="resume")
    book = play(bills, days, policy)
    for day, intent in book.messages:
        assert all(i.level == intent.level for i in intent.items)
        if intent.level == "formal_notice":
            assert all("final" in book.levels[i.item_id] and book.dates[i.item_id]["final"] < day
                       for i in intent.items)


def test_a_credit_note_is_deducted_once_per_customer() -> None:
    """The issue's case: 717 € late on two invoices, one 250 € credit note: 467 € owed net. Five
    days later the invoice due for its second reminder is still chased (its 96.60 € are not
    swallowed again by the credit note already set against the other invoice)."""
    policy = Policy(levels=LEVELS, calendar="none", new_invoices="own_pace", onboarding="resume")
    due = dt.date(2026, 10, 1)
    ledger = [(customer(), [
        invoice("A", due, "96.60"), invoice("B", due + dt.timedelta(days=5), "620.40"),
        invoice("AV", due, "250.00", kind="credit_note")])]
    day1 = due + dt.timedelta(days=6)
    first = [i for i in evaluate(policy, ledger, History(), day1, tenant="t", source="demo")
             if i.channel == "email"]
    assert [(i.level, i.amount_to_pay) for i in first] == [("first", Decimal("467.00"))]
    book = Book()
    book.record(day1, first)
    later = [i for i in evaluate(policy, ledger, book.history(), day1 + dt.timedelta(days=5),
                                 tenant="t", source="demo") if i.channel == "email"]
    assert [(i.level, [x.number for x in i.items]) for i in later] == [("second", ["F-A"])]
    assert later[0].amount_to_pay == Decimal("96.60")  # the credit went against B already


def test_after_a_courtesy_note_the_first_overdue_reminder_is_the_first_level_at_own_pace() -> None:
    """Found by the properties above: a courtesy note, then no run until the invoice is 7 days
    late. At its own pace it climbed "to meet the stage" as if the courtesy note were an
    escalation, and its first overdue reminder was the second level."""
    bills = [Bill("I0", "C1", issued=-22, terms=45, amount=20, paid_on=None)]
    policy = Policy(levels=LEVELS, calendar="none", new_invoices="own_pace")
    book = play(bills, [20, 30], policy)
    assert [(day.isoformat(), intent.level) for day, intent in book.messages] == [
        ("2026-01-25", "courtesy"), ("2026-02-04", "first")]
    check(bills, book)


def test_a_new_invoice_joins_an_escalation_whose_last_message_was_paid() -> None:
    """Found by the properties above: I0 is in escalation (first on day 44, unpaid); I4 had a
    first reminder of its own, then was paid; I5, newly late, joins I0's second reminder. The
    customer is still in escalation, though its last message's invoice is paid."""
    bills = [Bill("I0", "C2", issued=0, terms=15, amount=20, paid_on=None),
             Bill("I4", "C2", issued=0, terms=45, amount=20, paid_on=54),
             Bill("I5", "C2", issued=42, terms=15, amount=20, paid_on=None)]
    policy = Policy(levels=LEVELS, calendar="none", min_gap_days=0)
    book = play(bills, [0, 1, 2, 44, 49, 58], policy)
    assert [(intent.level, [i.item_id for i in intent.items]) for _d, intent in book.messages] \
        == [("first", ["I0"]), ("first", ["I4"]), ("second", ["I0", "I5"])]
    check(bills, book)
