"""The Sage adapter against the fake server: contract, mapping, increments, push-back, faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from connector.adapters.base import BaseAdapter, PushRequest
from connector.adapters.sage import SageConfig
from connector.errors import AuthError, TransientError
from tests.adapters.contract import AdapterContract, drain
from tests.adapters.sage.fixtures import (  # noqa: F401 - fixtures
    N_BULK,
    make_adapter,
    needs_sage_spec,
    sage,
    seed,
)
from tests.fakes.sage_server import RunningSage


class TestSageContract(AdapterContract):
    @pytest.fixture
    def adapter(self, sage: RunningSage, tmp_path: Path) -> BaseAdapter:  # noqa: F811
        seed(sage)
        adapter = make_adapter(sage, tmp_path)
        yield adapter
        adapter.close()

    @pytest.fixture
    def make_change(self, sage: RunningSage) -> Callable[[BaseAdapter], str]:  # noqa: F811
        def pay_one(adapter: BaseAdapter) -> str:
            invoices, _ = drain(adapter.invoices(None))
            target = next(i for i in invoices if i.is_open and i.kind == "invoice")
            sage.fake.pay(target.external_id, "10.00")
            return target.external_id
        return pay_one


def _page_requests(sage: RunningSage, resource: str) -> list[str]:  # noqa: F811
    return [e["query"] for e in sage.fake.log if e["path"] == f"/v3.1/{resource}"]


def test_full_read_maps_statuses_amounts_and_pages(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path)
    pages = list(adapter.invoices(None))
    invoices = {i.external_id: i for p in pages for i in p.records}
    assert sum(len(p.rejected) for p in pages) == 0
    # DRAFT and PRO_FORMA are skipped, not rejected; all the rest is there
    assert ids["draft"] not in invoices and ids["pro_forma"] not in invoices
    assert ids["credit_draft"] not in invoices
    assert len(invoices) == N_BULK + 4
    assert invoices[ids["void"]].status == "cancelled" and invoices[ids["void"]].residual == 0
    assert invoices[ids["paid"]].status == "paid"
    usd = invoices[ids["usd"]]
    assert usd.currency == "USD" and usd.total == Decimal("1234.56")
    assert invoices[ids["bulk"][1]].total == Decimal("101.01")
    credit = invoices[ids["credit"]]
    assert credit.kind == "credit_note" and credit.residual == Decimal("40.00")
    # two pages of sales_invoices, with items_per_page=200 and a limited attribute list
    queries = _page_requests(sage, "sales_invoices")
    assert len(queries) == 2 and all("items_per_page=200" in q for q in queries)
    assert all("attributes=" in q and "attributes=all" not in q for q in queries)
    assert pages[-1].full_scan_complete and pages[-1].checkpoint is not None
    assert all(p.checkpoint is None for p in pages[:-1])


def test_customers_rank_billing_people(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    customers = {c.external_id: c for c in drain(make_adapter(sage, tmp_path).customers(None))[0]}
    martin = customers[ids["martin"]]
    # ACCOUNTS person, then preferred, then main, then the contact's own address; sales staff out
    assert martin.billing_emails() == ["factures@martin.fr", "ines@martin.fr", "hugo@martin.fr",
                                       "contact@martin.fr"]
    assert customers[ids["dubois"]].billing_emails() == ["chloe@dubois.fr"]
    assert customers[ids["bristol"]].language == "en"
    assert any("contact_type_id=CUSTOMER" in q for q in _page_requests(sage, "contacts"))
    # the main address is the postal address of the formal notice; none when Sage has none
    assert martin.address is not None
    assert martin.address.lines() == ["8 rue des Boulangers", "21000 Dijon"]
    assert customers[ids["dubois"]].address is None


def test_x_business_sent_on_every_api_call(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    seed(sage)
    adapter = make_adapter(sage, tmp_path)
    adapter.check()
    drain(adapter.customers(None)), drain(adapter.invoices(None))
    calls = [e for e in sage.fake.log if e["path"] != "/v3.1/businesses"]
    assert calls and all(e["business"] == sage.business_id for e in calls)


def test_check_fills_source_info(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    info = make_adapter(sage, tmp_path).check()
    assert (info.kind, info.version, info.user) == ("sage", "v3.1", "SARL Démo Relance")
    assert info.missing_rights == [] and info.warnings == []
    other = make_adapter(sage, tmp_path, tenant="other", business_id="f" * 32)
    with pytest.raises(AuthError, match="cannot reach business"):
        other.check()


def test_deleted_since_reported_as_deleted(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path)
    _, cursor = drain(adapter.invoices(None))
    sage.fake.delete("sales_invoices", ids["bulk"][0])
    sage.fake.delete("sales_credit_notes", ids["credit"])
    pages = list(adapter.invoices(cursor))
    deleted = [d for p in pages for d in p.deleted]
    assert sorted(deleted) == sorted([ids["bulk"][0], ids["credit"]])
    assert not pages[-1].full_scan_complete


def test_payment_without_invoice_update_is_caught(tmp_path: Path) -> None:
    from tests.fakes.sage_server import SageFake, start_sage
    running = start_sage(SageFake(payment_bumps_invoice=False))
    try:
        ids = seed(running)
        adapter = make_adapter(running, tmp_path, open_refresh_days=0)
        _, cursor = drain(adapter.invoices(None))
        _, pay_cursor = drain(adapter.payments(None))
        target = ids["bulk"][4]
        payment_id = running.fake.pay(target, "4.00")
        changed, next_cursor = drain(adapter.invoices(cursor))
        assert [i.external_id for i in changed] == [target]  # via /contact_payments only
        assert changed[0].status == "partial" and changed[0].residual == Decimal("100.04")
        payments, _ = drain(adapter.payments(pay_cursor))
        assert [(p.invoice_id, p.amount) for p in payments] == [(target, Decimal("4.00"))]
        assert payments[0].external_id.startswith(payment_id + "/")
        assert set(next_cursor) == {"invoices", "credit_notes", "payments", "allocations",
                                    "open_refresh"}
    finally:
        running.stop()
    assert running.fake.violations == []


def test_open_invoices_reread_as_safety_net(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path, open_refresh_days=1)
    _, cursor = drain(adapter.invoices(None))
    assert drain(adapter.invoices(cursor))[0] == []  # same day: no safety read
    cursor["open_refresh"] = "2026-11-25"
    reread = {i.external_id for i in drain(adapter.invoices(cursor))[0]}
    assert ids["bulk"][7] in reread and ids["paid"] not in reread


def test_refresh_is_one_get_per_invoice(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path)
    before = len(sage.fake.log)
    fresh = adapter.refresh([ids["bulk"][0], ids["bulk"][1], ids["credit"], ids["draft"], "nope"])
    assert {i.external_id for i in fresh} == {ids["bulk"][0], ids["bulk"][1], ids["credit"]}
    # 1 + 1 invoices, 2 for the credit note (invoice path first), 1 draft, 2 for the unknown id
    assert len(sage.fake.log) - before == 7


def test_push_note_appends_and_attaches_once(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path)
    request = PushRequest(key="rl-42", invoice_ids=[ids["bulk"][0]], customer_id=ids["martin"],
                          level="first", channel="email", summary="Relance 1 FA-2026-0001",
                          body="Bonjour,\nsauf erreur de notre part (facture impayée)…")
    pushed = adapter.push_note(request)
    assert adapter.push_note(request) == pushed  # a retry after a crash does not double it
    notes = sage.fake.data["contacts"][ids["martin"]]["notes"]
    assert notes.startswith("Client fidèle depuis 2019\n")  # appended, never overwritten
    assert notes.count("[relance:rl-42]") == 1
    attachments = list(sage.fake.data["attachments"].values())
    assert len(attachments) == 1 and attachments[0]["id"] == pushed
    assert attachments[0]["file_name"] == "relance-rl-42.pdf"
    import base64
    assert base64.b64decode(attachments[0]["_file"]).startswith(b"%PDF-1.4")
    # a new process finds it again by its key
    assert make_adapter(sage, tmp_path, tenant="acme").find_pushed("rl-42") == pushed
    assert adapter.find_pushed("rl-43") is None


def test_429_is_honoured(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    seed(sage)
    sage.fake.retry_after = 1.0
    adapter = make_adapter(sage, tmp_path)
    adapter.context.sleep = time.sleep
    adapter.http._sleep = time.sleep
    sage.fake.script_faults("429")
    customers, _ = drain(adapter.customers(None))
    assert len(customers) == 3
    first, second = sage.fake.log[0], sage.fake.log[1]
    assert first["path"] == second["path"] == "/v3.1/contacts"
    assert second["at"] - first["at"] >= 0.95


@pytest.mark.parametrize("scripted", [True, False], ids=["scripted", "random"])
def test_transport_faults_do_not_change_the_result(sage: RunningSage, tmp_path: Path,  # noqa: F811
                                                   scripted: bool) -> None:
    seed(sage)
    clean = drain(make_adapter(sage, tmp_path).invoices(None))[0]
    sleeps: list[float] = []
    adapter = make_adapter(sage, tmp_path, tenant="faulty", sleeps=sleeps)
    # a read timeout short enough for the test, long enough for a loaded machine's real answers
    adapter.http.timeout = (2.0, 1.5)
    sage.server.timeout_sleep = 2.0
    if scripted:
        sage.fake.script_faults("500", "reset", "timeout", "503")  # 4 of 5 attempts
    else:
        sage.fake.fault_rate = 0.2  # seeded draws among 429, 5xx, timeouts, resets
    assert drain(adapter.invoices(None))[0] == clean
    assert len(sleeps) == 4 if scripted else sleeps  # each fault was retried after a pause


def test_malformed_body_is_a_transient_error(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    adapter = make_adapter(sage, tmp_path)
    sage.fake.script_faults("malformed")
    with pytest.raises(TransientError, match="not JSON"):
        drain(adapter.customers(None))


def test_sage_error_array_is_readable(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    adapter = make_adapter(sage, tmp_path, tenant="x", business_id="f" * 32)
    with pytest.raises(AuthError, match="MultiUserAccessDenied: no access to this business"):
        drain(adapter.customers(None))


def test_budget_is_per_business(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    one = make_adapter(sage, tmp_path, requests_per_minute=100)
    two = make_adapter(sage, tmp_path, tenant="b", requests_per_minute=100)
    assert one.http.budget is two.http.budget and one.http.budget.limit == 100


def test_customers_increment_and_deletion(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path)
    _, cursor = drain(adapter.customers(None))
    sage.fake.touch("contacts", ids["dubois"], email="compta@dubois.fr")
    sage.fake.delete("contacts", ids["bristol"])
    pages = list(adapter.customers(cursor))
    assert [c.external_id for p in pages for c in p.records] == [ids["dubois"]]
    assert [d for p in pages for d in p.deleted] == [ids["bristol"]]
    assert not any(p.full_scan_complete for p in pages)


def test_fake_server_flags_what_the_spec_forbids(sage: RunningSage) -> None:  # noqa: F811
    """The spec check is real: a wrong parameter, attribute or field type is caught."""
    import requests
    ids = seed(sage)
    tokens = sage.grant_tokens()
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "X-Business": sage.business_id}
    sage.fake.touch("sales_invoices", ids["bulk"][0], total_amount="douze euros")
    for query in ("contact_type=CUSTOMER", "attributes=invoice_number,amount_due",
                  "attributes=total_amount&items_per_page=200"):
        requests.get(f"{sage.base_url}/sales_invoices?{query}", headers=headers, timeout=10)
    found = list(sage.fake.violations)
    sage.fake.violations.clear()
    assert any("'contact_type' is not in the spec" in v for v in found)
    assert any("'amount_due' is not a property" in v for v in found)
    assert any("total_amount" in v and "is not of type 'number'" in v for v in found)


def test_config_is_checked_like_any_source(tmp_path: Path) -> None:
    from connector.config import parse_config
    from connector.errors import ConfigError
    text = ('[source]\nkind = "sage"\nbusiness_id = "b1"\nclient_id = "app"\n'
            '[sender]\nname = "Démo"\nemail = "compta@demo.fr"\n')
    source = parse_config(text).source
    assert isinstance(source, SageConfig) and source.requests_per_minute == 100
    assert source.token_url == "https://oauth.accounting.sage.com/token"
    with pytest.raises(ConfigError, match=r"source\.business_id\] this key is required"):
        parse_config(text.replace("business_id", "bussiness_id"))


def test_invoice_pdf_is_asked_as_pdf(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(sage)
    adapter = make_adapter(sage, tmp_path)
    first = ids["bulk"][0]
    content = adapter.invoice_pdf(first)
    assert content is not None and content.startswith(b"%PDF-") and b"FA-2026-0001" in content
    assert adapter.invoice_pdf("no-such-invoice") is None
