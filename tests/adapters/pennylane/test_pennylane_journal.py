"""Pennylane's push journal lives in the store: a second host (its own state directory, the same
database) resumes or recognises a push instead of uploading an appendix again.

Before, the journal was `pennylane-pushes.json` in one host's state directory: the same tenant
run from another host did not know a push had started and re-uploaded the appendix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.adapters.base import AdapterContext, PushRequest
from connector.adapters.pennylane import PennylaneAdapter, PennylaneConfig
from connector.errors import TransientError
from connector.secrets import SecretStore
from connector.store.journal import StoreJournal
from connector.store.store import Store
from tests.adapters.pennylane.test_pennylane import TODAY, fake, spec  # noqa: F401 - fixtures
from tests.fakes.pennylane_server import FakePennylane
from tests.helpers import NOW


def host(fake: FakePennylane, store: Store, state_dir: Path,  # noqa: F811
         tenant: str = "t1") -> PennylaneAdapter:
    """One host running the tenant: its own state directory, the shared database."""
    state_dir.mkdir(parents=True, exist_ok=True)
    SecretStore(tenant).set("source", fake.token)
    context = AdapterContext(tenant, SecretStore(tenant), TODAY, state_dir,
                             sleep=lambda s: None,
                             journal=StoreJournal(store, tenant, "pennylane", lambda: NOW))
    return PennylaneAdapter(PennylaneConfig(base_url=fake.base_url, trace="appendix"), context)


def two_invoices(fake: FakePennylane) -> list[str]:  # noqa: F811
    return [str(i) for i, inv in sorted(fake.invoices.items())
            if not inv.draft and inv.customer_id is not None][:2]


def request(invoice_ids: list[str], key: str = "rl-2026-host") -> PushRequest:
    return PushRequest(key=key, invoice_ids=invoice_ids, customer_id="1", level="N2",
                       channel="email", summary="Relance", body="Relance",
                       recipients=["compta@exemple.fr"])


def appendices(fake: FakePennylane, invoice_ids: list[str]) -> list[int]:  # noqa: F811
    return [len(fake.appendices.get(int(i), [])) for i in invoice_ids]


def test_a_second_host_finds_a_finished_push(fake: FakePennylane,  # noqa: F811
                                             tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'shared.db'}")
    invoices = two_invoices(fake)
    pushed = host(fake, store, tmp_path / "host-a").push_note(request(invoices))
    other = host(fake, store, tmp_path / "host-b")
    assert other.find_pushed("rl-2026-host") == pushed  # the dispatcher marks it done
    assert appendices(fake, invoices) == [1, 1]
    assert not list(tmp_path.rglob("*.json"))  # no journal file on either host


def test_a_second_host_resumes_a_cut_push_without_doubles(fake: FakePennylane,  # noqa: F811
                                                          tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'shared.db'}")
    second = two_invoices(fake)[1]
    invoices = two_invoices(fake)
    fake.script("500", method="POST", path=f"/customer_invoices/{second}/appendices")
    with pytest.raises(TransientError):
        host(fake, store, tmp_path / "host-a").push_note(request(invoices))
    assert appendices(fake, invoices) == [1, 0]
    other = host(fake, store, tmp_path / "host-b")
    assert other.find_pushed("rl-2026-host") is None  # half done: planned again
    other.push_note(request(invoices))
    assert appendices(fake, invoices) == [1, 1]  # the first invoice did not get a second copy


def test_the_journal_is_tenant_scoped(fake: FakePennylane, tmp_path: Path) -> None:  # noqa: F811
    store = Store(f"sqlite:///{tmp_path / 'shared.db'}")
    host(fake, store, tmp_path / "a").push_note(request(two_invoices(fake)[:1]))
    assert host(fake, store, tmp_path / "b", tenant="t2").find_pushed("rl-2026-host") is None
