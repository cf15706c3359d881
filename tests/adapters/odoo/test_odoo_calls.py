"""How many calls a sync costs, counted at the fake server: a full sync reads each page of
partners and of moves once (no contacts read per page of customers), plus a fixed few; an
increment reads what changed plus a fixed few."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.store.store import Store
from connector.sync.engine import sync
from tests.adapters.odoo.helpers import make_adapter
from tests.fakes.odoo_server import FakeOdooServer, running_fake_odoo
from tests.helpers import NOW

PAGE = 10


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    with running_fake_odoo() as server:
        server.data.now = "2026-11-24 08:00:00"
        for n in range(40):  # 40 customers, half with a billing contact; one invoice each
            server.data.advance(1)
            customer = server.add_partner(f"Client {n}", email=f"c{n}@example.fr")
            if n % 2:
                server.add_partner(f"Compta {n}", email=f"ap{n}@example.fr", is_company=False,
                                   parent_id=customer, type="invoice")
            server.add_invoice(customer, 100.0 + n, "2026-09-01")
        yield server


def pages(rows: int) -> int:
    """A keyset scan ends on its first short page (an empty one after a full last page)."""
    return rows // PAGE + 1


def test_a_full_sync_then_an_increment_in_the_fewest_calls(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    partners = 3 + 40 + 20  # the seeded customers, the new ones, their billing contacts
    moves = len(odoo.data.tables["account.move"])
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=PAGE, lookback_seconds=0)
    odoo.calls.clear()
    result = sync(store, adapter, "t1", "odoo", now=lambda: NOW)
    assert result.counts["customers"] >= 43 and result.counts["invoices"] == moves
    # version + authenticate, the latest move (the mark for new customers), one read per page,
    # and one instalment read for the page holding the invoice split in instalments
    assert len(odoo.calls) == 2 + 1 + pages(partners) + pages(moves) + 1, odoo.calls
    with_contacts = store.customer("t1", "odoo", str(max(
        p["parent_id"] for p in odoo.data.tables["res.partner"].values() if p["parent_id"])))
    assert with_contacts is not None and with_contacts.contacts  # contacts still read

    odoo.data.advance(3600)
    odoo.register_payment(1, date="2026-11-24")
    odoo.calls.clear()
    sync(store, adapter, "t1", "odoo", now=lambda: NOW + dt.timedelta(hours=1))
    # partners changed since (the last one again: the bound is inclusive) and its contacts;
    # moves changed since, for new customers, with their partners and contacts in one read;
    # the invoices changed since
    assert len(odoo.calls) == 5, odoo.calls
    assert store.invoices_by_id("t1", "odoo", ["1"])["1"].status == "paid"
    store.close()
