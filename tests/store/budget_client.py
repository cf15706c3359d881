"""One `relance`-like process sending requests through a rate budget (run by test_shared_budget).

    python -m tests.store.budget_client STATE_URL BASE_URL COUNT store|process SEED

A simulated network sits between the budget and the server: each request travels 0–JITTER s
after its reservation, so arrivals at the server are not our reservation times. The budget's
margin must cover every delay between a reservation and its arrival: the simulated network, and
on a loaded test machine the processes' own stalls (tens to hundreds of ms at a load of 15 on two
cores). With the product's default margin (0.25 s, 50 ms above JITTER) the server saw 6 requests
in a second now and then under load; MARGIN leaves 0.8 s for the stalls.
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

import requests

from connector.budget import RateBudget, shared_budget
from connector.http import HttpClient
from connector.store.budgets import StoreBudgets
from connector.store.store import open_engine

LIMIT, PERIOD, JITTER, MARGIN = 5, 1.0, 0.2, 1.0


class Network(requests.Session):
    """A session whose requests take a random time to reach the server."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.random = random.Random(seed)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        time.sleep(self.random.uniform(0.0, JITTER))
        return super().request(*args, **kwargs)


def main(state_url: str, base_url: str, count: int, mode: str, seed: int) -> None:
    host = base_url.split("://", 1)[1]
    budget: RateBudget
    if mode == "store":
        budget = StoreBudgets(open_engine(state_url), margin=MARGIN)(
            "token-fingerprint", host, LIMIT, PERIOD)
    else:
        budget = shared_budget("token-fingerprint", host, LIMIT, PERIOD)
    client = HttpClient(base_url, budget=budget, session=Network(seed), max_attempts=1)
    for number in range(count):
        client.request("GET", f"/r/{seed}/{number}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
