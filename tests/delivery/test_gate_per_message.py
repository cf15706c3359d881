"""The freshness gate runs per message (issue 15, case 3): with a relay taking 2 s a message, an
invoice paid while the run delivers is not reminded; every message's check is at most 5 s old."""

from __future__ import annotations

import datetime as dt
import email
from email.message import EmailMessage
from pathlib import Path

from connector.adapters.demo import DemoAdapter
from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.delivery.gate import MAX_AGE
from connector.store import outbox
from tests.helpers import NOW, write_config

TODAY = dt.date(2026, 11, 27)


class SlowRelay(FileTransport):
    """Each message takes `seconds` of the tenant's clock; `during(n)` runs after the n-th send."""

    def __init__(self, directory: Path, moment: list[dt.datetime], seconds: float,
                 during: dict[int, object]) -> None:
        super().__init__(directory)
        self.moment, self.seconds, self.during = moment, seconds, during
        self.sent_at: dict[str, dt.datetime] = {}

    def send(self, message: EmailMessage, bcc: list[str] | None = None) -> str:
        self.moment[0] += dt.timedelta(seconds=self.seconds)
        result = super().send(message, bcc)
        self.sent_at[str(message["X-Relance-Key"])] = self.moment[0]
        action = self.during.get(len(self.sent_at))
        if callable(action):
            action()
        return result


def test_an_invoice_paid_during_a_slow_run_is_not_reminded(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    moment = [NOW]
    clock = Clock(config.timezone, source=lambda: moment[0])
    tenant = open_tenant(config, today=TODAY, clock=clock)
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=clock.now())
    queued = [r for r in outbox.due(tenant.store, tenant.name, clock.now())
              if r["channel"] == "email"]
    assert len(queued) >= 6
    last = outbox.decode(queued[-1])
    paid = [item["invoice_id"] for item in last["items"]]
    numbers = {item["number"] for item in last["items"]}
    adapter = tenant.adapter
    assert isinstance(adapter, DemoAdapter)
    paid_at: list[dt.datetime] = []

    def customer_pays() -> None:
        for invoice_id in paid:
            adapter.record_payment(invoice_id)
        paid_at.append(moment[0])

    relay = SlowRelay(config.outbox_dir, moment, 2.0, {2: customer_pays})
    dispatcher = Dispatcher(tenant.store, adapter, config, relay, now=clock, exclusive=True)
    report = dispatcher.run()
    assert paid_at and report.sent >= 5
    assert last["key"] not in relay.sent_at  # paid while the run went on: not sent
    assert {k: s for k, s, _ in report.details}[last["key"]] == "skipped"
    for key in relay.sent_at:
        body = email.message_from_bytes((config.outbox_dir / f"{key}.eml").read_bytes())
        if relay.sent_at[key] > paid_at[0] + MAX_AGE:
            assert not any(number in body.as_string() for number in numbers)
    assert dispatcher.gate is not None and dispatcher.gate.ages
    assert max(dispatcher.gate.ages) <= MAX_AGE  # every check was at most 5 s old
    refreshes = len([a for a in dispatcher.gate.ages if a == dt.timedelta(0)])
    assert refreshes < len(dispatcher.gate.ages)  # still batched: not one read per message
