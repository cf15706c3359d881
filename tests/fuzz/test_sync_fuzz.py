"""Corrupted records inside each fake server, read by the real sync engine into a SQLite store:
the bad records are logged by id and skipped, everything else is stored, the run ends "ok"."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import AdapterContext, BaseAdapter
from connector.adapters.pennylane import PennylaneAdapter, PennylaneConfig
from connector.secrets import SecretStore
from connector.store import tables as t
from connector.store.store import Store
from connector.sync.engine import sync
from tests.adapters.odoo.helpers import make_adapter as odoo_adapter
from tests.adapters.sage.fixtures import make_adapter as sage_adapter
from tests.adapters.sage.fixtures import seed as sage_seed
from tests.fakes.odoo_server import running_fake_odoo
from tests.fakes.pennylane_server import FakePennylane
from tests.fakes.sage_server import start_sage
from tests.fakes.sage_spec import SPEC_PATH
from tests.helpers import NOW

TODAY = dt.date(2026, 11, 27)
LONG_ODD = "\u202eFA \u0301\U0001f4b8 " + "é" * 5000  # odd but valid: must be stored as is


def run_sync(tmp_path: Path, adapter: BaseAdapter, caplog: pytest.LogCaptureFixture
             ) -> tuple[Store, Any]:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    with caplog.at_level(logging.WARNING):
        result = sync(store, adapter, "t1", now=lambda: NOW)
    assert store.last_sync("t1")["status"] == "ok"
    return store, result


def assert_named(caplog: pytest.LogCaptureFixture, store: Store, bad: dict[str, str]) -> None:
    """Each bad record has a log line and a stored reject naming its id, with a reason."""
    rejects: dict[str, list[str]] = {}  # partners and moves may share an id
    for r in store.recent_rejects("t1", limit=100):
        rejects.setdefault(r["source_id"], []).append(r["reason"])
    for source_id, reason in bad.items():
        lines = [r.getMessage() for r in caplog.records
                 if f"skipped record {source_id}:" in r.getMessage()]
        assert lines, f"no log line names {source_id}: {caplog.text}"
        assert any(reason in text for text in rejects[source_id]), rejects[source_id]


# -- Odoo ------------------------------------------------------------------------------------
def test_odoo_sync_skips_corrupted_moves_and_partners(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with running_fake_odoo("17.0") as odoo:
        data = odoo.data
        with odoo.lock:
            moves = sorted(i for i, m in data.tables["account.move"].items()
                           if m["move_type"] in ("out_invoice", "out_refund")
                           and (m["state"] == "posted" or m["posted_before"]))
            xyz = data.insert("res.currency", {"name": "XYZ"})
            corrupt = {  # id -> (changes, what the reason says)
                moves[0]: ({"amount_total": float("nan")}, "finite"),
                moves[1]: ({"amount_residual": 1e20}, "out of range"),
                moves[2]: ({"invoice_date": "2026-02-30"}, "day is out of range"),
                moves[3]: ({"payment_state": "on_the_moon"}, "payment_state"),
                moves[4]: ({"currency_id": xyz}, "ISO 4217"),
                moves[5]: ({"invoice_date_due": "9999-12-31"}, "date out of range"),
            }
            for move_id, (changes, _) in corrupt.items():
                data.tables["account.move"][move_id].update(changes)
            data.tables["account.move"][moves[6]]["name"] = LONG_ODD
            partners = sorted(i for i, p in data.tables["res.partner"].items()
                              if p["customer_rank"] > 0 and p["is_company"])
            data.tables["res.partner"][partners[0]].update(name=False)
            data.tables["res.partner"][partners[1]].update(lang="🙂", email="\u200fa@b.fr")
        adapter = odoo_adapter(odoo, tmp_path, monkeypatch)
        store, result = run_sync(tmp_path, adapter, caplog)
        adapter.close()
    assert_named(caplog, store, {str(k): reason for k, (_, reason) in corrupt.items()}
                 | {str(partners[0]): "without a name"})
    assert result.counts["invoices"] == len(moves) - len(corrupt)
    assert store.count(t.invoices, "t1") == len(moves) - len(corrupt)
    numbers = {i.number for i in store.invoices_by_id("t1", "odoo", [str(moves[6])]).values()}
    assert numbers == {LONG_ODD.strip()}
    odd = store.customer("t1", "odoo", str(partners[1]))
    assert odd is not None and odd.language == "fr"
    # an "address" with a right-to-left mark is no address: the customer stays, without it
    assert odd.email is None and any(
        "email dropped" in r["reason"] and r["source_id"] == str(partners[1])
        for r in store.recent_rejects("t1", limit=100))


# -- Pennylane -------------------------------------------------------------------------------
@pytest.fixture
def pennylane() -> Iterator[FakePennylane]:
    # responses are corrupted on purpose: no spec validation here
    server = FakePennylane(validate=False, rate_limit=10_000).start()
    server.seed(customers=6, invoices=20)
    yield server
    server.stop()


def test_pennylane_sync_skips_corrupted_invoices(
        tmp_path: Path, pennylane: FakePennylane, caplog: pytest.LogCaptureFixture) -> None:
    ids = sorted(i for i, inv in pennylane.invoices.items() if not inv.draft)
    corrupt = {
        ids[0]: ({"currency_amount": "Infinity"}, "finite"),
        ids[1]: ({"currency_amount": "1e18", "remaining_amount_with_tax": "1e18"},
                 "out of range"),
        ids[2]: ({"date": "2026-13-01", "deadline": None}, "month must be in 1..12"),
        ids[3]: ({"currency": "ZZZ"}, "ISO 4217"),
        ids[4]: ({"customer": None}, "no customer"),
        ids[5]: ({"status": ["late"]}, "TypeError"),
        ids[6]: ({"remaining_amount_with_tax": "-12,50"}, "not an amount"),
    }
    for invoice_id, (changes, _) in corrupt.items():
        pennylane.invoices[invoice_id].overrides.update(changes)
    pennylane.invoices[ids[7]].overrides.update(invoice_number=LONG_ODD + "\x00")
    SecretStore("t1").set("source", pennylane.token)
    adapter = PennylaneAdapter(PennylaneConfig(base_url=pennylane.base_url),
                               AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path))
    store, result = run_sync(tmp_path, adapter, caplog)
    adapter.close()
    assert_named(caplog, store, {str(k): reason for k, (_, reason) in corrupt.items()})
    assert result.counts["invoices"] == len(ids) - len(corrupt)
    assert result.counts["customers"] == len(pennylane.customers)
    stored = store.invoices_by_id("t1", "pennylane", [str(ids[7])])
    assert stored[str(ids[7])].number == LONG_ODD.strip()  # NUL dropped, the rest kept


def test_pennylane_malformed_changelog_means_a_full_read(
        tmp_path: Path, pennylane: FakePennylane, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    SecretStore("t1").set("source", pennylane.token)
    adapter = PennylaneAdapter(PennylaneConfig(base_url=pennylane.base_url),
                               AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path))
    store, _ = run_sync(tmp_path, adapter, caplog)
    changed = sorted(pennylane.invoices)[0]
    pennylane.pay(changed)
    real = pennylane._changelog

    def broken(resource: str, query: dict[str, str]) -> tuple[int, Any]:
        status, body = real(resource, query)
        if status == 200 and body["items"]:
            del body["items"][0]["operation"]
        return status, body

    monkeypatch.setattr(pennylane, "_changelog", broken)
    with caplog.at_level(logging.WARNING):
        result = sync(store, adapter, "t1", now=lambda: NOW)
    adapter.close()
    assert store.last_sync("t1")["status"] == "ok"
    assert "full resync" in caplog.text
    assert result.counts["invoices"] == len([i for i in pennylane.invoices.values() if not i.draft])
    assert store.invoices_by_id("t1", "pennylane", [str(changed)])[str(changed)].status == "paid"


# -- Sage ------------------------------------------------------------------------------------
def test_sage_sync_skips_corrupted_artefacts(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"the Sage description is not at {SPEC_PATH}")
    sage = start_sage()
    try:
        ids = sage_seed(sage)
        items = sage.fake.data["sales_invoices"]
        bulk = ids["bulk"]
        corrupt = {
            bulk[0]: ({"total_amount": "NaN"}, "finite"),
            bulk[1]: ({"outstanding_amount": "-5"}, "below zero"),
            bulk[2]: ({"date": None}, "no date"),
            bulk[3]: ({"currency": {"id": "€"}}, "ISO 4217"),
            bulk[4]: ({"status": {"id": "LOST"}}, "unknown Sage status"),
            bulk[5]: ({"due_date": "0001-01-01"}, "date out of range"),
            bulk[6]: ({"total_amount": 10**17}, "out of range"),
        }
        for invoice_id, (changes, _) in corrupt.items():
            items[invoice_id].update(changes)
        items[bulk[7]]["invoice_number"] = LONG_ODD
        sage.fake.data["contacts"][ids["dubois"]]["name"] = ""
        sage.fake.data["contacts"][ids["dubois"]]["displayed_as"] = ""
        adapter = sage_adapter(sage, tmp_path)
        store, result = run_sync(tmp_path, adapter, caplog)
        adapter.close()
    finally:
        sage.stop()
    assert_named(caplog, store, {k: reason for k, (_, reason) in corrupt.items()}
                 | {ids["dubois"]: "contact without a name"})
    # bulk + void + paid + usd + credit note, minus the corrupted ones (drafts are skipped)
    assert result.counts["invoices"] == len(bulk) + 4 - len(corrupt)
    assert result.counts["customers"] == 2
    assert store.invoices_by_id("t1", "sage", [bulk[7]])[bulk[7]].number == LONG_ODD


def test_an_unexpected_error_still_closes_the_sync_run(tmp_path: Path) -> None:
    class Broken(BaseAdapter):
        kind = "broken"

        def customers(self, since: Any) -> Iterator[Any]:
            raise KeyError("operation")

    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    with pytest.raises(KeyError):
        sync(store, Broken(None, None), "t1", now=lambda: NOW)  # type: ignore[arg-type]
    run = store.last_sync("t1")
    assert run["status"] == "failed" and "KeyError" in run["error"]
