"""`relance check`, `sync`, `plan`, `run` against the fake Odoo 17, with a config a user would write:
one chatter note per reminder and one activity per task, never two after a rerun or a crash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.delivery.channels import Delivery
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.store import outbox
from tests.adapters.odoo.helpers import TRANSPORTS
from tests.e2e import relance, user_loop, write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo

ENV = {"ODOO_KEY": API_KEY}
FALLBACK = 'activity_user = "marie@example.fr"\n'  # the seeded invoices' salesperson is the bot


@pytest.fixture(params=TRANSPORTS)
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdooServer]:
    server = start_fake_odoo(request.param)
    yield server
    server.stop()


def notes(odoo: FakeOdooServer) -> list[dict]:
    return [m for m in odoo.data.tables["mail.message"].values()
            if "relance:" in str(m.get("body"))]


def activities(odoo: FakeOdooServer) -> list[dict]:
    return list(odoo.data.tables["mail.activity"].values())


def test_user_loop_leaves_one_note_and_one_activity_per_invoice_reminded(
        tmp_path: Path, odoo: FakeOdooServer) -> None:
    config = write_user_config(tmp_path, odoo.source_toml() + FALLBACK)
    with config.open("a", encoding="utf-8") as file:  # late levels come with a call task
        file.write('\n[policy]\nonboarding = "resume"\n')
    loop = user_loop(config, env=ENV)
    assert loop.emails and loop.emails_written == len(loop.emails)
    assert loop.tasks  # one activity on each invoice a task names, stamped once
    names = {m["id"]: m["name"] for m in odoo.data.tables["account.move"].values()}
    assert sorted((names[a["res_id"]], a["note"].count("relance:"))
                  for a in activities(odoo)) == sorted(
        (number, 1) for task in loop.tasks for number in {i["number"] for i in task["invoices"]})
    for email in loop.emails:
        mine = [m for m in notes(odoo) if email["key"][:28] in str(m["body"])]
        # one note on each invoice the email named, each stamped once
        assert sorted(names[m["res_id"]] for m in mine) == sorted(
            {i["number"] for i in email["invoices"]})
        assert all(str(m["body"]).count("relance:") == 1 for m in mine)
    assert len(notes(odoo)) == sum(len({i["number"] for i in e["invoices"]})
                                   for e in loop.emails)


def test_crash_between_push_and_outbox_update_pushes_once(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    config_path = write_user_config(tmp_path, odoo.source_toml() + FALLBACK)
    with config_path.open("a", encoding="utf-8") as file:  # late levels come with a call task
        file.write('\n[policy]\nonboarding = "resume"\n')
    monkeypatch.setenv("ODOO_KEY", API_KEY)
    tenant = open_tenant(load_config(config_path))
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    now = tenant.clock.now()
    task = next(r for r in outbox.due(tenant.store, tenant.name, now) if r["channel"] == "task")
    claimed = outbox.claim_one(tenant.store, task, now, dt.timedelta(minutes=15))
    dispatcher = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                            FileTransport(tenant.config.outbox_dir), exclusive=True, now=tenant.clock)
    dispatcher.channel("task").deliver(Delivery(claimed, outbox.readable(tenant.store, claimed)))  # pushed, then "crash"
    assert len(activities(odoo)) == len(set(outbox.payload(claimed).invoice_ids))
    report = open_tenant(load_config(config_path)).run(do_sync=False)
    assert (task["key"], "sent", "reconciled after an interruption") in report.delivery.details
    assert len(activities(odoo)) == sum(len(set(outbox.payload(r).invoice_ids))
                                        for r in outbox.rows(tenant.store, tenant.name)
                                        if r["channel"] == "task" and r["status"] == "sent")
    assert len(notes(odoo)) == sum(len(outbox.payload(r).invoice_ids)  # one per invoice
                                   for r in outbox.rows(tenant.store, tenant.name)
                                   if r["channel"] == "note" and r["status"] == "sent")


def test_wrong_key_is_a_clear_error(tmp_path: Path, odoo: FakeOdooServer) -> None:
    config = write_user_config(tmp_path, odoo.source_toml())
    code, out = relance(config, "check", env={"ODOO_KEY": "wrong-key-1234567890"})
    assert code == 2 and "refused" in out and "wrong-key-1234567890" not in out
