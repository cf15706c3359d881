"""`Store.reader`: one connection for a run's many small reads, each seeing what was committed
before it (the freshness gate's customer and bank-hold reads before every claim)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connector.store.store import Store
from tests.helpers import NOW, customer, invoice


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.close()


def test_each_read_sees_what_another_connection_committed_since(store: Store) -> None:
    store.save_page("a", "demo", "customers", [customer("C1")], [], None, now=NOW)
    with store.reader() as reader:
        assert reader is not None
        first = store.customer("a", "demo", "C1", reader=reader)
        assert first is not None and not first.do_not_dun
        # marked do-not-dun while a delivery run is under way: the next claim must know
        store.save_page("a", "demo", "customers", [customer("C1", do_not_dun=True)], [], None,
                        now=NOW)
        again = store.customer("a", "demo", "C1", reader=reader)
        assert again is not None and again.do_not_dun
        store.save_page("a", "demo", "invoices",
                        [invoice("I1", dt.date(2026, 10, 1), "50.00", residual="20.00")], [],
                        None, now=NOW)
        assert store.customer("a", "demo", "C2", reader=reader) is None
        assert store.balance_history("a", "demo", ["I1"], reader=reader) == \
            store.balance_history("a", "demo", ["I1"])
        # and it holds no transaction open between reads: a writer is not kept waiting
        with store.transaction() as conn:
            store.save_invoices(conn, "a", "demo", [invoice("I2", dt.date(2026, 10, 1))], NOW)
        assert store.invoices_by_id("a", "demo", ["I2"])


def test_an_in_memory_store_reads_on_its_own_connections() -> None:
    store = Store("sqlite:///:memory:")
    with store.reader() as reader:
        assert reader is None
        assert store.customer("a", "demo", "C1", reader=reader) is None
    store.close()
