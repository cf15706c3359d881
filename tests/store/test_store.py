"""The store on a SQLite file and on PostgreSQL: migrations, upserts keyed per tenant, cursors
moving with their data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from connector.store import tables as t
from connector.store.store import Store
from tests.helpers import NOW, customer, invoice

DUE = dt.date(2026, 10, 1)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.close()


def test_migrations_create_exactly_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diff == []


def test_reopening_a_store_keeps_its_data(store_url: str) -> None:
    url = store_url
    Store(url).save_page("a", "demo", "customers", [customer()], [], {"n": 1}, now=NOW)
    again = Store(url)
    assert again.customer("a", "demo", "C1") is not None
    assert again.cursor("a", "demo", "customers") == {"n": 1}


def test_upsert_updates_in_place(store: Store) -> None:
    store.save_page("a", "demo", "invoices", [invoice("I1", DUE, "120.50")], [], None, now=NOW)
    store.save_page("a", "demo", "invoices",
                    [invoice("I1", DUE, "120.50", residual="20.50", status="partial")], [], None, now=NOW)
    found = store.invoices_by_id("a", "demo", ["I1"])
    assert store.count(t.invoices, "a") == 1
    assert found["I1"].residual == Decimal("20.50") and found["I1"].status == "partial"
    assert found["I1"].total == Decimal("120.50")


def test_money_is_exact(store: Store) -> None:
    amount = "98765432109.87"
    store.save_page("a", "demo", "invoices", [invoice("I1", DUE, amount)], [], None, now=NOW)
    assert store.invoices_by_id("a", "demo", ["I1"])["I1"].total == Decimal(amount)


def test_tenants_do_not_see_each_other(store: Store) -> None:
    store.save_page("a", "demo", "invoices", [invoice("I1", DUE, "1.00")], [], None, now=NOW)
    store.save_page("b", "demo", "invoices", [invoice("I1", DUE, "2.00")], [], None, now=NOW)
    assert store.invoices_by_id("a", "demo", ["I1"])["I1"].total == Decimal("1.00")
    assert store.invoices_by_id("b", "demo", ["I1"])["I1"].total == Decimal("2.00")


def test_a_failed_page_moves_neither_data_nor_cursor(store: Store) -> None:
    store.save_page("a", "demo", "invoices", [invoice("I1", DUE)], [], {"page": 1}, now=NOW)
    bad_row = invoice("I2", DUE).model_copy(update={"number": None})  # violates NOT NULL
    with pytest.raises(Exception):
        store.save_page("a", "demo", "invoices", [invoice("I3", DUE), bad_row], [], {"page": 2}, now=NOW)
    assert store.cursor("a", "demo", "invoices") == {"page": 1}
    assert set(store.invoices_by_id("a", "demo", ["I1", "I2", "I3"])) == {"I1"}


def test_deleted_ids_are_removed(store: Store) -> None:
    store.save_page("a", "demo", "invoices", [invoice("I1", DUE), invoice("I2", DUE)], [], None, now=NOW)
    store.save_page("a", "demo", "invoices", [], ["I1"], None, now=NOW)
    assert set(store.invoices_by_id("a", "demo", ["I1", "I2"])) == {"I2"}


def test_open_ledger_streams_customers_with_open_items(store: Store) -> None:
    store.save_page("a", "demo", "customers", [customer("C1"), customer("C2")], [], None, now=NOW)
    store.save_page("a", "demo", "invoices", [
        invoice("I1", DUE, customer_id="C1"), invoice("I2", DUE, customer_id="C2",
                                                      status="paid", residual="0"),
        invoice("I3", DUE, customer_id="C2")], [], None, now=NOW)
    ledger = [(c.external_id, [i.external_id for i in items])
              for c, items in store.open_ledger("a", "demo")]
    assert ledger == [("C1", ["I1"]), ("C2", ["I3"])]


def test_open_ledger_gives_each_customers_invoices_by_due_date_then_id(store: Store) -> None:
    # saved out of order and interleaved: the rules list (and key) them in the ledger's order
    store.save_page("a", "demo", "customers", [customer("C1"), customer("C2")], [], None, now=NOW)
    later = DUE + dt.timedelta(days=3)
    store.save_page("a", "demo", "invoices", [
        invoice("I9", later, customer_id="C2"), invoice("I5", DUE, customer_id="C1"),
        invoice("I7", later, customer_id="C1", total=Decimal("12.30"), residual="4.05"),
        invoice("I2", later, customer_id="C1"), invoice("I4", DUE, customer_id="C2"),
        invoice("I6", DUE, customer_id="C1")], [], None, now=NOW)
    ledger = [(c.external_id, [(i.external_id, str(i.residual)) for i in items])
              for c, items in store.open_ledger("a", "demo")]
    assert ledger == [("C1", [("I5", "100.00"), ("I6", "100.00"), ("I2", "100.00"),
                              ("I7", "4.05")]),
                      ("C2", [("I4", "100.00"), ("I9", "100.00")])]
