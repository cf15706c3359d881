"""Odoo activities of a grouped reminder: one per invoice, each with its own amount and one hidden
stamp; a retry completes a partial push; closing follows payments and what people do in Odoo."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import JournalEntry, PushRequest
from connector.adapters.odoo import OdooAdapter
from tests.adapters.odoo.helpers import make_adapter, pushed_activities
from tests.fakes.odoo_server import FakeOdooServer, running_fake_odoo


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    with running_fake_odoo() as server:
        server.data.write("res.partner", 8, user_id=6)  # Beta's salesperson: Marie
        # ids that sort differently as text and as numbers
        server.add_invoice(8, 400.0, "2026-09-01", move_id=190)
        server.add_invoice(8, 600.0, "2026-09-02", move_id=61)
        yield server


@pytest.fixture
def adapter(odoo: FakeOdooServer, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> OdooAdapter:
    return make_adapter(odoo, tmp_path, monkeypatch)


def request(invoices: tuple[str, ...] = ("190", "61", "4"), key: str = "d00d01",
            **extra: Any) -> PushRequest:
    values: dict[str, Any] = {
        "key": key, "invoice_ids": list(invoices), "customer_id": "8", "level": "second",
        "channel": "task", "summary": "Appeler le client – Beta Services SAS",
        "body": "Appeler le client – Beta Services SAS", "task": "call",
        # what was sent after the freshness gate, not what Odoo holds now
        "amounts": {"190": Decimal("350.00"), "61": Decimal("600.00"), "4": Decimal("1200.00")},
        "currency": "EUR", **extra}
    return PushRequest(**values)


def test_a_grouped_task_leaves_an_activity_on_every_invoice(adapter: OdooAdapter,
                                                            odoo: FakeOdooServer) -> None:
    pushed = adapter.push_task(request())
    activities = pushed_activities(odoo, pushed)
    assert [a["res_id"] for a in activities] == [4, 61, 190]  # numbers, not text order
    assert pushed == ",".join(f"{a['res_id']}:{a['id']}" for a in activities)
    amounts = {4: "1200.00 EUR", 61: "600.00 EUR", 190: "350.00 EUR"}
    for activity in activities:
        name = odoo.data.tables["account.move"][activity["res_id"]]["name"]
        assert f"{name} : {amounts[activity['res_id']]}" in activity["note"]
        assert activity["note"].count("relance:") == 1  # one stamp each...
        assert "<!-- [relance:d00d01] -->" in activity["note"]  # ...hidden in a comment
        assert "relance:" not in activity["summary"]
        assert activity["activity_type_id"] == 2 and activity["user_id"] == 6
    assert adapter.find_pushed("d00d01") == pushed


def test_a_retry_after_a_partial_push_adds_only_what_is_missing(adapter: OdooAdapter,
                                                                odoo: FakeOdooServer) -> None:
    adapter.push_task(request(invoices=("61",)))  # the run stopped after the first invoice
    adapter.context.journal.start("d00d01", JournalEntry("8", ("4", "61", "190")))
    assert adapter.find_pushed("d00d01") is None  # partly there: not "already done"
    pushed = adapter.push_task(request())
    assert len(odoo.data.tables["mail.activity"]) == 3
    assert [a["res_id"] for a in pushed_activities(odoo, pushed)] == [4, 61, 190]
    assert adapter.find_pushed("d00d01") == pushed


def test_paid_invoices_have_their_activity_closed_the_others_stay(adapter: OdooAdapter,
                                                                  odoo: FakeOdooServer) -> None:
    pushed = adapter.push_task(request())
    assert adapter.close_task(pushed, invoice_ids={"61"}, feedback="Facture réglée") is True
    assert [a["res_id"] for a in pushed_activities(odoo, pushed)] == [4, 190]
    done = [m for m in odoo.data.tables["mail.message"].values() if m["res_id"] == 61]
    assert done and "Facture réglée" in done[-1]["body"]
    # relance closed that one itself, for a paid invoice: no person has done the task
    assert adapter.tasks_done([pushed], settled={"61"}) == set()


def test_an_activity_done_in_odoo_is_seen_in_one_call(adapter: OdooAdapter,
                                                      odoo: FakeOdooServer) -> None:
    first = adapter.push_task(request())
    second = adapter.push_task(request(invoices=("4",), key="d00d02"))
    [on_190] = [a for a in pushed_activities(odoo, first) if a["res_id"] == 190]
    odoo.mark_activity_done(on_190["id"])  # Marie called and clicked "Mark Done"
    before = len(odoo.calls)
    assert adapter.tasks_done([first, second, "123"]) == {first, "123"}  # 123: long gone
    assert len(odoo.calls) == before + 1
    assert adapter.tasks_done([]) == set()
