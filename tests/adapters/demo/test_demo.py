"""The demo adapter passes the adapter contract and is deterministic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from connector.adapters.base import AdapterContext, BaseAdapter
from connector.adapters.demo import DemoAdapter, DemoConfig
from connector.secrets import SecretStore
from tests.adapters.contract import AdapterContract, drain

TODAY = dt.date(2026, 11, 27)


def make_demo(tmp_path: Path, today: dt.date = TODAY, seed: int = 7) -> DemoAdapter:
    context = AdapterContext("t1", SecretStore("t1"), today, tmp_path)
    return DemoAdapter(DemoConfig(seed=seed, anchor=TODAY), context)


class TestDemoContract(AdapterContract):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> BaseAdapter:
        return make_demo(tmp_path)

    @pytest.fixture
    def make_change(self) -> Callable[[BaseAdapter], str]:
        def pay_one(adapter: BaseAdapter) -> str:
            assert isinstance(adapter, DemoAdapter)
            invoices, _ = drain(adapter.invoices(None))
            target = next(i for i in invoices if i.is_open and i.kind == "invoice")
            adapter.record_payment(target.external_id)
            return target.external_id
        return pay_one


def test_same_seed_same_ledger(tmp_path: Path) -> None:
    first = drain(make_demo(tmp_path / "a").invoices(None))[0]
    second = drain(make_demo(tmp_path / "b").invoices(None))[0]
    assert first == second
    assert drain(make_demo(tmp_path / "c", seed=8).invoices(None))[0] != first


def test_ledger_is_realistic(tmp_path: Path) -> None:
    adapter = make_demo(tmp_path)
    customers = drain(adapter.customers(None))[0]
    invoices = drain(adapter.invoices(None))[0]
    assert 45 <= len(customers) <= 55
    assert 500 <= len(invoices) <= 700
    statuses = {i.status for i in invoices}
    assert {"open", "partial", "paid", "cancelled"} <= statuses
    assert any(i.kind == "credit_note" and i.residual > 0 for i in invoices)
    assert any(c.kind == "individual" for c in customers)
    assert any(c.email is None for c in customers)
    assert any(c.language == "en" for c in customers)
    assert any(i.instalments for i in invoices)
    assert any(i.is_open and i.due_date < TODAY for i in invoices)
    assert any(i.is_open and i.due_date > TODAY for i in invoices)


def test_future_is_hidden_until_its_day(tmp_path: Path) -> None:
    early = drain(make_demo(tmp_path, today=TODAY - dt.timedelta(days=60)).invoices(None))[0]
    now = drain(make_demo(tmp_path, today=TODAY).invoices(None))[0]
    assert len(early) < len(now)
    assert all(i.issue_date <= TODAY - dt.timedelta(days=60) for i in early)
