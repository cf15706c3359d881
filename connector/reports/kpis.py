"""The formulas, as pure functions of already-summed figures. docs/kpis.md explains each one.

Money is Decimal throughout; ratios are Decimal rounded for display (days to 0.1, percentages
to 0.1 point). A ratio whose denominator is zero or negative is None ("not meaningful"), never 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

BUCKETS = ("not_due", "d1_30", "d31_60", "d61_90", "d91_plus")
ONE_DECIMAL = Decimal("0.1")


def bucket(days_late: int) -> str:
    """Aging bucket of an item `days_late` days after its due date (0 = due today: not late)."""
    if days_late <= 0:
        return "not_due"
    if days_late <= 30:
        return "d1_30"
    if days_late <= 60:
        return "d31_60"
    if days_late <= 90:
        return "d61_90"
    return "d91_plus"


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def ratio_dso(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """Simple DSO: receivables / credit sales of the last `days` days × `days`."""
    if sales <= 0:
        return None
    return _round(receivables / sales * days)


def countback_dso(receivables: Decimal,
                  months: Sequence[tuple[int, Decimal]]) -> Decimal | None:
    """Count-back DSO: walk back month by month, newest first, `months` = (days, sales).

    Each month whose sales the balance fully covers adds all its days; the month where the balance
    runs out adds the covered fraction of its days. None when the balance outlasts the months
    given (receivables older than the history), 0 when nothing is owed.
    """
    left, days_total = receivables, Decimal(0)
    if left <= 0:
        return Decimal("0.0")
    for days, sales in months:
        if sales > 0 and left <= sales:
            return _round(days_total + left / sales * days)
        left -= max(sales, Decimal(0))
        days_total += days
    return None


def cei(begin: Decimal, sales: Decimal, end: Decimal, end_current: Decimal) -> Decimal | None:
    """Collection effectiveness index, in %: what was collected over what was collectible."""
    collectible = begin + sales - end_current
    if collectible <= 0:
        return None
    return _round((begin + sales - end) / collectible * 100)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if whole <= 0:
        return None
    return _round(Decimal(part) / Decimal(whole) * 100)


def month_windows(today: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """Calendar months back from `today`, newest first; the first is month-to-date."""
    windows, end = [], today
    for _ in range(count):
        start = end.replace(day=1)
        windows.append((start, end))
        end = start - dt.timedelta(days=1)
    return windows


def month_ends(today: dt.date, count: int) -> list[dt.date]:
    """The last day of each of the `count` months before today's month, oldest first."""
    ends, end = [], today.replace(day=1) - dt.timedelta(days=1)
    for _ in range(count):
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return sorted(ends)


@dataclass
class Lateness:
    """Running statistics of days late on settled items (negative = paid early), and of the items
    still unpaid past their due date (their days late so far: a lower bound)."""

    count: int = 0
    late: int = 0
    total: int = 0
    squares: int = 0
    open_late: int = 0
    open_total: int = 0
    open_oldest: int = 0

    def add(self, days_late: int) -> None:
        self.count += 1
        self.late += days_late > 0
        self.total += days_late
        self.squares += days_late * days_late

    def add_open(self, days_late: int) -> None:
        """An item unpaid `days_late` (> 0) days after its due date: it counts against the score,
        so that a customer whose balance is all 90+ days late cannot score as a good payer."""
        if days_late > 0:
            self.open_late += 1
            self.open_total += days_late
            self.open_oldest = max(self.open_oldest, days_late)

    def merge(self, other: Lateness) -> None:
        self.count += other.count
        self.late += other.late
        self.total += other.total
        self.squares += other.squares
        self.open_late += other.open_late
        self.open_total += other.open_total
        self.open_oldest = max(self.open_oldest, other.open_oldest)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def spread(self) -> float | None:
        """Standard deviation (population); None under two observations."""
        if self.count < 2:
            return None
        mean = self.total / self.count
        return math.sqrt(max(self.squares / self.count - mean * mean, 0.0))

    @property
    def late_share(self) -> float | None:
        return self.late / self.count if self.count else None


@dataclass(frozen=True)
class Score:
    """A customer's payment behaviour: 100 always on time, 0 very late and always late.

    Over the settled items and the items still unpaid past their due date (days late so far):
    score = 100 − min(max(average days late, 0), 60) − 40 × share of those items late, rounded,
    and never above 100 − min(days late of the oldest unpaid item, 60): a long clean history does
    not hide an invoice 90 days late (at most 40). `value` is None when there is no such item (no evidence either way). `avg_days_late` and
    `late_percent` are those of the settled items only (what was observed at payment).
    """

    value: int | None
    paid_items: int
    avg_days_late: Decimal | None
    late_percent: Decimal | None
    open_late: int = 0


def behaviour_score(stats: Lateness) -> Score:
    seen = stats.count + stats.open_late
    if not seen:
        return Score(None, 0, None, None)
    mean = Decimal(stats.total + stats.open_total) / seen
    share = Decimal(stats.late + stats.open_late) / seen
    raw = Decimal(100) - min(max(mean, Decimal(0)), Decimal(60)) - 40 * share
    raw = min(raw, Decimal(100 - min(stats.open_oldest, 60)))
    value = int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    paid_mean = _round(Decimal(stats.total) / stats.count) if stats.count else None
    paid_share = _round(Decimal(stats.late) / stats.count * 100) if stats.count else None
    return Score(max(0, min(100, value)), stats.count, paid_mean, paid_share, stats.open_late)
