"""A run's failure budget per destination: after so many transient failures in a row (or a server
asking us to wait longer than a run may), the run stops delivering there, keeps the rest planned for
a later run, and says so (`run` exits 1). A dead source must not hold the tenant's lock for minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.errors import RateLimited, TransientError

CONSECUTIVE = 3


@dataclass
class FailureBudget:
    limit: int = CONSECUTIVE
    stopped: dict[str, str] = field(default_factory=dict)
    """Destination ("source" or "email") → why the run stopped delivering to it."""
    _streak: dict[str, int] = field(default_factory=dict)

    def ok(self, destination: str) -> None:
        self._streak[destination] = 0

    def failed(self, destination: str, error: TransientError | str) -> None:
        streak = self._streak.get(destination, 0) + 1
        self._streak[destination] = streak
        if isinstance(error, RateLimited) and error.retry_after:
            self.stopped[destination] = (f"the server asked to wait {error.retry_after:.0f} s: "
                                         "the rest waits for a later run")
        elif streak >= self.limit:
            self.stopped[destination] = (f"{streak} failures in a row ({error}): the rest waits "
                                         "for a later run")

    def closed(self, destination: str) -> bool:
        return destination in self.stopped
