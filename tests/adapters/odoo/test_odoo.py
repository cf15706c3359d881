"""The Odoo adapter against the fake Odoo XML-RPC server: contract, sync, mapping, errors."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connector.adapters.base import BaseAdapter, PushRequest, adapter_class
from connector.adapters.odoo import OdooAdapter, OdooConfig
from connector.errors import AuthError, ConfigError, TransientError
from connector.models import Invoice
from tests.adapters.contract import AdapterContract, drain
from tests.adapters.odoo.helpers import TRANSPORTS, make_adapter
from tests.fakes.odoo_server import FakeOdooServer, running_fake_odoo


@pytest.fixture(params=TRANSPORTS)
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdooServer]:
    with running_fake_odoo(request.param) as server:
        yield server


@pytest.fixture
def adapter(odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[OdooAdapter]:
    adapter = make_adapter(odoo, tmp_path, monkeypatch)
    yield adapter
    adapter.close()


def by_id(records: list[Invoice]) -> dict[str, Invoice]:
    return {r.external_id: r for r in records}


class TestOdooContract(AdapterContract):
    @pytest.fixture
    def adapter(self, odoo: FakeOdooServer, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> BaseAdapter:
        return make_adapter(odoo, tmp_path, monkeypatch)

    @pytest.fixture
    def make_change(self, odoo: FakeOdooServer) -> Callable[[BaseAdapter], str]:
        def pay(adapter: BaseAdapter) -> str:
            odoo.register_payment(1, 400.0)
            return "1"
        return pay


def test_registry_and_config() -> None:
    assert adapter_class("odoo") is OdooAdapter
    with pytest.raises(ValueError):
        OdooConfig(url="odoo.example.fr", database="d", username="u")
    with pytest.raises(ValueError):
        OdooConfig(url="https://o.example.fr", database="d", username="u", typo=1)


def test_recorded_books_are_mapped(adapter: OdooAdapter) -> None:
    invoices = by_id(drain(adapter.invoices(None))[0])
    assert invoices["1"].status == "open" and invoices["1"].residual == Decimal("1000.00")
    assert invoices["2"].status == "partial" and invoices["2"].residual == Decimal("300.00")
    assert invoices["3"].status == "paid" and invoices["3"].residual == 0
    assert invoices["5"].status == "cancelled"  # reversed by RINV/2026/00001
    credit = invoices["8"]
    assert credit.kind == "credit_note" and credit.credited_invoice_id == "5"
    assert credit.status == "paid" and credit.residual == 0
    assert invoices["1"].customer_id == "7" and invoices["1"].company_id == "1"
    assert invoices["1"].issue_date == dt.date(2026, 9, 9)
    assert invoices["1"].due_date == dt.date(2026, 10, 9)
    assert invoices["1"].currency == "EUR" and isinstance(invoices["1"].total, Decimal)
    assert invoices["1"].updated_at == dt.datetime(2026, 11, 23, 19, 14, 19, tzinfo=dt.UTC)


def test_incremental_sync_catches_a_payment_between_two_syncs(
        adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    _, cursor = drain(adapter.invoices(None))
    odoo.register_payment(4, 200.0)
    changed, cursor2 = drain(adapter.invoices(cursor))
    # What changed comes back, plus the last row of the previous run (the bound is inclusive);
    # the rest of the seeded books is older than the look-back.
    assert {i.external_id for i in changed} == {"4", "9"}
    four = by_id(changed)["4"]
    assert four.status == "partial" and four.residual == Decimal("1000.00")
    assert cursor2 is not None and cursor2["write_date"] >= cursor["write_date"]
    odoo.register_payment(4)
    assert by_id(drain(adapter.invoices(cursor2))[0])["4"].status == "paid"


def test_in_payment_counts_as_paid(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    odoo.register_payment(1, in_payment=True)
    [fresh] = adapter.refresh(["1"])
    assert fresh.status == "paid" and fresh.residual == 0 and not fresh.is_open


def test_same_write_date_across_a_page_boundary(odoo: FakeOdooServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    odoo.data.now = "2026-11-25 08:00:00"
    new = [odoo.add_invoice(7, 100.0 + n, "2026-11-20") for n in range(5)]
    odoo.data.now = None
    adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=2)
    pages = list(adapter.invoices(None))
    assert all(len(p.records) <= 2 for p in pages)
    ids = [i.external_id for p in pages for i in p.records]
    assert len(ids) == len(set(ids)) == 12  # 7 recorded + 5 new, none lost, none twice
    assert {str(n) for n in new} <= set(ids)
    assert pages[-1].full_scan_complete and not pages[0].full_scan_complete
    # Resuming from a checkpoint that falls between rows sharing that write_date loses nothing.
    middle = next(p.checkpoint for p in pages if p.checkpoint
                  and p.checkpoint["write_date"] == "2026-11-25 08:00:00")
    resumed = {i.external_id for i in drain(adapter.invoices(middle))[0]}
    assert {str(n) for n in new} <= resumed


def test_rows_of_one_second_in_microsecond_order_unlike_id_order(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Odoo orders by the full write_date but sends it cut to the second (recorded: ids 4, 5,
    2, 3 all at 19:14:20). A keyset on the (second, id) as sent would loop or skip here."""
    odoo.data.now = "2026-11-25 09:00:00"
    for move in (9, 8, 5, 4, 3, 2, 1):  # written in reverse id order within one second
        odoo.data.write("account.move", move)
    odoo.data.now = None
    adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=2)
    pages = list(itertools.islice(adapter.invoices(None), 20))
    ids = [i.external_id for p in pages for i in p.records]
    assert ids == ["9", "8", "5", "4", "3", "2", "1"]
    assert len(pages) == 4 and pages[-1].full_scan_complete


def test_a_row_changed_while_paging_is_read_again(odoo: FakeOdooServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=2)
    pages = adapter.invoices(None)
    first = next(pages)
    odoo.register_payment(int(first.records[0].external_id), 1.0)
    rest = [i for p in pages for i in p.records]
    assert first.records[0].external_id in {i.external_id for i in rest}


def test_credit_note_reversing_an_invoice(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    _, cursor = drain(adapter.invoices(None))
    note = odoo.reverse(4)
    changed = by_id(drain(adapter.invoices(cursor))[0])
    assert changed["4"].status == "cancelled" and changed["4"].residual == 0
    assert changed[str(note)].kind == "credit_note"
    assert changed[str(note)].credited_invoice_id == "4"
    # A credit note not yet reconciled stays open: the customer may deduct it.
    open_note = odoo.reverse(1, 250.0, reconcile=False)
    fresh = by_id(adapter.refresh(["1", str(open_note)]))
    assert fresh["1"].status == "open" and fresh["1"].residual == Decimal("1000.00")
    assert fresh[str(open_note)].status == "open"
    assert fresh[str(open_note)].residual == Decimal("250.00")


def test_invoice_reset_to_draft_is_no_longer_chased(adapter: OdooAdapter,
                                                    odoo: FakeOdooServer) -> None:
    _, cursor = drain(adapter.invoices(None))
    odoo.data.write("account.move", 1, state="draft")
    changed = by_id(drain(adapter.invoices(cursor))[0])["1"]
    assert changed.status == "cancelled" and changed.residual == 0 and not changed.is_open


def test_instalments_in_one_batched_call(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    odoo.add_invoice(9, 1000.0, "2026-10-01", payment_term=8,
                     instalments=[("2026-10-01", 300.0), ("2026-11-30", 700.0)])
    odoo.calls.clear()
    invoices = by_id(drain(adapter.invoices(None))[0])
    lines_calls = [c for c in odoo.calls if c[1] == "account.move.line"]
    assert len(lines_calls) == 1
    nine = invoices["9"]
    assert nine.due_date == dt.date(2026, 11, 14)  # Odoo's due date is the LAST instalment
    assert [(i.due_date, i.amount, i.residual) for i in nine.instalments] == [
        (dt.date(2026, 9, 15), Decimal("900.00"), Decimal("900.00")),
        (dt.date(2026, 11, 14), Decimal("2100.00"), Decimal("2100.00"))]
    assert nine.due_items()[0][1] == dt.date(2026, 9, 15)  # the first 900 € is chased on time
    assert invoices["1"].instalments == ()
    odoo.register_payment(9, 1000.0)
    [paid] = adapter.refresh(["9"])
    assert [i.residual for i in paid.instalments] == [Decimal("0.00"), Decimal("2000.00")]
    assert paid.status == "partial"


def test_refresh_is_one_read_and_omits_missing_ids(adapter: OdooAdapter,
                                                   odoo: FakeOdooServer) -> None:
    adapter.check()
    odoo.calls.clear()
    fresh = adapter.refresh(["2", "999999", "1"])
    assert sorted(i.external_id for i in fresh) == ["1", "2"]
    assert [c[2] for c in odoo.calls] == ["read"]
    assert adapter.refresh(["not-an-id"]) == []


def test_customers_and_billing_contacts(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    quiet = odoo.add_partner("Delta Sans Mail", email=None, lang="fr_FR")
    person = odoo.add_partner("Jeanne Martin", email="jeanne@exemple.fr", is_company=False,
                              phone="+33 6 12 34 56 78")
    billing = odoo.add_partner("Service comptable", email="factures@delta.example",
                               is_company=False, parent_id=quiet, type="invoice")
    odoo.add_partner("Prospect jamais facturé", email="p@example.fr")
    odoo.add_invoice(quiet, 100.0, "2026-11-01")
    odoo.add_invoice(billing, 50.0, "2026-11-02")  # billed to the contact: customer is Delta
    odoo.add_invoice(person, 80.0, "2026-11-03")
    customers = {c.external_id: c for c in drain(adapter.customers(None))[0]}
    assert set(customers) == {"7", "8", "9", str(quiet), str(person)}
    delta = customers[str(quiet)]
    assert delta.email is None and delta.kind == "company" and delta.language == "fr"
    assert [c.email for c in delta.contacts] == ["factures@delta.example"]
    assert delta.billing_emails() == ["factures@delta.example"]
    jeanne = customers[str(person)]
    assert jeanne.kind == "individual" and jeanne.phone == "+33 6 12 34 56 78"
    assert customers["7"].email == "compta@alpha.example" and customers["7"].language == "en"
    invoices = drain(adapter.invoices(None))[0]
    assert all(i.customer_id in customers for i in invoices)


def test_postal_address_of_the_invoice_contact_else_the_partner(
        adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    company = odoo.add_partner("Epsilon SAS", email="e@epsilon.example", street="1 rue Haute",
                               zip="75001", city="Paris", country="FR")
    odoo.add_partner("Comptabilité fournisseurs", email="ap@epsilon.example", is_company=False,
                     parent_id=company, type="invoice", street="BP 42", street2="Service AP",
                     zip="69300", city="Caluire", country="FR")
    half = odoo.add_partner("Zeta SARL", email="z@zeta.example", street="3 rue Basse")  # no city
    for partner in (company, half):
        odoo.add_invoice(partner, 100.0, "2026-11-01")
    customers = {c.external_id: c for c in drain(adapter.customers(None))[0]}
    invoice_contact = customers[str(company)].address
    assert invoice_contact is not None
    assert invoice_contact.lines() == ["BP 42", "Service AP", "69300 Caluire"]  # France omitted
    alpha, beta = customers["7"].address, customers["8"].address
    assert alpha is not None and alpha.lines() == ["12 rue du Commerce", "69002 Lyon"]
    assert beta is not None and beta.lines()[-1] == "United Kingdom"
    assert customers["9"].address is None  # Odoo sends False for every empty field
    assert customers[str(half)].address is None  # a street without a city cannot be posted to


def test_invoice_pdf_is_the_printed_attachment_not_our_trace(
        adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    assert adapter.invoice_pdf("1") is None  # never printed
    odoo.print_invoice(1)
    adapter.push_note(PushRequest(key="k" * 32, invoice_ids=["1"], customer_id="7",
                                  level="first", channel="note", summary="s", body="b",
                                  attachment=b"%PDF-1.4 trace", attachment_name="relance-x.pdf"))
    assert adapter.invoice_pdf("1") == b"%PDF-1.4"  # what the fake's Send & Print keeps
    assert adapter.invoice_pdf("not-an-id") is None


def test_customers_paged_one_by_one_end_whole_in_one_read_per_page(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full scan reads no contacts per page: a customer met before its billing contact comes
    again with it (the store keeps the last), so every customer ends whole."""
    odoo.data.now = "2026-11-26 10:00:00"  # everything below shares one displayed second
    delta = odoo.add_partner("Delta", email=None)
    odoo.add_invoice(delta, 100.0, "2026-11-01")
    contact = odoo.add_partner("Compta Delta", email="f@delta.example", is_company=False,
                               parent_id=delta, type="invoice")
    odoo.data.write("res.partner", 7)  # Alpha changes after its billing contact was created
    adapter = make_adapter(odoo, tmp_path, monkeypatch, page_size=1)
    adapter.check()
    before = len(odoo.calls)
    pages = list(itertools.islice(adapter.customers(None), 30))
    customers = {c.external_id: c for p in pages for c in p.records}  # the last of each
    assert sorted(customers) == sorted(["7", "8", "9", str(delta)])
    assert [x.email for x in customers[str(delta)].contacts] == ["f@delta.example"]
    assert all(p.checkpoint for p in pages) and pages[-1].full_scan_complete
    assert contact not in {int(c) for c in customers}
    # one search_read per page of partners, plus the mark of the latest move taken first
    assert len(odoo.calls) - before == len(pages) + 1
    repeated = [c.external_id for p in pages for c in p.records]
    assert repeated.count(str(delta)) <= 2  # met, then again with its contact


def test_incremental_customers(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    odoo.data.now = "2026-11-26 10:00:00"  # well after the seeded books and their look-back
    quiet = odoo.add_partner("Delta", email=None)
    billing = odoo.add_partner("Compta Delta", email="old@delta.example", is_company=False,
                               parent_id=quiet, type="invoice")
    odoo.add_invoice(quiet, 100.0, "2026-11-01")
    newcomer = odoo.add_partner("Epsilon", email="e@example.fr")
    _, cursor = drain(adapter.customers(None))
    assert cursor is not None
    # A changed billing address only touches the contact; its customer must come back.
    odoo.data.write("res.partner", billing, email="new@delta.example")
    # A first invoice makes a partner a customer without touching its write_date.
    odoo.add_invoice(newcomer, 10.0, "2026-11-26")
    changed = {c.external_id: c for c in drain(adapter.customers(cursor))[0]}
    assert changed[str(quiet)].contacts[0].email == "new@delta.example"
    assert str(newcomer) in changed
    assert "8" not in changed  # Beta did not change


def test_multi_company_restriction(odoo: FakeOdooServer, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    other = odoo.add_company("Filiale Lyon")
    lyon = odoo.add_partner("Client Lyon", email="l@example.fr", company_id=other)
    odoo.add_invoice(lyon, 500.0, "2026-11-10", company_id=other)
    odoo.add_invoice(7, 70.0, "2026-11-11", company_id=other)
    both = drain(make_adapter(odoo, tmp_path, monkeypatch).invoices(None))[0]
    assert {i.company_id for i in both} == {"1", str(other)}
    only_main = make_adapter(odoo, tmp_path, monkeypatch, company_ids=[1])
    invoices = drain(only_main.invoices(None))[0]
    assert invoices and {i.company_id for i in invoices} == {"1"}
    assert str(lyon) not in {c.external_id for c in drain(only_main.customers(None))[0]}
    only_lyon = drain(make_adapter(odoo, tmp_path, monkeypatch,
                                   company_ids=[other]).invoices(None))[0]
    assert {i.company_id for i in only_lyon} == {str(other)} and len(only_lyon) == 2


def test_check_reports_version_and_rights(adapter: OdooAdapter, odoo: FakeOdooServer,
                                          tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    info = adapter.check()
    assert info.kind == "odoo" and info.version == f"{odoo.data.serie}-20240709"
    assert info.missing_rights == []
    # the only advice: who gets the tasks of customers without a salesperson
    assert [w for w in info.warnings if "source.activity_user" not in w] == []
    assert make_adapter(odoo, tmp_path, monkeypatch, activity_user="marie@example.fr"
                        ).check().warnings == []
    assert "bot@example.fr" in (info.user or "")
    odoo.data.denied |= {("mail.activity", "create"), ("res.partner", "read")}
    odoo.data.tables["ir.module.module"][900]["state"] = "installed"
    info = adapter.check()
    assert any(m.startswith("mail.activity: create") for m in info.missing_rights)
    assert any(m.startswith("res.partner: read") for m in info.missing_rights)
    assert any("chased twice" in w for w in info.warnings)


@pytest.mark.parametrize("serie", ["16.0", "18.0"])
def test_other_supported_versions(serie: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_odoo(serie) as odoo:
        adapter = make_adapter(odoo, tmp_path, monkeypatch)
        assert adapter.check().missing_rights == []
        odoo.data.write("account.move", 4, payment_state="blocked")
        if serie == "18.0":
            assert adapter.refresh(["4"])[0].status == "disputed"
        assert ("object", "mail.activity",
                "has_access" if serie == "18.0" else "check_access_rights") in odoo.calls


def test_odoo_15_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_odoo("15.0") as odoo:
        adapter = make_adapter(odoo, tmp_path, monkeypatch)
        with pytest.raises(ConfigError, match=r"Odoo 15\.0.*supports Odoo 16\.0 to 18\.0"):
            adapter.check()
        with pytest.raises(ConfigError):
            drain(adapter.invoices(None))


def test_refused_key_names_user_and_database_never_the_key(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "wrong-key-5e1f0c9b77aa"
    adapter = make_adapter(odoo, tmp_path, monkeypatch, key=wrong)
    with pytest.raises(AuthError) as refused:
        adapter.check()
    message = str(refused.value)
    assert "bot@example.fr" in message and "dunning" in message and wrong not in message
    # A key revoked after login: Odoo answers fault 3 on execute_kw.
    good = make_adapter(odoo, tmp_path, monkeypatch)
    good.check()
    old_key, odoo.key = odoo.key, "rotated-key-000000"
    with pytest.raises(AuthError, match="refused the API key for user bot@example.fr on "
                                        "database dunning") as revoked:
        drain(good.invoices(None))
    assert old_key not in str(revoked.value) and old_key not in repr(good.rpc)


def test_an_unknown_database_is_a_config_error(odoo: FakeOdooServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_adapter(odoo, tmp_path, monkeypatch, database="dunnning")
    with pytest.raises(ConfigError,
                       match=r"\[source.database\].*'dunnning'.*(does not exist|not found)"):
        adapter.check()


def test_missing_secret_is_a_config_error_only_when_used(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_adapter(odoo, tmp_path, monkeypatch)
    monkeypatch.delenv("ODOO_KEY")
    with pytest.raises(ConfigError, match="ODOO_KEY"):
        adapter.check()


def test_a_missing_right_is_named(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    odoo.data.denied.add(("account.move", "read"))
    with pytest.raises(AuthError, match=r"account\.move\.search_read.*not allowed to read"):
        drain(adapter.invoices(None))


def test_one_unreadable_record_is_skipped_and_the_rest_kept(
        adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    odoo.data.broken.add(("account.move", 2))
    pages = list(adapter.invoices(None))
    ids = {i.external_id for p in pages for i in p.records}
    rejected = [r for p in pages for r in p.rejected]
    assert "2" not in ids and {"1", "3", "4", "5", "8", "9"} <= ids
    assert [r.source_id for r in rejected] == ["2"]
    assert "could not compute" in rejected[0].reason
    assert pages[-1].checkpoint is not None


def test_private_method_is_an_auth_error(adapter: OdooAdapter) -> None:
    with pytest.raises(AuthError, match="Private methods"):
        adapter._execute("account.move", "_compute_payment_state", [[4]])


@pytest.mark.parametrize("kind", ["503", "502", "504", "429", "timeout", "reset", "truncated"])
def test_a_transient_failure_on_a_read_is_retried(adapter: OdooAdapter, odoo: FakeOdooServer,
                                                  kind: str) -> None:
    adapter.check()
    adapter.http.timeout = (2.0, 0.3)
    odoo.timeout_delay = 0.6  # the "timeout" fault answers after the client gave up
    odoo.script(kind, method="search_read")
    invoices = drain(adapter.invoices(None))[0]
    assert len(invoices) == 7
    assert adapter.http.request_count >= 2


def test_a_malformed_answer_is_transient(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    adapter.check()
    odoo.script("malformed", method="search_read")
    with pytest.raises(TransientError, match="not (XML-RPC|JSON)"):
        drain(adapter.invoices(None))
    assert len(drain(adapter.invoices(None))[0]) == 7  # next time it works


def test_retries_give_up_after_a_bounded_number_of_attempts(
        adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    adapter.check()
    odoo.script(*["503"] * 10, method="search_read")
    with pytest.raises(TransientError, match="503"):
        drain(adapter.invoices(None))


def test_fake_server_helper_gives_a_config_the_loader_accepts(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connector.adapters.base import AdapterContext
    from connector.config import parse_config
    from connector.secrets import SecretStore

    text = odoo.source_toml(secret_env="ODOO_KEY") + (
        '\n[sender]\nname = "ACME"\nemail = "compta@acme.example"\n')
    config = parse_config(text)
    assert isinstance(config.source, OdooConfig) and config.source.url == odoo.url
    url, database, username, key = odoo.credentials()
    assert (config.source.database, config.source.username) == (database, username)
    monkeypatch.setenv("ODOO_KEY", key)
    context = AdapterContext("t1", SecretStore("t1"), dt.date(2026, 11, 27), tmp_path)
    adapter = adapter_class(config.source.kind)(config.source, context)
    assert adapter.check().missing_rights == []
