"""Relays that misbehave after DATA (issue 15, case 2): once the relay has the whole message, a
lost or odd answer never makes relance send it again. A 421 to QUIT after the 250 is a success;
an answer later than `[email] timeout`, or a reset after the final dot, is `uncertain`."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.errors import ConfigError
from connector.store import outbox
from tests.delivery.test_email import free_port, smtp_config
from tests.helpers import NOW

TODAY = dt.date(2026, 11, 27)


class OddRelay:
    """Accepts every message, then answers it the way `mode` says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        self.received[str(parsed["Message-ID"])] += 1
        if self.mode == "slow-250":
            await asyncio.sleep(1.0)  # longer than the client's timeout
        if self.mode == "reset-after-dot":
            server.transport.abort()
        return "250 OK queued"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return "421 service shutting down" if self.mode == "quit-421" else "221 Bye"


@pytest.fixture
def relay(request: pytest.FixtureRequest) -> Iterator[tuple[OddRelay, int]]:
    handler = OddRelay(request.param)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def runs(tmp_path: Path, port: int, count: int) -> list[dict[str, Any]]:
    path = smtp_config(tmp_path, port)
    path.write_text(path.read_text().replace('security = "none"',
                                             'security = "none"\ntimeout = 0.3'))
    config = load_config(path)
    for number in range(count):  # the later runs come after every retry delay
        moment = NOW + dt.timedelta(hours=6 * number)
        tenant = open_tenant(config, today=TODAY, clock=Clock.frozen(moment, config.timezone))
        tenant.run(do_sync=number == 0)
    return outbox.rows(tenant.store, tenant.name, limit=1000)


@pytest.mark.parametrize("relay", ["quit-421"], indirect=True)
def test_a_421_to_quit_after_the_250_is_a_success(tmp_path: Path, relay: Any) -> None:
    handler, port = relay
    rows = [r for r in runs(tmp_path, port, 3) if r["channel"] == "email"]
    assert rows and all(r["status"] == "sent" for r in rows)
    assert set(handler.received.values()) == {1}
    assert set(handler.received) == {f"<{r['key']}@atelier-dupuis.fr>" for r in rows}


@pytest.mark.parametrize("relay", ["slow-250", "reset-after-dot"], indirect=True)
def test_an_answer_lost_after_the_final_dot_is_uncertain_never_resent(
        tmp_path: Path, relay: Any) -> None:
    handler, port = relay
    rows = [r for r in runs(tmp_path, port, 3) if r["channel"] == "email"]
    assert rows and all(r["status"] == "uncertain" for r in rows), \
        Counter(r["status"] for r in rows)
    assert all("answer was lost" in r["reason"] for r in rows)
    assert set(handler.received.values()) == {1}  # each arrived once, none twice
    assert set(handler.received) == {f"<{r['key']}@atelier-dupuis.fr>" for r in rows}


def test_a_login_over_plain_text_is_refused_unless_allowed(tmp_path: Path) -> None:
    path = smtp_config(tmp_path, 2525, username="x")
    path.write_text(path.read_text().replace("allow_plaintext_auth = true\n", ""))
    with pytest.raises(ConfigError, match="allow_plaintext_auth"):
        load_config(path)
