"""A customer who paid is not reminded because the books have not caught up: a CAMT.053 credit
matched with confidence to an invoice stops its reminder through `relance run`, while the books
(a fake Odoo over a real socket) still show it unpaid; a partial or ambiguous credit stops
nothing. The freshness gate drops a reminder queued before the statement came."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.app.bank import import_files
from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.store import outbox
from tests.e2e import relance, write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo

ENV = {"ODOO_KEY": API_KEY}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bank"
STATEMENT = FIXTURES / "releve-2026-11-25.camt053.xml"
TODAY = "2026-11-27"
BANK = 'activity_user = "marie@example.fr"\n\n[bank]\nfolder = "banque"\nhold_days = 10\n'


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    """Four customers, each with an invoice 22 days late on 27/11/2026: INV/2026/00001 (Martin,
    paid in full by the statement), 00002 (Lefèvre, an instalment), 00003 and 00004 (780,00 each,
    the statement's anonymous 780,00 could be either)."""
    server = start_fake_odoo("17.0", seed=False)
    for name, amount in (("Boulangerie Martin", 1450.0), ("Menuiserie Lefèvre SAS", 2400.0),
                         ("Garage Rousseau", 780.0), ("Café du Théâtre", 780.0)):
        slug = name.split()[-1].lower()
        partner = server.add_partner(name, email=f"compta@{slug}.fr")
        server.add_invoice(partner, amount, "2026-10-06", due_date="2026-11-05")
    yield server
    server.stop()


def mails(folder: Path) -> list[str]:
    """The text of every message written to the outbox folder."""
    texts = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        texts.append(f"{message['To']}\n{body.get_content() if body else ''}")
    return texts


def numbers_of(odoo: FakeOdooServer) -> dict[str, dict[str, object]]:
    return {str(m["name"]): m for m in odoo.data.tables["account.move"].values()}


def test_a_credit_that_pays_an_invoice_stops_its_reminder_before_the_books_know(
        tmp_path: Path, odoo: FakeOdooServer) -> None:
    config = write_user_config(tmp_path, odoo.source_toml() + BANK)
    (tmp_path / "banque").mkdir()
    shutil.copy(STATEMENT, tmp_path / "banque")
    code, out = relance(config, "--today", TODAY, "run", env=ENV)
    assert code == 0, out
    assert "3 nouveau(x) crédit(s) ; 1 suspendent des relances, 2 à vérifier" in out
    sent = mails(tmp_path / "outbox")
    assert not [m for m in sent if "INV/2026/00001" in m or "martin" in m]
    # the partial payment and the ambiguous 780,00 stop nothing
    for number in ("INV/2026/00002", "INV/2026/00003", "INV/2026/00004"):
        assert len([m for m in sent if number in m]) == 1, number
    assert numbers_of(odoo)["INV/2026/00001"]["payment_state"] == "not_paid"  # books unaware

    code, out = relance(config, "--today", TODAY, "bank", "matches")
    lines = out.splitlines()
    held = next(line for line in lines if "INV/2026/00001" in line)
    assert "sûr" in held and "relances suspendues → 2026-12-05" in held
    assert "partiel" in next(line for line in lines if "INV/2026/00002" in line)
    assert "ambigu" in out
    code, out = relance(config, "--today", TODAY, "tasks")
    task = "Rapprocher le paiement : 1\u202f450,00\xa0€ reçus le 25/11/2026 (INV/2026/00001)"
    assert task in out

    code, out = relance(config, "--today", TODAY, "history", "Boulangerie Martin")
    assert "virement reçu" in out and "INV/2026/00001" in out
    code, out = relance(config, "--today", TODAY, "status", "--json")
    held_line = [p for p in json.loads(out)["pauses"] if p["target"] == "INV/2026/00001"]
    assert held_line and held_line[0]["what"].startswith(
        "paid per the bank statement, pending the books until 2026-12-05")

    # the statement read again (it stays in the folder) adds nothing, holds nothing twice
    code, out = relance(config, "--today", TODAY, "run", env=ENV)
    assert code == 0 and "0 nouveau(x) crédit(s) ; 0 suspendent" in out
    assert len(mails(tmp_path / "outbox")) == len(sent)


def test_the_hold_ends_after_hold_days_and_a_rejected_match_ends_it_at_once(
        tmp_path: Path, odoo: FakeOdooServer) -> None:
    config = write_user_config(tmp_path, odoo.source_toml() + BANK)
    relance(config, "--today", TODAY, "sync", env=ENV)
    code, out = relance(config, "--today", TODAY, "bank", "import", str(STATEMENT))
    assert code == 0, out

    def planned(day: str) -> str:
        code, out = relance(config, "--today", day, "plan", "--json")
        assert code == 0, out
        return out

    assert "INV/2026/00001" not in planned(TODAY)
    assert "INV/2026/00001" not in planned("2026-12-05")  # hold_days = 10 from the booking
    assert "INV/2026/00001" in planned("2026-12-07")  # the books never confirmed: chase again
    code, out = relance(config, "--today", TODAY, "bank", "matches")
    match_id = next(line for line in out.splitlines() if "INV/2026/00001" in line).split()[0]
    code, out = relance(config, "--today", TODAY, "resume", "INV/2026/00001")
    assert code == 2 and "relance bank reject" in out
    code, out = relance(config, "--today", TODAY, "bank", "reject", match_id)
    assert code == 0 and "rejeté" in out
    assert "INV/2026/00001" in planned(TODAY)
    code, out = relance(config, "--today", TODAY, "tasks")
    assert "Rapprocher le paiement" not in out  # its task closed with the match


def test_a_person_confirms_a_match_the_matcher_was_not_sure_of(
        tmp_path: Path, odoo: FakeOdooServer) -> None:
    config = write_user_config(tmp_path, odoo.source_toml() + BANK)
    relance(config, "--today", TODAY, "sync", env=ENV)
    relance(config, "--today", TODAY, "bank", "import", str(STATEMENT))
    code, out = relance(config, "--today", TODAY, "bank", "matches")
    ambiguous = next(line for line in out.splitlines() if "ambigu" in line).split()
    code, out = relance(config, "--today", TODAY, "bank", "confirm", ambiguous[0])
    assert code == 0 and "confirmé" in out, out
    _, plan = relance(config, "--today", TODAY, "plan", "--json")
    assert ambiguous[3] not in plan  # the invoice it names is held now
    code, out = relance(config, "--today", TODAY, "bank", "confirm", "999")
    assert code == 2 and "no bank match 999" in out


def test_the_gate_drops_a_reminder_queued_before_the_statement_came(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = load_config(write_user_config(tmp_path, odoo.source_toml() + BANK))
    moment = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.timezone.utc)
    tenant = open_tenant(config, clock=Clock.frozen(moment, config.timezone))
    tenant.sync()
    queued = outbox.enqueue(tenant.store, tenant.plan(), now=moment)
    assert queued == 4
    # the statement arrives while the reminders wait (`relance bank import` from another shell)
    report = import_files(tenant.store, config, [STATEMENT], now=moment, today=tenant.today)
    assert report.held == 1
    delivered = Dispatcher(tenant.store, tenant.adapter, config, FileTransport(config.outbox_dir),
                           now=tenant.clock, exclusive=True).run()
    assert delivered.skipped == 1 and len(mails(config.outbox_dir)) == 3
    (reason,) = [r for _key, status, r in delivered.details if status == "skipped"]
    assert reason.startswith("paid per the bank statement, pending the books: INV/2026/00001")
    assert not [m for m in mails(config.outbox_dir) if "INV/2026/00001" in m]
    # freed, not spent: if the books never confirm, the same level is planned after the hold
    later = open_tenant(config, today=dt.date(2026, 12, 7))
    again = [intent for intent in later.plan()
             if "INV/2026/00001" in [i.number for i in intent.items]]
    assert [intent.level for intent in again] == ["first"]
    assert outbox.enqueue(later.store, again, now=moment + dt.timedelta(days=10)) == 1
    tenant.close()


def test_a_french_bank_csv_export_holds_what_it_pays(tmp_path: Path,
                                                      odoo: FakeOdooServer) -> None:
    mapping = '\n[bank.csv]\naccount = "00012345678"\n'
    config = write_user_config(tmp_path, odoo.source_toml() + BANK + mapping)
    relance(config, "--today", TODAY, "sync", env=ENV)
    code, out = relance(config, "--today", TODAY, "bank", "import",
                        str(FIXTURES / "export-banque.csv"))
    assert code == 0, out
    assert "4 nouveau(x) crédit(s) ; 1 suspendent des relances" in out
    assert "export-banque.csv:12: not an amount: 'abc'" in out  # the bad line, named
    _, plan = relance(config, "--today", TODAY, "plan", "--json")
    assert "INV/2026/00003" not in plan  # "MOTIF FACTURE INV-2026-00003", 780,00
    assert "INV/2026/00004" in plan  # the other 780,00 is still due
    code, out = relance(config, "--today", TODAY, "bank", "import",
                        str(FIXTURES / "export-banque.csv"))
    assert "0 nouveau(x) crédit(s)" in out


def test_a_customers_other_reminder_no_longer_names_the_invoice_the_bank_paid(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    martin = next(i for i, p in odoo.data.tables["res.partner"].items()
                  if p["name"] == "Boulangerie Martin")
    odoo.add_invoice(martin, 320.0, "2026-10-06", due_date="2026-11-05")  # INV/2026/00005
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = load_config(write_user_config(tmp_path, odoo.source_toml() + BANK))
    moment = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.timezone.utc)
    tenant = open_tenant(config, clock=Clock.frozen(moment, config.timezone))
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=moment)  # one message: 00001 and 00005
    import_files(tenant.store, config, [STATEMENT], now=moment, today=tenant.today)
    Dispatcher(tenant.store, tenant.adapter, config, FileTransport(config.outbox_dir),
               now=tenant.clock, exclusive=True).run()
    (to_martin,) = [m for m in mails(config.outbox_dir) if "compta@martin.fr" in m]
    assert "INV/2026/00005" in to_martin and "INV/2026/00001" not in to_martin
    assert "1 450" not in to_martin and "1\u202f450" not in to_martin
    tenant.close()
