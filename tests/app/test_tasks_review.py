"""Tasks closed in the source too; an approved message still goes through the freshness gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from connector.adapters.base import BaseAdapter
from connector.app import review, tasks
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.models import Invoice
from connector.store import outbox
from connector.store import tables as t
from tests.helpers import write_config

TODAY = dt.date(2026, 11, 27)


class Closing(BaseAdapter):
    kind = "closing"

    def __init__(self) -> None:
        self.closed: list[str] = []
        self.feedback: list[str | None] = []

    def close_task(self, remote_id: str, *, invoice_ids: Collection[str] | None = None,
                   feedback: str | None = None) -> bool:
        self.closed.append(remote_id)
        self.feedback.append(feedback)
        return True


def test_done_closes_a_pushed_task_in_the_source_and_records_who(tmp_path: Path) -> None:
    tenant = open_tenant(load_config(write_config(tmp_path)), today=TODAY)
    now = tenant.clock.now()
    with tenant.store.transaction() as conn:
        conn.execute(t.tasks.insert(), [
            {"key": "k1", "tenant": tenant.name, "source": "demo", "customer_id": "C1",
             "title": "Appeler le client", "body": "", "due_date": TODAY, "status": "open",
             "remote_id": "mail.activity,42", "created_at": now},
            {"key": "k2", "tenant": tenant.name, "source": "demo", "customer_id": "C1",
             "title": "Préparer l'envoi recommandé", "body": "", "due_date": TODAY,
             "status": "open", "remote_id": None, "created_at": now}])
    ids = [row["id"] for row in tasks.list_tasks(tenant.store, tenant.name)]
    source = Closing()
    pushed = tasks.done(tenant.store, tenant.name, ids[0], by="marie", now=now, note="rappelé",
                        adapter=source)
    local = tasks.done(tenant.store, tenant.name, ids[1], by="marie", now=now, adapter=source)
    assert (pushed.in_source, local.in_source) == (True, None)
    assert source.closed == ["mail.activity,42"]
    assert source.feedback == ["Faite dans relance par marie : rappelé."]  # shown in the source
    assert tasks.list_tasks(tenant.store, tenant.name) == []
    assert BaseAdapter.close_task(source, "x") is False  # the contract's default: not supported
    assert not tasks.done(tenant.store, tenant.name, 999, by="marie", now=now).found


class Paid(BaseAdapter):
    """The source says every invoice was paid since it was planned."""

    kind = "paid"

    def __init__(self, invoices: dict[str, Invoice]) -> None:
        self.invoices = invoices

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        return [self.invoices[i].model_copy(update={"status": "paid", "residual": 0})
                for i in invoice_ids if i in self.invoices]


def test_an_approved_message_is_dropped_at_send_time_if_paid_meanwhile(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, extra='\n[policy]\nonboarding = "hold"\n'))
    tenant = open_tenant(config, today=TODAY)
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    waiting = review.pending(tenant.store, tenant.name)
    emails = [p for p in waiting if p.channel == "email"]
    assert emails and outbox.counts(tenant.store, tenant.name).get("planned", 0) == 0
    chosen = emails[0]
    assert review.approve(tenant.store, tenant.name, [chosen.key], by="marie",
                          now=tenant.clock.now()) == [chosen.key]
    ledger = {i.external_id: i for _c, invoices in tenant.store.open_ledger(tenant.name, "demo")
              for i in invoices}
    report = Dispatcher(tenant.store, Paid(ledger), config, FileTransport(config.outbox_dir),
                        now=tenant.clock).run()
    assert [(key, status) for key, status, _why in report.details] == [(chosen.key, "skipped")]
    assert not (config.outbox_dir / f"{chosen.key}.eml").exists()
    with tenant.store.engine.connect() as conn:
        left = conn.execute(select(t.outbox.c.status).where(
            t.outbox.c.key != chosen.key)).scalars().all()
    assert set(left) == {"pending_approval"}  # nothing else was claimed


def test_nothing_overtakes_a_message_under_review(tmp_path: Path) -> None:
    """Held first messages wait; a week later nothing more is planned for those customers (it
    would otherwise leave on its own, the customer being no longer new), until a person decides."""
    config = load_config(write_config(tmp_path, extra='\n[policy]\nonboarding = "hold"\n'))
    tenant = open_tenant(config, today=TODAY)
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    waiting = {p.customer_id for p in review.pending(tenant.store, tenant.name)}
    later = open_tenant(config, today=TODAY + dt.timedelta(days=10))
    assert waiting and not waiting & {i.customer_id for i in later.plan()}
    review.approve(tenant.store, tenant.name, every=True, by="marie", now=tenant.clock.now())
    after = open_tenant(config, today=TODAY + dt.timedelta(days=10))
    assert waiting & {i.customer_id for i in after.plan()}  # the ladder goes on once decided


def test_a_formal_notice_is_approved_or_rejected_with_its_letter() -> None:
    from connector.app.review import Pending, _with_siblings
    day = TODAY
    rows = [Pending("e1", "C1", "D", "formal_notice", "email", day, ("F1",), Decimal(0), "EUR"),
            Pending("l1", "C1", "D", "formal_notice", "letter", day, ("F1",), Decimal(0), "EUR"),
            Pending("e2", "C2", "E", "formal_notice", "email", day, ("F2",), Decimal(0), "EUR")]
    assert _with_siblings(rows, ["e1"]) == ["e1", "l1"]
    assert _with_siblings(rows, ["e2"]) == ["e2"]
