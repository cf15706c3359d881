"""Business days, French holidays, level bases and the send window."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from connector.rules.calendar import BusinessCalendar, SendWindow
from connector.rules.engine import History, evaluate
from connector.rules.policy import Level, Policy, default_policy
from tests.helpers import customer, invoice

FR = BusinessCalendar("france")
D = dt.date


def plan(policy, ledger, today, history=None):
    return list(evaluate(policy, ledger, history or History(), today, tenant="t", source="demo"))


@pytest.mark.parametrize(("day", "business"), [
    (D(2026, 11, 27), True),   # Friday
    (D(2026, 11, 28), False),  # Saturday
    (D(2026, 11, 29), False),  # Sunday
    (D(2026, 11, 11), False),  # Armistice, a Wednesday
    (D(2026, 5, 14), False),   # Ascension
    (D(2026, 5, 25), False),   # Whit Monday
    (D(2026, 4, 3), True),     # Good Friday: a working day in most of France
    (D(2026, 12, 26), False),  # a Saturday anyway
    (D(2025, 12, 26), True),   # Friday 26 Dec 2025: working day outside Alsace-Moselle
])
def test_french_business_days(day: dt.date, business: bool) -> None:
    assert FR.is_business_day(day) is business


def test_alsace_moselle_adds_good_friday_and_saint_stephen() -> None:
    local = BusinessCalendar("alsace-moselle")
    assert not local.is_business_day(D(2026, 4, 3))
    assert not local.is_business_day(D(2025, 12, 26))
    assert local.is_business_day(D(2026, 4, 2))


def test_adding_business_days_skips_weekends_and_holidays() -> None:
    # Friday 6 Nov 2026 + 3 business days: Mon 9, Tue 10, (Wed 11 Armistice), Thu 12
    assert FR.add_business_days(D(2026, 11, 6), 3) == D(2026, 11, 12)
    assert FR.add_business_days(D(2026, 11, 12), -3) == D(2026, 11, 6)
    assert FR.add_business_days(D(2026, 11, 6), 0) == D(2026, 11, 6)


ONE = Policy(onboarding="resume",  # catching up on Monday: the level lateness reached
             levels=(Level(name="first", days=1, template="first"),
                     Level(name="second", days=7, template="second")))


def test_nothing_is_planned_on_a_weekend_and_monday_catches_up() -> None:
    ledger = [(customer(), [invoice("I1", D(2026, 11, 20))])]
    assert plan(ONE, ledger, D(2026, 11, 28)) == []  # Saturday, J+8
    assert plan(ONE, ledger, D(2026, 11, 29)) == []  # Sunday
    monday = plan(ONE, ledger, D(2026, 11, 30))
    assert [i.level for i in monday] == ["second"]  # highest reached: nothing lost


def test_nothing_on_a_public_holiday() -> None:
    ledger = [(customer(), [invoice("I1", D(2026, 11, 1))])]
    assert plan(ONE, ledger, D(2026, 11, 11)) == []
    assert [i.level for i in plan(ONE, ledger, D(2026, 11, 12))] == ["second"]


def test_business_day_offsets() -> None:
    policy = Policy(calendar="france", levels=(
        Level(name="first", days=3, business_days=True, template="first"),))
    ledger = [(customer(), [invoice("I1", D(2026, 11, 6))])]  # due Friday 6 Nov
    assert plan(policy, ledger, D(2026, 11, 10)) == []  # 2 business days later
    assert [i.level for i in plan(policy, ledger, D(2026, 11, 12))] == ["first"]


def test_end_of_month_basis() -> None:
    policy = Policy(levels=(Level(name="first", days=10, basis="end_of_month", template="first"),))
    ledger = [(customer(), [invoice("I1", D(2026, 10, 5))])]
    assert plan(policy, ledger, D(2026, 11, 9)) == []  # 31 Oct + 10 = 10 Nov
    assert [i.level for i in plan(policy, ledger, D(2026, 11, 10))] == ["first"]


def test_previous_reminder_basis_counts_from_when_the_previous_level_was_planned() -> None:
    policy = Policy(levels=(Level(name="first", days=1, template="first"),
                            Level(name="second", days=10, basis="previous_reminder",
                                  template="second")))
    ledger = [(customer(), [invoice("I1", D(2026, 10, 1))])]
    # never reminded: even very late, only the first level (the second needs a previous one)
    assert [i.level for i in plan(policy, ledger, D(2026, 11, 16))] == ["first"]
    history = History(levels={"I1": {"first"}}, dates={"I1": {"first": D(2026, 11, 16)}},
                      last_contact={"C1": D(2026, 11, 16)})
    assert plan(policy, ledger, D(2026, 11, 25), history) == []
    assert [i.level for i in plan(policy, ledger, D(2026, 11, 26), history)] == ["second"]


def test_a_previous_reminder_level_cannot_come_first() -> None:
    with pytest.raises(ValueError, match="first level"):
        Policy(levels=(Level(name="a", days=3, basis="previous_reminder", template="first"),))


def test_levels_with_mixed_bases_need_not_be_sorted_by_days() -> None:
    policy = default_policy()
    levels = policy.levels + (Level(name="after", days=5, basis="previous_reminder",
                                    template="final"),)
    assert Policy(levels=levels).levels[-1].name == "after"


def test_send_window_in_the_tenant_time_zone() -> None:
    window = SendWindow.parse("08:30-18:00", "Europe/Paris")
    assert window is not None
    utc = dt.UTC
    assert window.allows(dt.datetime(2026, 11, 27, 7, 45, tzinfo=utc))  # 08:45 in Paris
    assert not window.allows(dt.datetime(2026, 11, 27, 7, 15, tzinfo=utc))  # 08:15
    assert not window.allows(dt.datetime(2026, 11, 27, 17, 5, tzinfo=utc))  # 18:05
    assert not window.allows(dt.datetime(2026, 11, 28, 10, 0, tzinfo=utc))  # Saturday
    with pytest.raises(ValueError):
        SendWindow.parse("18:00-08:30")
    with pytest.raises(ValueError):
        Policy(send_window="8h-18h", levels=ONE.levels)


@pytest.mark.parametrize(("name", "subdiv"), [("france", None), ("alsace-moselle", "57")])
def test_the_holidays_are_those_of_the_holidays_package(name: str, subdiv: str | None) -> None:
    """The rules in calendar.py give the days and names of the `holidays` package's France, in
    French and in English, over a century (2005-2007 without Whit Monday, Victory Day from 1982)."""
    holidays = pytest.importorskip("holidays")
    ours = BusinessCalendar(name)  # type: ignore[arg-type]
    for year in range(1960, 2061):
        for language, theirs_in in (("fr", "fr"), ("en", "en_US")):
            theirs = holidays.France(years=year, subdiv=subdiv, language=theirs_in)
            days = [D(year, 1, 1) + dt.timedelta(days=n) for n in range(366)]
            mine = {d: ours.holiday(d, language) for d in days if d.year == year}
            assert {d: n for d, n in mine.items() if n} == dict(theirs), (year, language)


def test_the_calendar_loads_no_holidays_package() -> None:
    """Issue 18: the `holidays` package's calendars cost ~50 ms of every plan."""
    probe = ("import datetime as dt, sys\n"
             "from connector.rules.calendar import BusinessCalendar\n"
             "assert BusinessCalendar('alsace-moselle').holiday(dt.date(2026, 12, 26))\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'holidays'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"
