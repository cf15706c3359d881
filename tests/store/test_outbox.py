"""The outbox on the demo source: nothing twice, nothing paid, nothing lost after a crash.

Every test runs on a SQLite file and on PostgreSQL (the `store_url` fixture)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from connector.adapters.demo import DemoAdapter
from connector.app.tenant import Tenant, open_tenant
from connector.config import load_config
from connector.delivery.channels import Delivery
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.errors import TransientError
from connector.store import outbox
from connector.store import tables as t
from tests.helpers import write_config

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def tenant(tmp_path: Path, store_url: str) -> Iterator[Tenant]:
    opened = open_tenant(load_config(write_config(tmp_path, state=store_url)), today=TODAY)
    yield opened
    opened.store.close()


def emails(tenant: Tenant) -> list[Path]:
    return sorted(tenant.config.outbox_dir.glob("*.eml"))


def test_same_day_twice_sends_nothing_the_second_time(tenant: Tenant) -> None:
    first = tenant.run()
    assert first.delivery is not None and first.delivery.sent > 10
    written = emails(tenant)
    second = open_tenant(tenant.config, today=TODAY).run()
    assert second.planned == [] and second.enqueued == 0 and second.delivery.sent == 0
    assert emails(tenant) == written


def test_enqueue_refuses_a_key_or_an_item_level_twice(tenant: Tenant) -> None:
    tenant.sync()
    intents = tenant.plan()
    assert outbox.enqueue(tenant.store, intents, now=tenant.clock.now()) == len(intents)
    assert outbox.enqueue(tenant.store, intents, now=tenant.clock.now()) == 0
    # the same item at the same level under another key (e.g. regrouped) is refused too
    clone = intents[0].__class__(**{**intents[0].__dict__, "key": "f" * 32})
    assert outbox.enqueue(tenant.store, [clone], now=tenant.clock.now()) == 0


def test_enqueue_keeps_the_new_intents_of_a_batch_that_holds_a_known_one(tenant: Tenant) -> None:
    tenant.sync()
    intents = tenant.plan()
    assert len(intents) > 3
    assert outbox.enqueue(tenant.store, intents[1:2], now=tenant.clock.now()) == 1
    # one known intent in the middle of the batch: the others still go in, each once
    assert outbox.enqueue(tenant.store, intents, now=tenant.clock.now()) == len(intents) - 1
    keys = tenant.store.scalars(select(t.outbox.c.key))
    assert sorted(keys) == sorted(i.key for i in intents)


def test_invoice_paid_after_plan_is_not_reminded(tenant: Tenant) -> None:
    tenant.sync()
    intents = tenant.plan()
    target = next(i for i in intents if i.channel == "email" and len(i.items) == 1)
    outbox.enqueue(tenant.store, intents, now=tenant.clock.now())
    adapter = tenant.adapter
    assert isinstance(adapter, DemoAdapter)
    adapter.record_payment(target.items[0].invoice_id)  # the customer pays in between
    report = Dispatcher(tenant.store, adapter, tenant.config,
                        FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    assert not (tenant.config.outbox_dir / f"{target.key}.eml").exists()
    assert (target.key, "skipped") in [(k, s) for k, s, _ in report.details]
    row = next(r for r in outbox.rows(tenant.store, tenant.name, "skipped") if r["key"] == target.key)
    assert target.items[0].number in row["reason"]
    # and the store now knows it is paid
    fresh = tenant.store.invoices_by_id(tenant.name, "demo", [target.items[0].invoice_id])
    assert fresh[target.items[0].invoice_id].status == "paid"


def test_partly_paid_in_between_reminds_for_what_is_left(tenant: Tenant) -> None:
    tenant.sync()
    intents = tenant.plan()
    target = next(i for i in intents if i.channel == "email" and len(i.items) == 1
                  and not i.credit_notes)
    outbox.enqueue(tenant.store, intents, now=tenant.clock.now())
    item = target.items[0]
    tenant.adapter.record_payment(item.invoice_id, amount=item.residual - 10)
    Dispatcher(tenant.store, tenant.adapter, tenant.config,
               FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    text = (tenant.config.outbox_dir / f"{target.key}.eml").read_text()
    assert "10,00" in text


def _crash_while_sending(tenant: Tenant) -> list[dict]:
    """Plan, claim (committed `sending`), then 'die' before anything else happens."""
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    past = tenant.clock.now() - dt.timedelta(hours=1)
    now = tenant.clock.now()
    claimed = [outbox.claim_one(tenant.store, row, now, dt.timedelta(minutes=15))
               for row in outbox.due(tenant.store, tenant.name, now)[:3]]
    with tenant.store.transaction() as conn:  # the lease of the dead process runs out
        conn.execute(update(t.outbox).where(t.outbox.c.status == "sending")
                     .values(lease_until=past))
    return claimed


def test_crash_before_send_is_sent_once_on_the_next_run(tenant: Tenant) -> None:
    claimed = _crash_while_sending(tenant)
    report = open_tenant(tenant.config, today=TODAY).run(do_sync=False)
    keys = {r["key"] for r in claimed if r["channel"] == "email"}
    assert keys <= {p.stem for p in emails(tenant)}
    assert report.delivery.uncertain == 0
    assert outbox.counts(tenant.store, tenant.name).get("sending", 0) == 0


def test_crash_after_send_is_not_sent_again(tenant: Tenant) -> None:
    claimed = _crash_while_sending(tenant)
    row = next(r for r in claimed if r["channel"] == "email")
    transport = FileTransport(tenant.config.outbox_dir)
    # the message left, then the process died before marking it
    dispatcher = Dispatcher(tenant.store, tenant.adapter, tenant.config, transport, now=tenant.clock)
    dispatcher.channel("email").deliver(Delivery(row, outbox.readable(tenant.store, row)))
    written = (tenant.config.outbox_dir / f"{row['key']}.eml").stat().st_mtime_ns
    report = Dispatcher(tenant.store, tenant.adapter, tenant.config, transport, now=tenant.clock).run()
    assert (tenant.config.outbox_dir / f"{row['key']}.eml").stat().st_mtime_ns == written
    assert (row["key"], "sent", "reconciled after an interruption") in report.details


class BlindTransport(FileTransport):
    """Like SMTP: cannot tell whether a message left."""

    def already_sent(self, key: str) -> bool | None:
        return None


def test_crash_with_smtp_becomes_uncertain_and_waits_for_a_person(tenant: Tenant) -> None:
    claimed = _crash_while_sending(tenant)
    Dispatcher(tenant.store, tenant.adapter, tenant.config,
               BlindTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    uncertain = outbox.rows(tenant.store, tenant.name, "uncertain")
    assert {r["key"] for r in uncertain} == {r["key"] for r in claimed if r["channel"] == "email"}
    assert not any((tenant.config.outbox_dir / f"{r['key']}.eml").exists() for r in uncertain)
    key = uncertain[0]["key"]
    assert outbox.resolve_uncertain(tenant.store, tenant.name, key, sent=False, now=tenant.clock.now())
    Dispatcher(tenant.store, tenant.adapter, tenant.config,
               FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    assert (tenant.config.outbox_dir / f"{key}.eml").exists()


class FlakyTransport(FileTransport):
    def send(self, message, bcc=None):
        raise TransientError("451 try again later")


def test_transient_failure_reschedules_without_sending(tenant: Tenant) -> None:
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    report = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                        FlakyTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    assert report.retried > 0 and report.failed == 0
    with tenant.store.engine.connect() as conn:
        rows = conn.execute(select(t.outbox.c.next_attempt_at, t.outbox.c.status,
                                   t.outbox.c.reason)
                            .where(t.outbox.c.channel == "email")).all()
    now = tenant.clock.now()
    assert all(status == "planned" for _when, status, _reason in rows)
    tried = [when for when, _status, reason in rows if reason]
    assert tried and all(_aware(when) > now for when in tried)
    # after three failures in a row the run stops trying the relay: the others wait, untouched
    assert "email" in report.stopped


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_tasks_are_recorded_and_shown_in_status(tenant: Tenant) -> None:
    tenant.run()
    status = tenant.status()
    assert status["open_tasks"]
    assert all(task["title"] for task in status["open_tasks"])
    assert status["outbox"]["sent"] > 0
