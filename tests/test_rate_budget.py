"""The client-side rate budget: waits as little as the server allows, never less."""

from __future__ import annotations

import pytest

from connector.budget import WINDOW_MARGIN, RateBudget


class Clock:
    """The budget's monotonic clock and the server's epoch, both moved only by sleeping. The
    epoch starts at .75 s: a reset rounded up to the next whole second is 0.25 s later."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.epoch = 1_800_000_000.75

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.epoch + self.now - 1000.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def exhausted(budget: RateBudget, clock: Clock, reset_in: float) -> None:
    """The server answers the last request of the window: nothing left until a whole second."""
    budget.observe({"ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(clock.wall() + reset_in) + 1)})


def test_a_full_own_window_does_not_wait_for_the_rounded_reset() -> None:
    clock = Clock()
    budget = RateBudget(25, 5.0, clock=clock, sleep=clock.sleep, wall=clock.wall)
    for _ in range(25):
        budget.acquire()
    exhausted(budget, clock, 5.0)  # the header says 5.25 s: rounded up to the next second
    budget.acquire()
    assert clock.now - 1000.0 == pytest.approx(5.0 + WINDOW_MARGIN)


def test_requests_from_another_client_make_it_wait_for_the_server() -> None:
    clock = Clock()
    budget = RateBudget(25, 5.0, clock=clock, sleep=clock.sleep, wall=clock.wall)
    budget.acquire()  # only one request of ours: the other 24 came from elsewhere
    exhausted(budget, clock, 3.0)  # the header says 3.25 s
    budget.acquire()
    assert clock.now - 1000.0 == pytest.approx(3.25)
