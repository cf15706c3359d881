"""Tasks that close by themselves at sync: when their invoices are paid or credited, and when a
person marks the activity done in Odoo; seen in `relance tasks`, `relance history` and Odoo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import relance, write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, running_fake_odoo

ENV = {"ODOO_KEY": API_KEY}
TODAY = ("--today", "2026-11-27")
LEVEL = ('\n[policy]\n\n[[policy.levels]]\nname = "first"\ndays = 1\nchannel = "task"\n'
         'template = "first"\ntask = "call"\n')


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    with running_fake_odoo() as server:
        yield server


def config(tmp_path: Path, odoo: FakeOdooServer) -> Path:
    path = write_user_config(tmp_path, odoo.source_toml() + 'activity_user = "marie@example.fr"\n')
    path.write_text(path.read_text(encoding="utf-8") + LEVEL, encoding="utf-8")
    return path


def cli(path: Path, *args: str) -> str:
    code, out = relance(path, *TODAY, *args, env=ENV)
    assert code == 0, out
    return out


def alpha_task(path: Path) -> dict[str, Any]:
    [task] = [t for t in json.loads(cli(path, "tasks", "--all", "--json"))
              if t["customer_id"] == "7"]  # Alpha Distribution: invoices 1 and 2
    return task


def on_invoice(odoo: FakeOdooServer, move_id: int) -> list[dict[str, Any]]:
    return [a for a in odoo.data.tables["mail.activity"].values() if a["res_id"] == move_id]


def test_a_task_closes_when_its_invoices_are_paid_here_and_in_odoo(tmp_path: Path,
                                                                  odoo: FakeOdooServer) -> None:
    path = config(tmp_path, odoo)
    cli(path, "sync")
    cli(path, "run")
    assert alpha_task(path)["status"] == "open"
    assert len(on_invoice(odoo, 1)) == len(on_invoice(odoo, 2)) == 1

    odoo.register_payment(1)
    assert "tâches closes" not in cli(path, "sync")
    assert on_invoice(odoo, 1) == [] and len(on_invoice(odoo, 2)) == 1  # paid: closed in Odoo
    done = [m for m in odoo.data.tables["mail.message"].values() if m["res_id"] == 1
            and "facture réglée" in str(m["body"])]
    assert len(done) == 1  # the closure shows in the invoice's chatter
    assert alpha_task(path)["status"] == "open"  # invoice 2 is still due: the call too

    odoo.reverse(2)  # the rest is credited
    assert "tâches closes : 1" in cli(path, "sync")
    task = alpha_task(path)
    assert task["status"] == "done" and task["done_by"] == "relance"
    assert on_invoice(odoo, 2) == []
    listed = cli(path, "tasks", "--all")
    assert "par relance : factures réglées ou créditées" in listed
    assert "Alpha" in listed and "Alpha" not in cli(path, "tasks")  # no longer open
    events = json.loads(cli(path, "history", "Alpha Distribution SARL", "--json"))
    assert "task_done" in {e["kind"] for e in events}
    cli(path, "sync")  # nothing more to do, nothing done twice
    assert len([m for m in odoo.data.tables["mail.message"].values()
                if "facture réglée" in str(m["body"])]) == 2


def test_a_task_done_in_odoo_closes_here_with_its_other_activities(tmp_path: Path,
                                                                   odoo: FakeOdooServer) -> None:
    path = config(tmp_path, odoo)
    cli(path, "sync")
    cli(path, "run")
    [first] = on_invoice(odoo, 1)
    odoo.mark_activity_done(first["id"])  # Marie called Alpha and clicked "Mark Done"
    assert "tâches closes : 1" in cli(path, "sync")
    task = alpha_task(path)
    assert task["status"] == "done" and task["done_by"] == "odoo"
    assert on_invoice(odoo, 2) == []  # the same call: its activity on invoice 2 closes too
    assert any("faite dans Odoo sur une autre facture" in str(m["body"])
               for m in odoo.data.tables["mail.message"].values() if m["res_id"] == 2)
    assert "par odoo : faite dans Odoo" in cli(path, "tasks", "--all")
