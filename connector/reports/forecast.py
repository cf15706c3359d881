"""Weekly cash-in forecast of the open items, with an uncertainty band. Pure.

Each open item (an invoice or an unpaid instalment) is expected to be paid on its due date plus
its customer's average lateness (the ledger-wide average for customers without history), with the
customer's spread of lateness as uncertainty: the payment day is taken as normally distributed,
mean = due date + average lateness, standard deviation = the customer's spread (the ledger-wide
spread under three observations, never under MIN_SPREAD days). An item not paid yet cannot pay in
the past: the distribution is cut at today and scaled up (and its mean is never before today).

Week k then receives amount × P(payment in week k) of each item: the expected cash-in. Items are
taken as independent, so the week's variance is Σ amount² × p × (1 − p); the band is the expected
value ± Z standard deviations (Z = 1.2816: an 80 % band), never below 0.
Items more than DOUBTFUL_AFTER days late and disputed items are not forecast: shown apart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

Z = 1.2816
MIN_SPREAD = 2.0
DOUBTFUL_AFTER = 90
CENT = Decimal("0.01")


class OpenItem(NamedTuple):
    customer: tuple[str, str, str]  # tenant, source, customer id
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Habit:
    """A customer's (or the ledger's) lateness: average days late and spread, in days."""

    mean: float
    spread: float


@dataclass(frozen=True)
class Week:
    start: dt.date
    expected: Decimal
    low: Decimal
    high: Decimal


@dataclass
class Forecast:
    weeks: list[Week] = field(default_factory=list)
    later: Decimal = Decimal(0)  # expected after the last week
    doubtful: Decimal = Decimal(0)  # more than DOUBTFUL_AFTER days late: not forecast

    @property
    def expected_total(self) -> Decimal:
        return sum((w.expected for w in self.weeks), Decimal(0))


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def week_starts(today: dt.date, weeks: int) -> list[dt.date]:
    """Mondays: week 1 is the current week (from today on)."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday + dt.timedelta(weeks=n) for n in range(weeks)]


Share = tuple[int, Decimal, float, float]
"""(week index, share of the amount paid by the end of that week, p, 1 − p) of the weeks with a
chance of payment, p being the chance of payment within that week."""


def forecast(items: Iterable[OpenItem], habits: Mapping[tuple[str, str, str], Habit],
             fallback: Habit, today: dt.date, weeks: int = 13) -> Forecast:
    starts = week_starts(today, weeks)
    origin = today.toordinal()
    # Day boundaries in days since today: week k covers [lower_k, upper_k).
    bounds = [(max(s.toordinal() - origin, 0) - 0.5, s.toordinal() - origin + 6.5)
              for s in starts]
    expected = [Decimal(0)] * weeks
    variance = [0.0] * weeks
    result = Forecast()
    # Items of one mean and spread share their distribution: computed once for each.
    shares: dict[tuple[float, float], list[Share]] = {}
    for item in items:
        late = (today - item.due_date).days
        if late > DOUBTFUL_AFTER:
            result.doubtful += item.amount
            continue
        habit = habits.get(item.customer, fallback)
        spread = max(habit.spread, MIN_SPREAD)
        mean = max(item.due_date.toordinal() - origin + habit.mean, 0.0)
        if (mean, spread) not in shares:
            shares[mean, spread] = _shares(mean, spread, bounds)
        # Cents are rounded on the running total, so the weeks and `later` add up to the item.
        placed = Decimal(0)
        amount = float(item.amount)
        for k, cumulative, p, q in shares[mean, spread]:
            reached = (item.amount * cumulative).quantize(CENT, ROUND_HALF_UP)
            expected[k] += reached - placed
            placed = reached
            variance[k] += amount * amount * p * q
        result.later += item.amount - placed
    for k, start in enumerate(starts):
        sd = Decimal(repr(round(Z * math.sqrt(variance[k]), 2)))
        result.weeks.append(Week(start, expected[k], max(expected[k] - sd, Decimal(0)),
                                 expected[k] + sd))
    return result


def _shares(mean: float, spread: float, bounds: list[tuple[float, float]]) -> list[Share]:
    """Where an item of that mean and spread is paid: the normal distribution cut at today."""
    alive = 1.0 - _cdf((-0.5 - mean) / spread)  # P(not paid before today)
    cumulative = 0.0
    found: list[Share] = []
    for k, (lower, upper) in enumerate(bounds):
        p = (_cdf((upper - mean) / spread) - _cdf((lower - mean) / spread)) / alive
        if p <= 1e-9:
            continue
        cumulative = min(cumulative + p, 1.0)
        found.append((k, Decimal(repr(round(cumulative, 9))), p, 1.0 - p))
    return found
