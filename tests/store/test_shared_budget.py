"""Two processes on one API credential stay under the API's limit *as the server counts it*.

The fake server records when each request arrives (its own clock); we count the busiest sliding
window there. Nothing is asserted about how long our side waited.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from connector.store.budgets import SHARED_MARGIN, StoreBudget, StoreBudgets
from connector.store.store import Store
from tests.store.budget_client import LIMIT, PERIOD

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 8  # 16 requests: four windows of period + margin


class ArrivalServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: ArrivalServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ArrivalServer]:
    fake = ArrivalServer()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


def busiest_window(arrivals: list[float], period: float) -> int:
    """The most requests the server saw inside any window of `period` seconds."""
    times = sorted(arrivals)
    return max(sum(1 for t in times[i:] if t < start + period) for i, start in enumerate(times))


def run_two(state_url: str, server: ArrivalServer, mode: str) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    processes = [subprocess.Popen([sys.executable, "-m", "tests.store.budget_client", state_url,
                                   base, str(PER_PROCESS), mode, str(seed)], cwd=ROOT)
                 for seed in (1, 2)]
    for process in processes:
        assert process.wait(timeout=120) == 0
    assert len(server.arrivals) == 2 * PER_PROCESS


def test_two_processes_on_one_credential_never_exceed_the_limit(
        store_url: str, server: ArrivalServer) -> None:
    Store(store_url).close()  # the schema, as `relance db upgrade` leaves it
    run_two(store_url, server, "store")
    assert busiest_window(server.arrivals, PERIOD) <= LIMIT


def test_budgets_kept_in_each_process_do_exceed_it(tmp_path: Path,
                                                   server: ArrivalServer) -> None:
    """The control: the same two processes with in-process budgets go over, so the check above
    can fail."""
    run_two(f"sqlite:///{tmp_path / 'unused.db'}", server, "process")
    assert busiest_window(server.arrivals, PERIOD) > LIMIT


class Asleep(Exception):
    """Raised by the fake sleep: the budget asked to wait."""


def test_a_server_saying_nothing_is_left_holds_every_sharer(tmp_path: Path) -> None:
    """One process reads `ratelimit-remaining: 0`; another process's budget waits for the reset."""
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise Asleep

    first = StoreBudgets(store.engine)("tok", "api.example", 25, 5.0)
    second = StoreBudget(store.engine, "tok@api.example", 25, 5.0, sleep=sleep)
    first.acquire()
    first.observe({"ratelimit-remaining": "0", "ratelimit-reset": "3"})
    with pytest.raises(Asleep):
        second.acquire()
    assert 2.0 < slept[0] <= 3.0
    store.close()


def test_a_full_shared_window_does_not_wait_for_the_rounded_reset(tmp_path: Path) -> None:
    """The header rounds its reset up to the second; a full window of our own knows better."""
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise Asleep

    first = StoreBudgets(store.engine)("tok", "api.example", 5, 1.0)
    for _ in range(5):
        first.acquire()
    first.observe({"ratelimit-remaining": "0", "ratelimit-reset": "3"})
    with pytest.raises(Asleep):
        StoreBudget(store.engine, "tok@api.example", 5, 1.0, sleep=sleep).acquire()
    assert 0 < slept[0] <= 1.0 + SHARED_MARGIN
    store.close()
