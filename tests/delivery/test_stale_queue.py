"""Stale queues (issue 15, case 4): a reminder queued while the relay was down is checked again
when it finally leaves: do-not-dun set since, an address corrected in Odoo, an invoice reassigned
to another customer, a customer moved to another policy. Each change drops or re-plans it."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.app.tenant import Tenant, open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.store import outbox
from tests.e2e import write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo
from tests.helpers import NOW

FALLBACK = 'activity_user = "marie@example.fr"\n'  # the seeded invoices' salesperson

TODAY = dt.date(2026, 11, 27)
ALPHA, BETA = "7", "8"


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    server = start_fake_odoo("17.0")
    yield server
    server.stop()


class Queue:
    """A tenant whose reminders were queued (the relay was down) and are delivered later."""

    def __init__(self, tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch,
                 extra: str = "") -> None:
        monkeypatch.setenv("ODOO_KEY", API_KEY)
        self.path = write_user_config(tmp_path, odoo.source_toml() + FALLBACK)
        self.path.write_text(self.path.read_text() + extra)
        self.moment = NOW
        tenant = self.tenant()
        tenant.sync()
        outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
        self.queued = {r["customer_id"]: r for r in outbox.rows(tenant.store, tenant.name)
                       if r["channel"] == "email"}
        assert set(self.queued) == {ALPHA, BETA}

    def tenant(self) -> Tenant:
        return open_tenant(load_config(self.path), today=TODAY,
                           clock=Clock("Europe/Paris", source=lambda: self.moment))

    def deliver(self) -> Tenant:
        """The relay is back: a run syncs, then delivers what waited."""
        self.moment += dt.timedelta(hours=2)
        tenant = self.tenant()
        tenant.run()
        return tenant

    def row(self, tenant: Tenant, customer: str) -> dict:
        key = self.queued[customer]["key"]
        return next(r for r in outbox.rows(tenant.store, tenant.name, limit=1000)
                    if r["key"].startswith(key))

    def eml(self, tenant: Tenant, key: str) -> email.message.Message:
        return email.message_from_bytes((tenant.config.outbox_dir / f"{key}.eml").read_bytes())


def test_do_not_dun_set_after_queueing_stops_the_reminder(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue(tmp_path, odoo, monkeypatch)
    queue.path.write_text(queue.path.read_text() + f'\n[customers."{ALPHA}"]\ndo_not_dun = true\n')
    tenant = queue.deliver()
    row = queue.row(tenant, ALPHA)
    assert row["status"] == "skipped" and "do-not-dun" in row["reason"]
    assert not (tenant.config.outbox_dir / f"{row['key']}.eml").exists()
    assert queue.row(tenant, BETA)["status"] == "sent"


def test_an_address_corrected_in_odoo_is_the_one_written_to(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue(tmp_path, odoo, monkeypatch)
    with odoo.lock:
        odoo.data.write("res.partner", int(BETA), email="paiements@beta.example")
    tenant = queue.deliver()
    row = queue.row(tenant, BETA)
    assert row["status"] == "sent" and "paiements@beta.example" in row["reason"]
    assert queue.eml(tenant, row["key"])["To"] == "paiements@beta.example"


def test_an_invoice_reassigned_in_odoo_leaves_the_old_customer_out(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue(tmp_path, odoo, monkeypatch)
    with odoo.lock:  # INV/2026/00001 was booked on Alpha by mistake: it is Beta's
        odoo.data.write("account.move", 1, partner_id=int(BETA),
                        commercial_partner_id=int(BETA))
    tenant = queue.deliver()
    alpha = queue.row(tenant, ALPHA)
    if alpha["status"] == "sent":
        assert "INV/2026/00001" not in queue.eml(tenant, alpha["key"]).as_string()
        assert "INV/2026/00002" in queue.eml(tenant, alpha["key"]).as_string()
    else:
        assert alpha["status"] == "skipped"
    # the invoice is free again for its real customer's ladder
    week = NOW + dt.timedelta(days=7)
    later = open_tenant(load_config(queue.path), today=TODAY + dt.timedelta(days=7),
                        clock=Clock("Europe/Paris", source=lambda: week))
    assert any("1" in i.invoice_ids and i.customer_id == BETA for i in later.plan())

POLICIES = """
[policies.gentle]
[[policies.gentle.levels]]
name = "courtesy"
days = 1
template = "first"
"""


def test_a_customer_moved_to_another_policy_is_planned_again_under_it(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue(tmp_path, odoo, monkeypatch, extra=POLICIES)
    queue.path.write_text(queue.path.read_text() + f'\n[customers."{BETA}"]\npolicy = "gentle"\n')
    tenant = queue.deliver()
    old = queue.row(tenant, BETA)
    assert old["status"] == "skipped" and "gentle" in old["reason"]
    assert not (tenant.config.outbox_dir / f"{queue.queued[BETA]['key']}.eml").exists()
    replanned = [i for i in tenant.plan() if i.customer_id == BETA and i.channel == "email"]
    assert replanned and {i.policy for i in replanned} == {"gentle"}

