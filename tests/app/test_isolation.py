"""Two tenants in one store never see each other's data, whatever is written in whatever order.

A property test: hypothesis generates interleaved writes for two tenants that share external ids
(both have an invoice "I1", a customer "C1"…); each tenant's view of the store must equal a model
fed with its own writes only — records, counts, cursors, the open ledger, the amounts owed, and the
reminders planned from it. Runs on SQLite and PostgreSQL; fresh tenant names per example.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.models import Invoice, to_minor
from connector.rules.engine import evaluate
from connector.rules.policy import default_policy
from connector.store import outbox
from connector.store import tables as t
from connector.store.store import Store
from tests.helpers import NOW, customer, invoice

TODAY = dt.date(2026, 11, 27)
IDS = ["I1", "I2", "I3", "I4"]
CUSTOMERS = ["C1", "C2", "C3"]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    yield opened
    opened.close()


def _invoice(iid: str, customer_id: str, cents: int, paid_percent: int, due_offset: int) -> Invoice:
    total = Decimal(cents) / 100
    residual = (total * (100 - paid_percent) / 100).quantize(Decimal("0.01"))
    status = "paid" if residual == 0 else "partial" if residual < total else "open"
    return invoice(iid, TODAY + dt.timedelta(days=due_offset), str(total),
                   customer_id=customer_id, residual=str(residual), status=status)


invoices = st.builds(_invoice, st.sampled_from(IDS), st.sampled_from(CUSTOMERS),
                     st.integers(1, 10 ** 9), st.sampled_from([0, 0, 40, 100]),
                     st.integers(-40, 10))
tenants = st.sampled_from([0, 1])
operations = st.lists(st.one_of(
    st.tuples(st.just("invoices"), tenants,
              st.lists(invoices, max_size=4, unique_by=lambda i: i.external_id)),
    st.tuples(st.just("customers"), tenants, st.lists(st.sampled_from(CUSTOMERS), max_size=3,
                                                      unique=True)),
    st.tuples(st.just("delete"), tenants, st.lists(st.sampled_from(IDS), max_size=2,
                                                   unique=True)),
), min_size=1, max_size=12)


def _key(i: Invoice) -> tuple[Any, ...]:
    return (i.external_id, i.customer_id, i.status, i.total, i.residual, i.due_date)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_each_tenant_sees_exactly_its_own_writes(store: Store, ops: list[tuple]) -> None:
    run = uuid.uuid4().hex[:8]
    names = [f"a-{run}", f"b-{run}"]
    model: list[dict[str, Any]] = [{"invoices": {}, "customers": set(), "cursor": None}
                                   for _ in names]
    for n, (kind, who, payload) in enumerate(ops):
        tenant, mine = names[who], model[who]
        if kind == "invoices":
            store.save_page(tenant, "demo", "invoices", payload, [], {"op": n}, now=NOW)
            mine["invoices"].update({i.external_id: i for i in payload})
            mine["cursor"] = {"op": n}
        elif kind == "customers":
            store.save_page(tenant, "demo", "customers", [customer(c) for c in payload], [], None, now=NOW)
            mine["customers"].update(payload)
        else:
            store.save_page(tenant, "demo", "invoices", [], payload, None, now=NOW)
            for iid in payload:
                mine["invoices"].pop(iid, None)

    policy = default_policy()
    for tenant, mine in zip(names, model, strict=True):
        stored = store.invoices_by_id(tenant, "demo", IDS)
        assert sorted(map(_key, stored.values())) == sorted(map(_key, mine["invoices"].values()))
        assert store.count(t.invoices, tenant) == len(mine["invoices"])
        assert store.count(t.customers, tenant) == len(mine["customers"])
        assert store.cursor(tenant, "demo", "invoices") == mine["cursor"]
        open_items = {i.external_id for i in mine["invoices"].values()
                      if i.status != "paid" and i.customer_id in mine["customers"]}
        ledger = {i.external_id for _c, items in store.open_ledger(tenant, "demo") for i in items}
        assert ledger == open_items
        owed = sum(to_minor(i.residual, "EUR") for i in mine["invoices"].values()
                   if i.status != "paid")
        assert store.receivables(tenant, TODAY).get("EUR", (0, 0))[0] == owed
        # reminders planned for one tenant are neither refused because of, nor seen by, the other
        intents = list(evaluate(policy, store.open_ledger(tenant, "demo"),
                                outbox.history(store, tenant, "demo"), TODAY,
                                tenant=tenant, source="demo"))
        assert outbox.enqueue(store, intents, now=NOW) == len(intents)
        rows = outbox.rows(store, tenant, limit=1000)
        assert {r["key"] for r in rows} == {i.key for i in intents}
        assert {r["tenant"] for r in rows} <= {tenant}
        assert sum(outbox.counts(store, tenant).values()) == len(intents)
