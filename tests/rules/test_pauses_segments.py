"""Pauses, segments, per-customer overrides and the tolerance, as the engine applies them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from connector.rules.engine import Decision, History, evaluate
from connector.rules.pauses import Pause
from connector.rules.policy import CustomerOverride, Level, Policy, Segment, default_policy
from connector.rules.segments import Rulebook
from tests.helpers import customer, invoice, write_config

D = dt.date
DUE = D(2026, 11, 2)  # a Monday
TODAY = D(2026, 11, 27)  # a Friday, J+25
POLICY = default_policy()


def plan(policy, ledger, today=TODAY, history=None, pauses=(), trace=None):
    return list(evaluate(policy, ledger, history or History(), today, tenant="t", source="demo",
                         pauses=pauses, trace=trace))


def emails(intents):
    return [i for i in intents if i.channel == "email"]


def test_disputed_and_promised_invoices_get_nothing_the_others_do() -> None:
    ledger = [(customer(), [invoice("I1", DUE), invoice("I2", DUE), invoice("I3", DUE)])]
    pauses = [Pause("invoice", "I1", "dispute", reason="quantité contestée"),
              Pause("invoice", "I2", "promise", until=D(2026, 12, 4))]
    intent = emails(plan(POLICY, ledger, pauses=pauses))[0]
    assert [x.item_id for x in intent.items] == ["I3"]
    assert {x.item_id for x in intent.statement} == {"I3"}  # not even listed as "other open"


def test_a_paused_customer_gets_nothing_until_the_date_passes() -> None:
    ledger = [(customer(), [invoice("I1", DUE)])]
    pause = [Pause("customer", "C1", "pause", until=D(2026, 11, 30), reason="congés")]
    trace: list[Decision] = []
    assert plan(POLICY, ledger, pauses=pause, trace=trace) == []
    assert any(d.topic == "pause" and "congés" in d.text for d in trace)
    assert emails(plan(POLICY, ledger, today=D(2026, 12, 1), pauses=pause))


def test_a_broken_promise_resumes_at_the_next_level_not_the_same_one() -> None:
    ledger = [(customer(), [invoice("I1", DUE)])]
    # "second" went out at J+7 (9 Nov); the customer promised to pay by 13 Nov.
    history = History(levels={"I1": {"second"}}, dates={"I1": {"second": D(2026, 11, 9)}},
                      last_contact={"C1": D(2026, 11, 9)})
    promise = [Pause("invoice", "I1", "promise", until=D(2026, 11, 13))]
    assert plan(POLICY, ledger, D(2026, 11, 13), history, promise) == []  # still promised
    # 16 Nov (J+14): "final" is normally due at J+20, but the promise was broken: go on now
    broken = emails(plan(POLICY, ledger, D(2026, 11, 16), history, promise))
    assert [i.level for i in broken] == ["final"]
    # once the next level is out, the broken promise does not escalate again day after day
    later = History(levels={"I1": {"second", "final"}},
                    dates={"I1": {"second": D(2026, 11, 9), "final": D(2026, 11, 16)}},
                    last_contact={"C1": D(2026, 11, 16)})
    assert plan(POLICY, ledger, D(2026, 11, 24), later, promise) == []


def test_a_promise_made_before_any_reminder_changes_nothing_after_it() -> None:
    ledger = [(customer(), [invoice("I1", DUE)])]
    promise = [Pause("invoice", "I1", "promise", until=D(2026, 11, 4))]
    assert [i.level for i in emails(plan(POLICY, ledger, D(2026, 11, 5), pauses=promise))] \
        == ["first"]


GENTLE = Policy(name="gentle", min_gap_days=10,
                levels=(Level(name="gentle_first", days=15, template="first"),))


def book(*segments: Segment, overrides=None) -> Rulebook:
    default = POLICY.model_copy(update={"segments": segments})
    return Rulebook(default, {"gentle": GENTLE}, overrides or {})


@pytest.mark.parametrize(("segment", "who", "expected"), [
    (Segment(policy="gentle", tag="vip"), customer(tags=("vip",)), "gentle_first"),
    (Segment(policy="gentle", tag="vip"), customer(tags=("pme",)), "final"),
    (Segment(policy="gentle", kind="individual"), customer(kind="individual"), "gentle_first"),
    (Segment(policy="gentle", language="en"), customer(language="en"), "gentle_first"),
    (Segment(policy="gentle", max_amount_due=Decimal(50)), customer(), "final"),
    (Segment(policy="gentle", min_amount_due=Decimal(100)), customer(), "gentle_first"),
    (Segment(policy="gentle", min_days_late=30), customer(), "final"),
    (Segment(policy="gentle", min_score=0.8), customer(), "final"),  # no score known: no match
])
def test_segments_choose_the_policy(segment: Segment, who, expected: str) -> None:
    ledger = [(who, [invoice("I1", DUE)])]
    assert [i.level for i in emails(plan(book(segment), ledger))] == [expected]


def test_score_hook() -> None:
    ledger = [(customer(), [invoice("I1", DUE)])]
    rules = book(Segment(policy="gentle", min_score=0.8))
    intents = evaluate(rules, ledger, History(), TODAY, tenant="t", source="demo",
                       scores={"C1": 0.9})
    assert [i.level for i in emails(list(intents))] == ["gentle_first"]


def test_customer_overrides() -> None:
    ledger = [(customer("C1"), [invoice("I1", DUE)]),
              (customer("C2"), [invoice("I2", DUE, customer_id="C2")]),
              (customer("C3"), [invoice("I3", DUE, customer_id="C3")])]
    rules = book(overrides={
        "C1": CustomerOverride(email="factures@c1.fr", cc=("patron@c1.fr",), language="en"),
        "C2": CustomerOverride(policy="gentle"),
        "C3": CustomerOverride(do_not_dun=True)})
    by_customer = {i.customer_id: i for i in emails(plan(rules, ledger))}
    assert by_customer["C1"].recipients == ("factures@c1.fr",)
    assert by_customer["C1"].cc == ("patron@c1.fr",) and by_customer["C1"].language == "en"
    assert by_customer["C2"].level == "gentle_first" and by_customer["C2"].policy == "gentle"
    assert "C3" not in by_customer


def test_tolerance_ignores_small_residuals_and_min_amount_still_applies() -> None:
    policy = POLICY.model_copy(update={"tolerance": Decimal("2.00")})
    ledger = [(customer(), [invoice("I1", DUE, "500.00", residual="1.50", status="partial"),
                            invoice("I2", DUE, "80.00")])]
    intent = emails(plan(policy, ledger))[0]
    assert [x.item_id for x in intent.items] == ["I2"]
    assert plan(policy.model_copy(update={"min_amount": Decimal(80)}), ledger) == []


def test_config_named_policies_segments_and_customers(tmp_path: Path) -> None:
    extra = '''
[[policy.segments]]
policy = "gentle"
tag = "vip"

[policies.gentle]
min_gap_days = 10
[[policies.gentle.levels]]
name = "gentle_first"
days = 15
template = "first"

[customers."C00003"]
email = "factures@client.fr"
cc = "dg@client.fr"
policy = "gentle"
'''
    config = load_config(write_config(tmp_path, extra=extra))
    assert config.rulebook.named["gentle"].name == "gentle"
    assert config.customers["C00003"].cc == ("dg@client.fr",)
    bad = tmp_path / "bad"
    with pytest.raises(ConfigError, match="no policy named 'missing'"):
        load_config(write_config(bad, extra='[[policy.segments]]\npolicy = "missing"\n'))


def test_the_trace_says_why_nothing_goes_out_within_the_gap() -> None:
    ledger = [(customer(), [invoice("I1", DUE)])]
    history = History(last_contact={"C1": D(2026, 11, 25)})
    trace: list[Decision] = []
    assert plan(POLICY, ledger, history=history, trace=trace) == []
    gap = [d.text for d in trace if d.topic == "gap"]
    assert gap and "2026-11-25" in gap[0] and "5 day(s)" in gap[0]
    assert any(d.topic == "level" and "'final' reached" in d.text for d in trace)
