"""`relance serve` as real processes: SIGTERM during delivery loses and duplicates nothing, and a
second server on one PostgreSQL is refused (several processes: `relance worker`).

The SMTP server is real (aiosmtpd, in this process) and slow, so that deliveries are in flight when
the signal arrives or when the other server looks for work.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from connector.app.firm import Firm
from connector.cli import main
from connector.store import outbox, runs
from connector.store.store import Store
from tests.helpers import write_firm
from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[2]
ALWAYS = 'reminders_at = "00:00"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
SMTP = '\n[email]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'


class SlowSink:
    """Takes `delay` seconds to accept each message; remembers each reminder key it accepted."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.keys: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.keys.append(str(message["X-Relance-Key"]))
        return "250 OK"


@pytest.fixture
def slow_smtp(request: pytest.FixtureRequest) -> Iterator[tuple[SlowSink, int]]:
    from tests.delivery.test_email import free_port
    sink = SlowSink(getattr(request, "param", 0.25))
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def smtp_firm(directory: Path, state: str, port: int, schedule: str,
              clients: dict[str, str]) -> Path:
    write_firm(directory, state=state, schedule=schedule, clients=clients)
    firm_toml = directory / "firm.toml"
    text = firm_toml.read_text().replace('[email]\ntransport = "file"\ndirectory = "outbox"\n', "")
    firm_toml.write_text(text + SMTP.format(port=port))
    return directory


def serve(firm: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "connector", "--firm", str(firm), "--today", "2026-11-27",
         "serve", "--log-json", *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=90)
    assert process.returncode == 0, output
    return output


def test_sigterm_during_delivery_finishes_the_message_in_hand_and_nothing_else(
        tmp_path: Path, store_url: str, slow_smtp: tuple[SlowSink, int]) -> None:
    sink, port = slow_smtp
    firm = smtp_firm(tmp_path, store_url, port, ALWAYS,
                     {"acme": "seed = 7\ncustomers = 30\ninvoices = 240\n"})
    process = serve(firm)
    try:
        wait_for(lambda: len(sink.keys) >= 2)
    finally:
        output = stop(process)
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # --log-json
    assert any(line["msg"].startswith("stop requested") for line in lines)
    run_lines = [line for line in lines if line.get("tenant") == "acme"]
    assert run_lines and all(len(line["run_id"]) == 32 for line in run_lines)
    store = Store(Firm(firm).config("acme").state_url)
    try:
        counts = outbox.counts(store, "acme")
        sent = {r["key"] for r in outbox.rows(store, "acme", "sent", limit=10_000)
                if r["channel"] == "email"}
        assert counts.get("sending", 0) == 0 and counts.get("uncertain", 0) == 0
        assert sent == set(sink.keys) and len(sink.keys) == len(set(sink.keys))
        assert counts.get("planned", 0) > 0  # the rest waits for the next run
        assert runs.last(store, "acme", "reminders")["status"] == "stopped"
        assert runs.lock_of(store, "acme") is None
    finally:
        store.close()


@pytest.mark.parametrize("slow_smtp", [0.05], indirect=True)
def test_a_second_server_on_one_postgresql_is_refused_and_names_the_worker(
        tmp_path: Path, pg_server: PgServer, slow_smtp: tuple[SlowSink, int]) -> None:
    """Several processes sharing one PostgreSQL is what `relance worker` is for: a second
    `serve`, or a worker beside a `serve`, refuses to start instead of scheduling the same
    clients by a second mechanism."""
    _sink, port = slow_smtp
    state = pg_server.create_database(pg_server.template)
    firm = smtp_firm(tmp_path, state, port, ALWAYS, {"client1": "seed = 1\ncustomers = 5\n"
                                                                "invoices = 40\n"})
    first = serve(firm)
    store = Store(state)
    try:
        wait_for(lambda: runs.last(store, "client1", "reminders", status="ok") is not None)
        for command in (["serve", "--once"], ["worker", "--burst"]):  # in this process
            second = CliRunner().invoke(main, ["--firm", str(firm), *command])
            assert second.exit_code == 2, second.output
            assert "relance serve" in second.output and "running on this database" in \
                second.output
        assert len(runs.history(store, "client1")) == 1  # the refused ones ran nothing
    finally:
        stop(first)
        store.close()
