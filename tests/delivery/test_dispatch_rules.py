"""Delivery details the rules ask for: Cc from a customer override, the envelope includes it."""

from __future__ import annotations

import datetime as dt
import email
from pathlib import Path

from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.delivery.email import FileTransport
from tests.helpers import write_config

TODAY = dt.date(2026, 11, 27)


class Recording(FileTransport):
    envelope: list[str] = []

    def send(self, message, bcc=None):
        Recording.envelope = list(bcc or [])
        return super().send(message, bcc)


def test_cc_override_reaches_the_header_and_the_envelope(tmp_path: Path) -> None:
    probe = open_tenant(load_config(write_config(tmp_path / "probe")), today=TODAY)
    probe.sync()
    target = next(i for i in probe.plan() if i.channel == "email")
    config = load_config(write_config(tmp_path / "real", extra=f'''
[customers."{target.customer_id}"]
email = "factures@client.fr"
cc = ["dg@client.fr"]
'''))
    tenant = open_tenant(config, today=TODAY)
    tenant.sync()
    mine = [i for i in tenant.plan() if i.customer_id == target.customer_id
            and i.channel == "email"]
    assert mine[0].recipients == ("factures@client.fr",) and mine[0].cc == ("dg@client.fr",)
    from connector.delivery.dispatch import Dispatcher
    from connector.store import outbox
    outbox.enqueue(tenant.store, mine, now=tenant.clock.now())
    Dispatcher(tenant.store, tenant.adapter, config, Recording(config.outbox_dir), now=tenant.clock).run()
    message = email.message_from_bytes((config.outbox_dir / f"{mine[0].key}.eml").read_bytes())
    assert message["To"] == "factures@client.fr" and message["Cc"] == "dg@client.fr"
    assert "dg@client.fr" in Recording.envelope


def test_a_dispute_recorded_after_planning_stops_the_queued_reminder(tmp_path: Path) -> None:
    from connector.delivery.dispatch import Dispatcher
    from connector.store import outbox
    from connector.store import pauses as pause_store
    config = load_config(write_config(tmp_path))
    tenant = open_tenant(config, today=TODAY)
    tenant.sync()
    intents = tenant.plan()
    single = next(i for i in intents if i.channel == "email" and len(i.items) == 1)
    held = next(i for i in intents if i.channel == "email" and i.customer_id != single.customer_id)
    outbox.enqueue(tenant.store, intents, now=tenant.clock.now())  # e.g. queued last night, outside the send window
    pause_store.add(tenant.store, tenant.name, "demo", scope="invoice",
                    target_id=single.items[0].invoice_id, kind="dispute", until=None,
                    reason="litige", by="test", now=tenant.clock.now())
    pause_store.add(tenant.store, tenant.name, "demo", scope="customer",
                    target_id=held.customer_id, kind="pause", until=dt.date(2026, 12, 31),
                    reason="procédure collective", by="test", now=tenant.clock.now())
    report = Dispatcher(tenant.store, tenant.adapter, config,
                        FileTransport(config.outbox_dir), now=tenant.clock).run()
    reasons = {key: reason for key, status, reason in report.details if status == "skipped"}
    assert "paused since planned" in reasons[single.key]
    assert "procédure collective" in reasons[held.key]
    assert not (config.outbox_dir / f"{single.key}.eml").exists()
    assert report.sent > 0
