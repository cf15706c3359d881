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


SERIES = [pytest.param("16.0", id="odoo16"), pytest.param("17.0", id="odoo17"),
          pytest.param("19.0", id="odoo19-json2")]


def increment(serie: str, changed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> tuple[list[tuple[str, str, str]], Store, FakeOdooServer]:
    """A full sync of 40 customers, then `changed` invoices paid and one first invoice posted
    for a partner that was not a customer yet; the increment's calls, counted at the fake."""
    with running_fake_odoo(serie) as odoo:
        odoo.data.now = "2026-11-24 08:00:00"
        customers = []
        for n in range(40):  # books written over time, one partner a second
            odoo.data.advance(1)
            customers.append(odoo.add_partner(f"Client {n}", email=f"c{n}@example.fr"))
        moves = [odoo.add_invoice(customers[n % 40], 100.0 + n, "2026-09-01")
                 for n in range(changed)]
        odoo.data.advance(1)
        prospect = odoo.add_partner("Prospect SAS", email="compta@prospect.example")
        store = Store(f"sqlite:///{tmp_path / 'state.db'}")
        adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=PAGE, lookback_seconds=0)
        sync(store, adapter, "t1", "odoo", now=lambda: NOW)
        assert store.customer("t1", "odoo", str(prospect)) is None  # never invoiced yet
        odoo.data.advance(3600)
        for move in moves:
            odoo.register_payment(move, date="2026-11-24")
        first = odoo.add_invoice(prospect, 420.0, "2026-11-24")
        odoo.calls.clear()
        sync(store, adapter, "t1", "odoo", now=lambda: NOW + dt.timedelta(hours=1))
        calls = list(odoo.calls)
        paid = store.invoices_by_id("t1", "odoo", [str(m) for m in moves])
        assert len(paid) == changed and {i.status for i in paid.values()} == {"paid"}
        assert store.invoices_by_id("t1", "odoo", [str(first)])[str(first)].status == "open"
        assert store.customer("t1", "odoo", str(prospect)) is not None  # the new customer
        return calls, store, odoo


@pytest.mark.parametrize("serie", SERIES)
def test_an_increment_costs_its_invoice_pages_plus_a_constant_at_any_size(
        serie: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,200 changed invoices (120 pages of 10) cost the same fixed few calls beside their
    pages as 3 do: the moves are grouped by customer in one call, never listed page by page
    for the customers' sake."""
    fixed = set()
    for changed in (3, 1200):
        calls, store, _ = increment(serie, changed, tmp_path / str(changed), monkeypatch)
        store.close()
        move_pages = [c for c in calls if c[1:] == ("account.move", "search_read")]
        assert len(move_pages) == pages(changed + 1), calls  # the invoices changed, once
        grouped = "formatted_read_group" if serie.startswith("19") else "read_group"
        assert [c for c in calls if c[1] == "account.move" and c not in move_pages] == [
            (calls[0][0], "account.move", grouped)]
        # beside them: the partners changed since (the last one again: the bound is
        # inclusive) and their contacts, the grouped read, its customers with their contacts
        fixed.add(len(calls) - len(move_pages))
    assert fixed == {4}, fixed


def test_a_server_refusing_the_grouped_read_has_the_moves_listed_instead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build whose grouped read takes other arguments answers a fault: the new customer is
    still found, the changed moves listed page by page as before."""
    from tests.fakes.odoo_data import OdooData

    def refuse(self: OdooData, model: str, *args: object, **kwargs: object) -> None:
        raise TypeError("read_group() got an unexpected keyword argument 'lazy'")

    monkeypatch.setattr(OdooData, "m_read_group", refuse)
    calls, store, _ = increment("17.0", 25, tmp_path, monkeypatch)
    store.close()
    assert ("object", "account.move", "read_group") in calls
    listed = [c for c in calls if c[1:] == ("account.move", "search_read")]
    assert len(listed) == 2 * pages(25 + 1), calls  # for the customers, then as invoices
