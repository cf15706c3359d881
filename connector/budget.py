"""The client-side rate budget: at most so many requests per window, per credential and host.

Apart from the transport (connector/http.py) because adapters and the store hold budgets without
sending anything: a command that only reads the store should not import requests for them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

WINDOW_MARGIN = 0.1  # seconds: a request's travel time, when our window and the server's agree


class RateBudget:
    """At most `limit` requests in any sliding window of `period` seconds, waited for *before* sending.

    Servers that announce what is left (`ratelimit-remaining` / `ratelimit-reset`) tighten it further.
    One budget is shared by every client using the same token on the same host (see `shared_budget`).
    """

    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.time) -> None:
        """`wall` reads the epoch a server's reset is stated in (injected by tests, like the
        monotonic `clock` the window is counted on)."""
        if limit < 1 or period <= 0:
            raise ValueError("a rate budget needs limit >= 1 and period > 0")
        self.limit, self.period = limit, period
        self._clock, self._sleep, self._wall = clock, sleep, wall
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0
        self.limit_reached = 0  # answers saying nothing is left in the server's window

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.period:
                    self._sent.popleft()
                wait = max(self._blocked_until - now, 0.0)
                if not wait and len(self._sent) >= self.limit:
                    wait = self._sent[0] + self.period - now
                if wait <= 0:
                    self._sent.append(now)
                    return
            self.waited += wait
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the server's own count: when it says nothing is left, wait for its reset."""
        seconds = exhausted_for(headers, self._wall)
        if seconds is not None:
            with self._lock:
                self.limit_reached += 1
                now = self._clock()
                until = now + max(seconds, 0.0)
                while self._sent and self._sent[0] <= now - self.period:
                    self._sent.popleft()
                if len(self._sent) >= self.limit:
                    # Our own window is full as well: it knows when it frees to the millisecond,
                    # where the header is rounded up to the second (up to 1 s lost per window,
                    # a fifth more time on a long sync). Keep a margin for the request's travel.
                    until = min(until, self._sent[0] + self.period + WINDOW_MARGIN)
                self._blocked_until = max(self._blocked_until, until)

    def block_for(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


BudgetFactory = Callable[[str, str, int, float], RateBudget]
"""(token id, host, limit, period) -> the budget of that credential on that host. The default,
`shared_budget`, is shared within one process; the store offers one shared by every process on
the same database (connector/store/budgets.py), handed to adapters in their context."""

_budgets: dict[tuple[str, str], RateBudget] = {}
_budgets_lock = threading.Lock()


def shared_budget(token_id: str, host: str, limit: int, period: float) -> RateBudget:
    """The budget of one (token, host): every client and thread of this process shares it."""
    with _budgets_lock:
        key = (token_id, host)
        if key not in _budgets:
            _budgets[key] = RateBudget(limit, period)
        return _budgets[key]


def exhausted_for(headers: Mapping[str, str],
                  wall: Callable[[], float] = time.time) -> float | None:
    """Seconds until the server's window resets, when its headers say nothing is left in it."""
    remaining = _header_number(headers, "ratelimit-remaining", "x-ratelimit-remaining")
    reset = _header_number(headers, "ratelimit-reset", "x-ratelimit-reset")
    if remaining is None or remaining > 0 or reset is None:
        return None
    # Some servers send an epoch, others seconds-to-wait; an epoch is far in the future.
    return seconds_until(reset, wall) if reset > 10**9 else reset


def _header_number(headers: Mapping[str, str], *names: str) -> float | None:
    for name in names:
        raw = headers.get(name)
        if raw is not None:
            try:
                return float(str(raw).split(",")[0].strip())
            except ValueError:
                return None
    return None


def seconds_until(epoch: float, wall: Callable[[], float] = time.time) -> float:
    """How long until a moment the server stated on its own clock (a rate-limit reset, a
    Retry-After date). Network timing against the real time, not business time: the tenant's
    clock, which `--today` moves by whole days, must not shorten or stretch a wait."""
    return max(epoch - wall(), 0.0)
