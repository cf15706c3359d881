"""Login throttling: after a few failures for one login or from one address, wait.

Kept in memory (one `relance web` process); the moment comes from the site's clock, so tests move
time instead of sleeping. A success clears the login's count, not the address's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque

from connector.clock import Now

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


class Throttle:
    def __init__(self, clock: Now, limit: int = MAX_FAILURES, window: dt.timedelta = WINDOW):
        self.clock, self.limit, self.window = clock, limit, window
        self.failures: defaultdict[str, deque[dt.datetime]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[dt.datetime]:
        seen, edge = self.failures[key], self.clock() - self.window
        while seen and seen[0] <= edge:
            seen.popleft()
        return seen

    def blocked(self, login: str, address: str) -> bool:
        return any(len(self._recent(k)) >= self.limit for k in (f"l:{login}", f"a:{address}"))

    def failed(self, login: str, address: str) -> None:
        now = self.clock()
        for key in (f"l:{login}", f"a:{address}"):
            self.failures[key].append(now)

    def succeeded(self, login: str) -> None:
        self.failures.pop(f"l:{login}", None)
