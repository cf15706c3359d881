"""The contract every adapter passes (DESIGN §5.10). Subclass `AdapterContract` in an adapter's test
module and provide the `adapter` fixture (an adapter talking to its fake server, with data in it)
and `make_change`, a function that changes one invoice in the source (a payment) and returns its id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connector.adapters.base import Adapter, BaseAdapter, Page, PushRequest, SourceInfo
from connector.models import Customer, Invoice, Payment


def drain(pages: Iterator[Page[Any]]) -> tuple[list[Any], dict[str, Any] | None]:
    records: list[Any] = []
    checkpoint = None
    for page in pages:
        records.extend(page.records)
        if page.checkpoint is not None:
            checkpoint = dict(page.checkpoint)
    return records, checkpoint


class AdapterContract:
    @pytest.fixture
    def adapter(self) -> BaseAdapter:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def make_change(self) -> Callable[[BaseAdapter], str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def test_is_the_whole_protocol(self, adapter: BaseAdapter) -> None:
        """Callers rely on the Protocol alone: every method is there, every stream by name."""
        assert isinstance(adapter, Adapter)
        for name, model in (("customers", Customer), ("invoices", Invoice),
                            ("payments", Payment)):
            records, _ = drain(adapter.stream(name)(None))
            assert all(isinstance(r, model) for r in records)
            if name == "payments" and not adapter.capabilities.payments:
                assert records == []
        assert all(isinstance(w, str) for w in adapter.status_warnings())

    def test_what_the_source_cannot_do_is_refused_not_faked(self, adapter: BaseAdapter) -> None:
        request = PushRequest(key="rl-contract-none", invoice_ids=[], customer_id="0",
                              level="first", channel="email", summary="-", body="-")
        for able, push in ((adapter.capabilities.tasks, adapter.push_task),
                           (adapter.capabilities.send_via_source, adapter.send_via_source)):
            if not able:
                with pytest.raises(NotImplementedError):
                    push(request)

    def test_check_names_the_source(self, adapter: BaseAdapter) -> None:
        info = adapter.check()
        assert isinstance(info, SourceInfo)
        assert info.kind == adapter.kind
        assert info.missing_rights == []

    def test_full_read_gives_unique_typed_records(self, adapter: BaseAdapter) -> None:
        customers, customer_cursor = drain(adapter.customers(None))
        invoices, invoice_cursor = drain(adapter.invoices(None))
        assert customers and all(isinstance(c, Customer) for c in customers)
        assert invoices and all(isinstance(i, Invoice) for i in invoices)
        assert len({c.external_id for c in customers}) == len(customers)
        assert len({i.external_id for i in invoices}) == len(invoices)
        known = {c.external_id for c in customers}
        assert all(i.customer_id in known for i in invoices)
        # cursors are plain JSON so the store can keep them
        assert customer_cursor is not None and invoice_cursor is not None
        json.dumps(customer_cursor), json.dumps(invoice_cursor)

    def test_every_page_checkpoint_is_json(self, adapter: BaseAdapter) -> None:
        for page in adapter.invoices(None):
            if page.checkpoint is not None:
                assert json.loads(json.dumps(dict(page.checkpoint))) == dict(page.checkpoint)

    def test_increment_catches_a_payment(self, adapter: BaseAdapter,
                                         make_change: Callable[[BaseAdapter], str]) -> None:
        _, cursor = drain(adapter.invoices(None))
        changed_id = make_change(adapter)
        changed, _ = drain(adapter.invoices(cursor))
        ids = {i.external_id for i in changed}
        assert changed_id in ids
        after = next(i for i in changed if i.external_id == changed_id)
        before = next(i for i in drain(adapter.invoices(None))[0] if i.external_id == changed_id)
        assert after.residual == before.residual

    def test_refresh_reads_the_named_invoices(self, adapter: BaseAdapter) -> None:
        invoices, _ = drain(adapter.invoices(None))
        wanted = [i.external_id for i in invoices[:3]]
        fresh = adapter.refresh(wanted)
        assert sorted(i.external_id for i in fresh) == sorted(wanted)
        assert adapter.refresh([]) == []

    def test_push_is_found_again_by_its_key(self, adapter: BaseAdapter) -> None:
        if not (adapter.capabilities.notes or adapter.capabilities.tasks):
            pytest.skip(f"{adapter.kind} keeps no trace in the source")
        invoice = drain(adapter.invoices(None))[0][0]
        key = "rl-contract-0001"
        assert adapter.find_pushed(key) is None
        request = PushRequest(key=key, invoice_ids=[invoice.external_id],
                              customer_id=invoice.customer_id, level="first", channel="email",
                              summary="Relance 1", body="Relance envoyée", recipients=["a@b.fr"])
        pushed = adapter.push_note(request) if adapter.capabilities.notes \
            else adapter.push_task(request)
        assert adapter.find_pushed(key) == pushed
