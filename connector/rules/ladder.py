"""The customer's ladder: when a level is reached, and which message a customer gets today.

Pure, like the engine that calls it. The dunning state is the customer's (per policy and currency),
not the invoice's (docs/escalation.md):

- every invoice listed in a message is recorded at that message's level, so it is never chased again
  at that level or a lower one (levels strictly increase across the messages that list an invoice);
- while an invoice of the customer's last message is unpaid, the next message's level is at least
  that message's level (the customer's stage never goes back);
- a level that needs another (`after`, the formal notice's previous level) is not reached before it
  went out for the invoice, so no level is skipped on the way to a formal notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from connector.rules.calendar import BusinessCalendar, end_of_month
from connector.rules.policy import Policy


@dataclass(frozen=True)
class Stage:
    """The customer's last message for one currency: its level, day and the items it listed."""

    level: str
    day: dt.date
    items: frozenset[str]


class ItemState(NamedTuple):
    """What the ladder needs to know of one open item (a tuple: one per open item a plan, 100k
    in a first plan, where a frozen dataclass cost 2 µs each)."""

    item_id: str
    days_late: int
    reached: int
    """Highest level index its own lateness reached today (-1: none)."""
    done: int
    """Highest level index already recorded for it (-1: none)."""
    dates: Mapping[str, dt.date]


def needs_reminder(policy: Policy, index: int, dates: Mapping[str, dt.date]) -> bool:
    """A formal notice is never the first overdue reminder (where the ladder has an earlier one:
    `relance rules check` flags a ladder that starts with a letter)."""
    steps = policy.steps
    earlier = steps.earlier_overdue[index]
    return steps.letter[index] and bool(earlier) and earlier.isdisjoint(dates)


def requirement_met(policy: Policy, index: int, dates: Mapping[str, dt.date],
                    today: dt.date) -> bool:
    """Whether the levels that must precede level `index` went out (and long enough ago)."""
    level = policy.levels[index]
    if needs_reminder(policy, index, dates):
        return False
    required = policy.required(index)
    if required is None:
        return True
    went = dates.get(required)
    return went is not None and went + dt.timedelta(days=level.after_days) <= today


def level_date(policy: Policy, index: int, due_date: dt.date, dates: Mapping[str, dt.date],
               calendar: BusinessCalendar) -> dt.date | None:
    """The day level `index` is reached for an item; None while a level it needs is missing."""
    steps = policy.steps
    required = steps.required[index]
    if required is not None and required not in dates:
        return None
    if dates:
        if needs_reminder(policy, index, dates):
            return None
    elif steps.letter[index] and steps.earlier_overdue[index]:
        return None
    level = policy.levels[index]
    if level.basis == "due_date":
        anchor = due_date
    elif level.basis == "end_of_month":
        anchor = end_of_month(due_date)
    else:
        prior = [dates[lv.name] for lv in policy.levels[:index] if lv.name in dates]
        if required is not None:
            prior = [dates[required]]
        if not prior:
            return None
        anchor = max(prior)
    when = calendar.add_business_days(anchor, level.days) if level.business_days \
        else anchor + steps.offset[index]
    if required is not None:
        when = max(when, dates[required] + steps.after[index])
    return when


def reached_index(policy: Policy, due_date: dt.date, dates: Mapping[str, dt.date],
                  today: dt.date, calendar: BusinessCalendar) -> int:
    """Index of the highest level reached on `today`, -1 if none."""
    best = -1
    for index in range(len(policy.levels)):
        when = level_date(policy, index, due_date, dates, calendar)
        if when is not None and when <= today:
            best = index
    return best


def paced_due_date(policy: Policy, due_date: dt.date, dates: Mapping[str, dt.date],
                   calendar: BusinessCalendar) -> dt.date:
    """The due date the ladder counts from: an invoice that started gently (its first overdue
    reminder went out when a higher level was already due) climbs at the ladder's pace from that
    first reminder, instead of getting every level at once."""
    first = policy.first_overdue()
    if first < 0 or policy.levels[first].name not in dates:
        return due_date
    level = policy.levels[first]
    went = dates[level.name]
    if level.basis != "due_date" or reached_index(policy, due_date, {}, went, calendar) <= first:
        return due_date
    return max(due_date, went - dt.timedelta(days=level.days))


def _eligible(policy: Policy, item: ItemState, index: int, today: dt.date, join: bool) -> bool:
    """Whether `item` may be listed in a message at level `index` today."""
    level = policy.levels[index]
    if item.done >= index:
        return False  # already listed at this level or a higher one
    if not level.overdue:
        return item.reached == index and item.days_late <= 0
    if item.days_late <= 0:
        return False  # an overdue message lists the invoices not yet due as "other open" only
    if item.reached >= index:
        return True
    if not join or level.basis == "previous_reminder":
        return False  # own pace, or a level counted from a reminder it has not had
    return requirement_met(policy, index, item.dates, today)


def choose_message(policy: Policy, items: Sequence[ItemState], stage: int, today: dt.date
                   ) -> tuple[int, list[str]]:
    """The level of today's message and the items it lists; (-1, []) when none is due.

    `stage` is the level index of the customer's last message while one of its invoices is unpaid
    (-1 otherwise): the message never goes below it. A message is due when some item reached a level
    it has not had; no pre-due courtesy note while an invoice is overdue.
    """
    overdue = any(i.days_late > 0 for i in items)
    due = [i for i in items if i.reached > i.done
           and (policy.levels[i.reached].overdue or not overdue)
           and _eligible(policy, i, i.reached, today, join=False)]
    if not due:
        return -1, []
    index = max(i.reached for i in due)
    join = policy.new_invoices == "join"
    if index < stage:
        if not join:
            return -1, []  # own pace: they wait until their lateness reaches the stage
        index = stage
    listed = [i.item_id for i in items if _eligible(policy, i, index, today, join)]
    return (index, listed) if listed else (-1, [])
