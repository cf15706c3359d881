"""Sync engine: pages and cursors together, malformed records skipped, crashes lose nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.adapters.base import AdapterContext, BaseAdapter, Page, Rejected, map_records
from connector.errors import TransientError
from connector.models import Customer, Invoice
from connector.secrets import SecretStore
from connector.store.store import Store
from connector.sync.engine import sync
from tests.helpers import NOW, customer, invoice

DUE = dt.date(2026, 10, 1)


class ScriptedAdapter(BaseAdapter):
    """Serves raw dict pages through the real mapping helper; can fail after N pages."""

    kind = "scripted"

    def __init__(self, pages: list[list[dict]], fail_after: int | None = None) -> None:
        super().__init__(None, AdapterContext("t", SecretStore("t"), DUE, Path(".")))
        self.pages, self.fail_after = pages, fail_after

    def customers(self, since) -> Iterator[Page[Customer]]:
        yield Page([customer("C1")], {"done": True})

    def invoices(self, since) -> Iterator[Page[Invoice]]:
        start = since["page"] if since else 0
        for number, raw in enumerate(self.pages[start:], start=start + 1):
            if self.fail_after is not None and number > self.fail_after:
                raise TransientError("connection reset")
            records, rejected = map_records(raw, lambda r: invoice(**r), lambda r: r.get("iid"))
            yield Page(records, {"page": number}, rejected)

    def refresh(self, invoice_ids):  # pragma: no cover - not used here
        return []


def raw(iid: str, amount: str = "10.00") -> dict:
    return {"iid": iid, "due": DUE, "amount": amount}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'state.db'}")


def test_malformed_record_is_skipped_and_the_page_commits(store: Store, caplog) -> None:
    adapter = ScriptedAdapter([[raw("I1"), raw("I2", amount="not money"), raw("I3")]])
    result = sync(store, adapter, "t", "demo", now=lambda: NOW)
    assert result.counts["invoices"] == 2 and result.rejected == 1
    assert set(store.invoices_by_id("t", "demo", ["I1", "I2", "I3"])) == {"I1", "I3"}
    assert "I2" in caplog.text
    rejects = store.recent_rejects("t")
    assert rejects[0]["source_id"] == "I2" and rejects[0]["reason"]


def test_crash_mid_stream_keeps_committed_pages_and_resumes(store: Store) -> None:
    pages = [[raw("I1")], [raw("I2")], [raw("I3")]]
    with pytest.raises(TransientError):
        sync(store, ScriptedAdapter(pages, fail_after=2), "t", "demo", now=lambda: NOW)
    assert store.cursor("t", "demo", "invoices") == {"page": 2}
    assert set(store.invoices_by_id("t", "demo", ["I1", "I2", "I3"])) == {"I1", "I2"}
    assert store.last_sync("t")["status"] == "failed"
    sync(store, ScriptedAdapter(pages), "t", "demo", now=lambda: NOW)
    assert set(store.invoices_by_id("t", "demo", ["I1", "I2", "I3"])) == {"I1", "I2", "I3"}
    assert store.last_sync("t")["status"] == "ok"


def test_rejected_reason_is_kept_for_status() -> None:
    records, rejected = map_records([{"iid": None}], lambda r: invoice(**r), lambda r: r["iid"])
    assert records == [] and isinstance(rejected[0], Rejected)
