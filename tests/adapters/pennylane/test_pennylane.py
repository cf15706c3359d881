"""The Pennylane adapter against the fake Pennylane (real HTTP, every exchange checked against the
OpenAPI document): the contract, increments, resync, pagination safety, errors and push-back."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import AdapterContext, BaseAdapter, PushRequest, adapter_class
from connector.adapters.pennylane import PennylaneAdapter, PennylaneConfig
from connector.budget import RateBudget
from connector.errors import AuthError, ConnectorError, PermanentError, TransientError
from connector.secrets import SecretStore
from tests.adapters.contract import AdapterContract, drain
from tests.adapters.journal import store_journal
from tests.fakes import pennylane_spec
from tests.fakes.pennylane_server import FakePennylane, load_spec
from tests.helpers import NOW

TODAY = NOW.date()  # the tenant's day: fixed, the suite passes on any real date
# openapi-core cannot check oauth2 security schemes and says so; the fake checks the token itself.
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")


class FakeTime:
    """Sleep hook and clock for the rate budget: retries and waits cost no real time."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture(scope="session")
def spec() -> Any:
    return load_spec()  # ~5 s, once per session


@pytest.fixture
def fake(spec: Any) -> Iterator[FakePennylane]:
    server = FakePennylane().start()
    server.seed(customers=12, invoices=40)
    yield server
    server.stop()
    assert server.violations == [], "\n".join(server.violations)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_adapter(fake: FakePennylane, state_dir: Path, fake_time: FakeTime | None = None, *,
                 trace: str = "none", today: dt.date = TODAY, **config: Any) -> PennylaneAdapter:
    SecretStore("t1").set("source", fake.token)
    sleep = fake_time.sleep if fake_time else __import__("time").sleep
    context = AdapterContext("t1", SecretStore("t1"), today, state_dir, sleep=sleep,
                             journal=store_journal(state_dir, "t1", "pennylane"))
    adapter = PennylaneAdapter(PennylaneConfig(base_url=fake.base_url, trace=trace, **config),
                               context)
    if fake_time is not None:
        adapter.http.budget = RateBudget(25, 5.0, clock=fake_time.clock, sleep=fake_time.sleep)
    return adapter


@pytest.fixture
def adapter(fake: FakePennylane, tmp_path: Path, fake_time: FakeTime) -> Iterator[PennylaneAdapter]:
    built = make_adapter(fake, tmp_path, fake_time, trace="appendix")
    yield built
    built.close()


def open_invoice(fake: FakePennylane) -> int:
    return next(i for i, inv in sorted(fake.invoices.items())
                if not inv.draft and inv.credited_invoice is None and inv.paid_amount == 0
                and inv.customer_id is not None)


class TestPennylaneContract(AdapterContract):
    @pytest.fixture
    def adapter(self, fake: FakePennylane, tmp_path: Path,
                fake_time: FakeTime) -> Iterator[PennylaneAdapter]:
        built = make_adapter(fake, tmp_path, fake_time, trace="appendix")
        yield built
        built.close()

    @pytest.fixture
    def make_change(self, fake: FakePennylane) -> Callable[[BaseAdapter], str]:
        def pay_one(adapter: BaseAdapter) -> str:
            target = open_invoice(fake)
            fake.pay(target)
            return str(target)
        return pay_one


def test_registry_and_config() -> None:
    assert adapter_class("pennylane") is PennylaneAdapter
    config = PennylaneConfig()
    assert config.base_url == "https://app.pennylane.com/api/external/v2"
    assert (config.trace, config.full_scan_days) == ("none", 7)
    with pytest.raises(ValueError):
        PennylaneConfig(trace="email")


def test_capabilities_follow_trace(fake: FakePennylane, tmp_path: Path) -> None:
    assert not make_adapter(fake, tmp_path).capabilities.notes
    assert make_adapter(fake, tmp_path, trace="appendix").capabilities.notes


def test_full_read_maps_pennylane_fields(fake: FakePennylane, adapter: PennylaneAdapter) -> None:
    today = fake.now().date()
    person = fake.add_customer("Jeanne Durand", kind="individual", emails=("jd@exemple.fr",))
    late = fake.add_invoice(person, "1200.00", date=today - dt.timedelta(days=60))
    half = fake.add_invoice(person, "100.00")
    fake.pay(half, "40.00")
    note = fake.add_invoice(person, "300.00", credit_note_of=late)
    no_deadline = fake.add_invoice(person, "50.00", date=dt.date(2026, 3, 1), deadline=None)
    customers = {c.external_id: c for c in drain(adapter.customers(None))[0]}
    invoices = {i.external_id: i for i in drain(adapter.invoices(None))[0]}
    jeanne = customers[str(person)]
    assert (jeanne.kind, jeanne.email, jeanne.billing_emails()) == (
        "individual", "jd@exemple.fr", ["jd@exemple.fr"])
    assert any(not c.billing_emails() for c in customers.values())  # a customer without emails
    assert invoices[str(late)].status == "open" and str(invoices[str(late)].total) == "1200.00"
    assert invoices[str(late)].due_date == today - dt.timedelta(days=30)
    assert (invoices[str(half)].status, str(invoices[str(half)].residual)) == ("partial", "60.00")
    credit = invoices[str(note)]
    assert (credit.kind, credit.credited_invoice_id, str(credit.total)) == (
        "credit_note", str(late), "300.00")
    # deadline: null → the French legal default of 30 days after the invoice date
    assert invoices[str(no_deadline)].due_date == dt.date(2026, 3, 31)
    assert all(i.pdf_url is None for i in invoices.values())  # signed links expire in 30 min
    drafts = [str(i) for i, inv in fake.invoices.items() if inv.draft]
    assert drafts and not set(drafts) & set(invoices)


def test_unusable_invoices_are_rejected_not_fatal(fake: FakePennylane,
                                                  adapter: PennylaneAdapter,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    orphan = fake.add_invoice(None, "10.00")
    broken = fake.add_invoice(fake.invoices[open_invoice(fake)].customer_id, "20.00")
    fake.touch(broken, currency_amount="n/a")
    pages = list(adapter.invoices(None))
    rejected = {r.source_id: r.reason for p in pages for r in p.rejected}
    assert "no customer" in rejected[str(orphan)]
    assert "not an amount" in rejected[str(broken)]
    assert sum(len(p.records) for p in pages) == 40 - 1 + sum(
        1 for i in fake.invoices.values() if i.credited_invoice)  # all the others, minus the draft
    assert str(broken) in caplog.text


def test_check_lists_missing_scopes(fake: FakePennylane, tmp_path: Path) -> None:
    fake.tokens[fake.token] = ["customers:readonly"]
    assert make_adapter(fake, tmp_path).check().missing_rights == ["customer_invoices:readonly"]
    fake.tokens[fake.token] = ["customer_invoices:readonly", "customers:all"]
    assert make_adapter(fake, tmp_path).check().missing_rights == []
    assert make_adapter(fake, tmp_path, trace="appendix").check().missing_rights == [
        "customer_invoices:all"]


def test_refused_token_and_missing_scope_are_auth_errors(fake: FakePennylane,
                                                         tmp_path: Path) -> None:
    adapter = make_adapter(fake, tmp_path)
    fake.tokens[fake.token] = ["customers:readonly"]
    with pytest.raises(AuthError, match="customer_invoices:readonly"):
        drain(adapter.invoices(None))
    fake.tokens = {"another-token-entirely": ["customers:all"]}
    with pytest.raises(AuthError, match="refused the company API token") as caught:
        adapter.check()
    assert fake.token not in str(caught.value)


def test_increment_reads_only_what_changed(spec: Any, tmp_path: Path,
                                           fake_time: FakeTime) -> None:
    fake = FakePennylane().start()
    try:
        fake.seed(customers=20, invoices=500)
        adapter = make_adapter(fake, tmp_path, fake_time)
        _, cursor = drain(adapter.invoices(None))
        changed = [i for i, inv in sorted(fake.invoices.items())
                   if not inv.draft and inv.paid_amount == 0][:5]  # 1 % of the invoices
        for invoice_id in changed:
            fake.pay(invoice_id)
        before, changelog_before = fake.count(), fake.count(path="/changelogs")
        records, new_cursor = drain(adapter.invoices(cursor))
        used = fake.count() - before
        changelog_pages = fake.count(path="/changelogs") - changelog_before
        assert sorted(r.external_id for r in records) == sorted(map(str, changed))
        assert all(r.status == "paid" for r in records)
        assert used <= changelog_pages + math.ceil(len(changed) / 100) + 2
        assert used == 2  # one changelog page, one `id in [...]` batch
        assert new_cursor and new_cursor["changelog"]
        # nothing changed since: one changelog request, no re-read
        before = fake.count()
        assert drain(adapter.invoices(new_cursor))[0] == []
        assert fake.count() - before == 1
    finally:
        fake.stop()
    assert fake.violations == []


def test_expired_changelog_position_resyncs(fake: FakePennylane, adapter: PennylaneAdapter,
                                            caplog: pytest.LogCaptureFixture) -> None:
    _, cursor = drain(adapter.invoices(None))
    fake.pay(open_invoice(fake))
    _, cursor = drain(adapter.invoices(cursor))
    assert cursor and cursor["changelog"]
    fake.clock_offset = dt.timedelta(weeks=5)  # Pennylane keeps 4 weeks of changelog
    adapter.now = fake.now  # five weeks pass for both sides
    with caplog.at_level(logging.WARNING):
        pages = list(adapter.invoices(cursor))
    assert any(p.status == 422 and p.path.startswith("/changelogs") for p in fake.requests)
    assert pages[-1].full_scan_complete and pages[-1].checkpoint
    assert pages[-1].checkpoint["resynced"] is True
    assert sum(len(p.records) for p in pages) >= 39
    assert "full resync" in caplog.text
    # the next increment is an ordinary one again
    fake.pay(open_invoice(fake))
    last = list(adapter.invoices(pages[-1].checkpoint))[-1]
    assert not last.full_scan_complete and last.checkpoint["resynced"] is False


def test_periodic_full_scan_catches_silent_changes(fake: FakePennylane,
                                                   adapter: PennylaneAdapter) -> None:
    _, cursor = drain(adapter.invoices(None))
    silent = open_invoice(fake)
    fake.invoices[silent].paid_amount = fake.invoices[silent].total  # no changelog event
    assert drain(adapter.invoices(cursor))[0] == []
    stale = {**cursor, "last_full_scan": (TODAY - dt.timedelta(days=7)).isoformat()}
    pages = list(adapter.invoices(stale))
    seen = {i.external_id: i for p in pages for i in p.records}
    assert seen[str(silent)].status == "paid"
    assert pages[-1].full_scan_complete
    assert pages[-1].checkpoint["last_full_scan"] == TODAY.isoformat()


def test_deleted_and_vanished_invoices(fake: FakePennylane, adapter: PennylaneAdapter) -> None:
    _, cursor = drain(adapter.invoices(None))
    gone = open_invoice(fake)
    fake.delete_invoice(gone)  # a `delete` changelog event
    vanished = open_invoice(fake)
    fake.pay(vanished)
    fake.delete_invoice(vanished, log_event=False)  # changed, then no longer found
    pages = list(adapter.invoices(cursor))
    deleted = {d for p in pages for d in p.deleted}
    assert {str(gone), str(vanished)} <= deleted
    assert not {str(gone), str(vanished)} & {i.external_id for p in pages for i in p.records}


@pytest.mark.parametrize("bug, message", [("repeat_cursor", "same next_cursor twice"),
                                          ("missing_cursor", "gave no next_cursor")])
def test_broken_pagination_is_an_error_not_a_hang(fake: FakePennylane, adapter: PennylaneAdapter,
                                                  bug: str, message: str) -> None:
    fake.pagination_bug["/customer_invoices"] = bug
    with pytest.raises(PermanentError, match=message):
        drain(adapter.invoices(None))
    assert fake.count(path="/customer_invoices") <= 3


@pytest.mark.parametrize("bug, message", [("repeat_cursor", "same next_cursor twice"),
                                          ("missing_cursor", "gave no next_cursor")])
def test_broken_changelog_pagination_is_an_error(fake: FakePennylane, adapter: PennylaneAdapter,
                                                 bug: str, message: str) -> None:
    _, cursor = drain(adapter.invoices(None))
    fake.pay(open_invoice(fake))
    _, cursor = drain(adapter.invoices(cursor))  # now resuming from a changelog cursor
    fake.pagination_bug["/changelogs/customer_invoices"] = bug
    before = fake.count(path="/changelogs")
    with pytest.raises(PermanentError, match=message):
        drain(adapter.invoices(cursor))
    assert fake.count(path="/changelogs") - before <= 2


def test_server_errors_are_retried_with_backoff(fake: FakePennylane, adapter: PennylaneAdapter,
                                                fake_time: FakeTime) -> None:
    fake.script("500", "503", path="/customer_invoices")
    invoices, _ = drain(adapter.invoices(None))
    assert len(invoices) >= 39
    assert len(fake_time.sleeps) == 2 and all(0 < s <= 2 for s in fake_time.sleeps)


def test_429_waits_retry_after(fake: FakePennylane, adapter: PennylaneAdapter,
                               fake_time: FakeTime) -> None:
    fake.script("429", path="/customers")
    assert drain(adapter.customers(None))[0]
    assert 1.0 in fake_time.sleeps
    assert fake.count(path="/customers") == 2


def test_reset_connection_is_retried_for_reads(fake: FakePennylane, adapter: PennylaneAdapter,
                                               fake_time: FakeTime) -> None:
    fake.script("reset", path="/customers")
    assert drain(adapter.customers(None))[0]
    assert fake.count(path="/customers") == 2


def test_malformed_body_is_transient(fake: FakePennylane, adapter: PennylaneAdapter) -> None:
    fake.script("malformed", path="/customer_invoices")
    with pytest.raises(TransientError, match="not JSON"):
        drain(adapter.invoices(None))


def test_refresh_rereads_by_id(fake: FakePennylane, adapter: PennylaneAdapter) -> None:
    invoices, _ = drain(adapter.invoices(None))
    paid = open_invoice(fake)
    fake.pay(paid)
    gone = invoices[-1].external_id
    fake.delete_invoice(int(gone))
    before = fake.count()
    fresh = adapter.refresh([str(paid), gone, "not-an-id"])
    assert [(i.external_id, i.status) for i in fresh] == [(str(paid), "paid")]
    assert fake.count() - before == 1
    wanted = [i.external_id for i in invoices]
    assert len(adapter.refresh(wanted)) == len(wanted) - 1


def push_request(invoice_id: str, key: str = "rl-2026-abc123") -> PushRequest:
    return PushRequest(key=key, invoice_ids=[invoice_id], customer_id="1", level="N2",
                       channel="email", summary="Relance niveau 2",
                       body="Madame, Monsieur,\nla facture (échue) reste due.",
                       recipients=["compta@exemple.fr"])


def test_appendix_is_found_again_after_a_crash(fake: FakePennylane, tmp_path: Path,
                                               fake_time: FakeTime) -> None:
    invoice_id = str(open_invoice(fake))
    first = make_adapter(fake, tmp_path, fake_time, trace="appendix")
    pushed = first.push_note(push_request(invoice_id))
    stored = fake.appendices[int(invoice_id)][0]
    assert stored["filename"] == f"relance-N2-{TODAY.isoformat()}-rl-2026-abc123.pdf"
    # "crash": a new process, same state directory
    second = make_adapter(fake, tmp_path, fake_time, trace="appendix")
    assert second.find_pushed("rl-2026-abc123") == pushed == str(stored["id"])
    assert second.find_pushed("rl-other") is None


def test_appendix_post_is_not_retried_after_a_500(fake: FakePennylane, adapter: PennylaneAdapter,
                                                  fake_time: FakeTime) -> None:
    invoice_id = str(open_invoice(fake))
    fake.script("500", method="POST")
    with pytest.raises(TransientError):
        adapter.push_note(push_request(invoice_id))
    assert fake.count(method="POST") == 1
    assert adapter.find_pushed("rl-2026-abc123") is None


def test_appendix_post_timeout_is_not_retried_and_found_later(
        fake: FakePennylane, adapter: PennylaneAdapter) -> None:
    invoice_id = str(open_invoice(fake))
    adapter.http.timeout = (2.0, 0.3)
    fake.fault_delay = 0.8
    fake.script("timeout", method="POST")
    with pytest.raises(TransientError):
        adapter.push_note(push_request(invoice_id))
    assert fake.count(method="POST") == 1
    # Pennylane did store it: after the crash the outbox learns the push happened
    assert adapter.find_pushed("rl-2026-abc123") == str(fake.appendices[int(invoice_id)][0]["id"])


def test_budget_keeps_a_full_run_under_the_rate_limit(spec: Any, tmp_path: Path) -> None:
    """A real budget and real sleeps against a fake enforcing the same limit: never a 429.

    The limit is 3 requests / 2 s rather than Pennylane's 25 / 5 s so that even a loaded machine
    (requests of up to ~0.6 s) reaches it; the 25 / 5 s one is exercised by the benchmarks."""
    fake = FakePennylane(rate_limit=3, rate_period=2.0).start()
    try:
        fake.seed(customers=150, invoices=250)
        adapter = make_adapter(fake, tmp_path)
        adapter.http.budget = RateBudget(3, 2.0)
        adapter.check()
        drain(adapter.customers(None))
        invoices, _ = drain(adapter.invoices(None))
        adapter.refresh([i.external_id for i in invoices])
        assert fake.count() >= 9
        assert fake.rate_limited == 0
        # the run reached the server's limit, and the budget held it there without a 429
        assert adapter.http.budget.limit_reached > 0
    finally:
        fake.stop()
    assert fake.violations == []


@pytest.mark.skipif(pennylane_spec.SPEC_PATH != pennylane_spec.FULL_SPEC,
                    reason="needs Pennylane's whole description (../shared/specs): `discount` is "
                           "not in relance's subset")
def test_fake_reports_spec_violations(fake: FakePennylane, adapter: PennylaneAdapter) -> None:
    """The fake is only worth trusting if it notices when it or its client leaves the spec."""
    import requests

    bad = open_invoice(fake)
    fake.touch(bad, discount=None)  # `discount` is a required, non-nullable object
    drain(adapter.invoices(None))
    assert any("discount" in v for v in fake.violations)
    fake.violations.clear()
    answer = requests.get(f"{fake.base_url}/customers", params={"limit": 500},
                          headers={"Authorization": f"Bearer {fake.token}"}, timeout=5)
    assert answer.status_code == 400 and any("limit" in v for v in fake.violations)
    fake.violations.clear()
    requests.get(f"{fake.base_url}/customers", params={"page": 2},
                 headers={"Authorization": f"Bearer {fake.token}"}, timeout=5)
    assert any("undeclared query parameter" in v for v in fake.violations)
    fake.violations.clear()


def test_fake_enforces_the_rate_limit(fake: FakePennylane) -> None:
    """Without a client-side budget, the 26th request within 5 s is refused with retry-after."""
    import requests

    headers = {"Authorization": f"Bearer {fake.token}"}
    answers = [requests.get(f"{fake.base_url}/me", headers=headers, timeout=5) for _ in range(26)]
    assert [a.status_code for a in answers[:25]] == [200] * 25
    assert answers[24].headers["ratelimit-remaining"] == "0"
    assert int(answers[24].headers["ratelimit-reset"]) > 10**9  # a Unix time
    assert answers[25].status_code == 429 and int(answers[25].headers["retry-after"]) >= 1


def test_a_share_of_random_faults_is_absorbed(spec: Any, tmp_path: Path,
                                              fake_time: FakeTime) -> None:
    fake = FakePennylane(fault_rate=0.3, fault_seed=11).start()
    try:
        fake.seed(customers=150, invoices=450)
        adapter = make_adapter(fake, tmp_path, fake_time)
        assert len(drain(adapter.customers(None))[0]) == 150
        assert len(drain(adapter.invoices(None))[0]) >= 449
        assert fake.count() > 7 and fake_time.sleeps  # some requests failed and were retried
    finally:
        fake.stop()
    assert fake.violations == []


def test_end_to_end_helper_gives_a_working_endpoint(spec: Any, tmp_path: Path) -> None:
    from tests.fakes.pennylane_server import pennylane_endpoint

    with pennylane_endpoint(customers=3, invoices=6) as (base_url, token):
        SecretStore("e2e").set("source", token)
        context = AdapterContext("e2e", SecretStore("e2e"), TODAY, tmp_path)
        adapter = PennylaneAdapter(PennylaneConfig(base_url=base_url), context)
        assert adapter.check().missing_rights == []
        assert len(drain(adapter.customers(None))[0]) == 3


def test_a_push_cut_between_two_invoices_is_resumed_without_doubles(
        fake: FakePennylane, tmp_path: Path, fake_time: FakeTime) -> None:
    first_invoice, second_invoice = [str(i) for i, inv in sorted(fake.invoices.items())
                                     if not inv.draft and inv.customer_id is not None][:2]
    assert first_invoice != second_invoice
    request = PushRequest(key="rl-2026-two", invoice_ids=[first_invoice, second_invoice],
                          customer_id="1", level="N2", channel="email", summary="Relance",
                          body="Relance", recipients=["compta@exemple.fr"])
    adapter = make_adapter(fake, tmp_path, fake_time, trace="appendix")
    fake.script("500", method="POST", path=f"/customer_invoices/{second_invoice}/appendices")
    with pytest.raises(TransientError):
        adapter.push_note(request)  # the first invoice got its trace, the second did not
    assert [len(fake.appendices.get(int(i), [])) for i in (first_invoice, second_invoice)] == [1, 0]
    again = make_adapter(fake, tmp_path, fake_time, trace="appendix")  # after the crash
    assert again.find_pushed("rl-2026-two") is None  # half done: the outbox plans it again
    again.push_note(request)
    assert [len(fake.appendices[int(i)]) for i in (first_invoice, second_invoice)] == [1, 1]
    assert again.find_pushed("rl-2026-two") == str(fake.appendices[int(first_invoice)][0]["id"])


def test_billing_address_is_the_postal_address(adapter: PennylaneAdapter,
                                               fake: FakePennylane) -> None:
    cid = fake.add_customer("SAS Adresse Multiligne")
    fake.customers[cid]["billing_address"] = {
        "address": "Tour Horizon\n52 quai de Dion-Bouton", "postal_code": "92800",
        "city": "Puteaux", "country_alpha2": "FR"}
    blank = fake.add_customer("SARL Sans Adresse")
    fake.customers[blank]["billing_address"] = {"address": "", "postal_code": "", "city": "",
                                                "country_alpha2": "FR"}
    customers = {c.external_id: c for c in drain(adapter.customers(None))[0]}
    address = customers[str(cid)].address
    assert address is not None
    assert address.lines() == ["Tour Horizon", "52 quai de Dion-Bouton", "92800 Puteaux"]
    assert customers[str(blank)].address is None
    seeded = next(c for c in customers.values() if c.name != "SAS Adresse Multiligne"
                  and c.address is not None)
    assert seeded.address.lines() == ["1 rue de la Paix", "75002 Paris"]  # type: ignore[union-attr]


def test_invoice_pdf_follows_a_fresh_public_link_without_the_token(
        adapter: PennylaneAdapter, fake: FakePennylane) -> None:
    target = open_invoice(fake)
    content = adapter.invoice_pdf(str(target))
    assert content is not None and content.startswith(b"%PDF-")
    assert fake.invoices[target].number.encode() in content
    assert fake.file_tokens == [""]  # the API token never goes to the file host
    fake.expired_files.add(target)
    with pytest.raises(ConnectorError):  # delivery/attachments.py logs it and sends without
        adapter.invoice_pdf(str(target))
    assert adapter.invoice_pdf("nope") is None
