"""A run's failure budget per destination: after so many transient failures in a row, or so much
time spent in failed attempts (on the tenant's clock), or a server asking us to wait longer than a
run may, the run stops delivering there, keeps the rest planned for a later run, and says so
(`run` exits 1). A dead or crawling source must not hold the tenant's lock for minutes.

Configured by `[delivery] max_failures` and `max_failing_minutes`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from connector.errors import RateLimited, TransientError

CONSECUTIVE = 3
FAILING = dt.timedelta(minutes=5)


@dataclass
class FailureBudget:
    limit: int = CONSECUTIVE
    """Transient failures in a row of one destination after which the run stops there."""
    max_failing: dt.timedelta | None = FAILING
    """Time spent in failed attempts of one destination (in a row or not) after which it stops."""
    stopped: dict[str, str] = field(default_factory=dict)
    """Destination ("source" or "email") → why the run stopped delivering to it."""
    _streak: dict[str, int] = field(default_factory=dict)
    _spent: dict[str, dt.timedelta] = field(default_factory=dict)

    def ok(self, destination: str) -> None:
        self._streak[destination] = 0

    def failed(self, destination: str, error: TransientError | str,
               spent: dt.timedelta = dt.timedelta(0)) -> None:
        """One failed attempt, which took `spent` on the tenant's clock."""
        streak = self._streak.get(destination, 0) + 1
        self._streak[destination] = streak
        failing = self._spent.get(destination, dt.timedelta(0)) + max(spent, dt.timedelta(0))
        self._spent[destination] = failing
        if isinstance(error, RateLimited) and error.retry_after:
            self.stopped[destination] = (f"the server asked to wait {error.retry_after:.0f} s: "
                                         "the rest waits for a later run")
        elif streak >= self.limit:
            self.stopped[destination] = (f"{streak} failures in a row ({error}): the rest waits "
                                         "for a later run")
        elif self.max_failing is not None and failing >= self.max_failing:
            minutes = failing.total_seconds() / 60
            self.stopped[destination] = (f"{minutes:.1f} min spent failing ({error}): the rest "
                                         "waits for a later run")

    def closed(self, destination: str) -> bool:
        return destination in self.stopped
