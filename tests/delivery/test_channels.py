"""Every channel end to end through the dispatcher, against the fake Odoo 17 over its socket:
what the customer (or the collector) receives, with the amounts as sent, once."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connector.app.tenant import Tenant, open_tasks, open_tenant
from connector.config import load_config
from connector.delivery.channels import REGISTRY, Delivery
from connector.delivery.dispatch import DeliveryReport, Dispatcher
from connector.delivery.email import FileTransport
from connector.errors import ConfigError
from connector.formatting import money
from connector.rules.channels import CHANNELS
from connector.store import outbox
from tests.adapters.odoo.helpers import pushed_activities
from tests.e2e import write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo

TODAY = dt.date(2026, 11, 27)
# Seeded books (tests/fixtures/odoo17): Alpha (partner 7, English) owes INV/2026/00001 (1 000 €,
# due 2026-10-09) and the rest of INV/2026/00002 (300 € of 500 €, due 2026-11-13).
ALPHA, ALPHA_MAIL, ALPHA_DUE = "7", "compta@alpha.example", Decimal("1300.00")


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    server = start_fake_odoo("17.0")
    yield server
    server.stop()


def level(channels: str, days: int = 1) -> str:
    return (f'\n[policy]\n\n[[policy.levels]]\nname = "first"\ndays = {days}\n'
            f'channel = {channels}\ntemplate = "first"\ntask_title = "Appeler le client"\n')


def odoo_tenant(tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch,
                channels: str) -> Tenant:
    monkeypatch.setenv("ODOO_KEY", API_KEY)
    odoo.data.insert("res.users", {"login": "paul@example.fr", "name": "Paul Comptable"}, 70)
    path = write_user_config(tmp_path, odoo.source_toml() + 'activity_user = "paul@example.fr"\n')
    path.write_text(path.read_text(encoding="utf-8") + level(channels), encoding="utf-8")
    return open_tenant(load_config(path), today=TODAY)


def dispatch(tenant: Tenant) -> DeliveryReport:
    """Plan today's reminders into the outbox, then one dispatcher run (claim, gate, deliver)."""
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    return Dispatcher(tenant.store, tenant.adapter, tenant.config,
                      FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()


def alpha_rows(tenant: Tenant, channel: str) -> list[dict]:
    return [r for r in outbox.rows(tenant.store, tenant.name)
            if r["customer_id"] == ALPHA and r["channel"] == channel]


def visible(html: str) -> str:
    """What a mail client shows of an HTML body: no comments, no tags."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL))


def test_every_declared_channel_is_implemented_once() -> None:
    assert set(REGISTRY) == set(CHANNELS)
    assert all(cls.name == name for name, cls in REGISTRY.items())


def test_source_email_odoo_mails_the_rendered_template_to_the_customers_contacts(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = odoo.print_invoice(1)  # INV/2026/00001 was sent once: Odoo keeps its PDF
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"source_email"')
    tenant.sync()
    report = dispatch(tenant)
    assert report.failed == 0, report.details
    [row] = alpha_rows(tenant, "source_email")
    assert row["status"] == "sent"
    [mail] = [m for m in odoo.data.outgoing_mail if m["to"] == ALPHA_MAIL]
    # the rendered template (English: Alpha's contact writes en_US), not an internal note
    shown = " ".join(visible(mail["body"]).split())
    assert "INV/2026/00001" in shown and "INV/2026/00002" in shown
    assert money(ALPHA_DUE, "EUR", "en") in shown and "Boulangerie Durand" in shown
    assert "relance:" not in shown  # our key is stamped, hidden from the customer
    assert mail["subject"] and "relance" not in mail["subject"].lower()
    assert mail["attachments"] == [odoo.data.tables["ir.attachment"][pdf]["name"]]
    message = odoo.data.tables["mail.message"][int(row["remote_id"])]
    assert message["subtype_id"] == 1 and message["partner_ids"] == [7]  # Discussions, to Alpha
    assert tenant.adapter.find_pushed(row["key"]) == row["remote_id"]
    assert alpha_rows(tenant, "note") == []  # the message itself is the trace in Odoo
    assert not list(tenant.config.outbox_dir.glob("*.eml"))  # our SMTP sent nothing
    again = dispatch(tenant)
    assert again.sent == 0 and len(odoo.data.outgoing_mail) == report.sent


def test_odoo_email_is_still_accepted_as_source_email(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"odoo_email"')
    assert "deprecated" in caplog.text
    tenant.sync()
    report = dispatch(tenant)
    assert report.failed == 0 and [r["status"] for r in alpha_rows(tenant, "source_email")] \
        == ["sent"]
    assert [m["to"] for m in odoo.data.outgoing_mail].count(ALPHA_MAIL) == 1


def test_an_unknown_channel_names_the_known_ones(tmp_path: Path, odoo: FakeOdooServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="source_email"):
        odoo_tenant(tmp_path, odoo, monkeypatch, '"fax"')


def test_email_goes_by_our_transport_and_leaves_a_note_with_the_amount_sent(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"email"')
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    odoo.register_payment(2)  # INV/2026/00002 paid after planning: the gate drops it
    Dispatcher(tenant.store, tenant.adapter, tenant.config,
               FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    [row] = alpha_rows(tenant, "email")
    message = email.message_from_bytes((tenant.config.outbox_dir / f"{row['key']}.eml")
                                       .read_bytes(), policy=email.policy.default)
    assert message["To"] == ALPHA_MAIL
    text = message.get_body(("plain",)).get_content()
    assert money(Decimal("1000.00"), "EUR", "en") in text and "INV/2026/00002" not in text
    [note_row] = alpha_rows(tenant, "note")
    assert note_row["status"] == "sent"
    note = odoo.data.tables["mail.message"][int(note_row["remote_id"])]
    assert note["subtype_id"] == 2  # an internal note: nobody is mailed
    # the amount as sent, not the 1 300 planned; in the collector's words (French)
    assert money(Decimal("1000.00"), "EUR", "fr") in html.unescape(note["body"])
    assert money(ALPHA_DUE, "EUR", "fr") not in html.unescape(note["body"])
    assert odoo.data.outgoing_mail == []


def test_task_creates_an_activity_in_odoo_and_a_local_task(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    odoo.data.write("res.partner", 7, user_id=6)  # Alpha's salesperson: Marie
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"task"')
    tenant.sync()
    report = dispatch(tenant)
    assert report.failed == 0, report.details
    [row] = alpha_rows(tenant, "task")
    mine = pushed_activities(odoo, row["remote_id"])
    assert [a["res_id"] for a in mine] == [1, 2]  # one activity on each invoice of the task
    for activity in mine:
        assert activity["res_model"] == "account.move"
        assert activity["user_id"] == 6 and activity["activity_type_id"] == 4  # Marie; To-Do
        assert activity["summary"] == "Appeler le client – Alpha Distribution SARL"
        for number, amount in (("INV/2026/00001", "1000.00"), ("INV/2026/00002", "300.00")):
            assert f"{number} " in activity["note"]
            assert money(Decimal(amount), "EUR", "fr") in html.unescape(activity["note"])
    assert "concerne INV/2026/00002 : 300.00 EUR" in mine[1]["note"]
    others = [a for a in odoo.data.tables["mail.activity"].values() if a not in mine]
    assert others and {a["user_id"] for a in others} == {70}  # no salesperson: the fallback
    activity = mine[0]
    [task] = [t for t in open_tasks(tenant.store, tenant.name) if t["customer_id"] == ALPHA]
    assert task["remote_id"] == row["remote_id"] and task["title"] == activity["summary"]
    assert odoo.data.outgoing_mail == [] and alpha_rows(tenant, "note") == []


def test_letter_writes_the_formal_notice_with_the_amounts(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import pypdf
    # a letter alone, sent without review (a formal notice waits for approval by default)
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"letter"\napproval = "auto"')
    tenant.sync()
    report = dispatch(tenant)
    assert report.failed == 0, report.details
    [row] = alpha_rows(tenant, "letter")
    path = Path(row["remote_id"])
    # named for the person who posts it; Alpha's address comes from Odoo
    assert path == tenant.config.letters_dir / "2026-11-27_Alpha-Distribution-SARL_first.pdf"
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(path.read_bytes())).pages).split())
    assert "Alpha Distribution SARL" in text and "INV/2026/00001" in text
    assert "12 rue du Commerce" in text and "69002 Lyon" in text
    assert " ".join(money(ALPHA_DUE, "EUR", "en").split()) in text
    letters = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                         FileTransport(tenant.config.outbox_dir), now=tenant.clock)
    assert letters.channel("letter").already_done(row["key"]) == path.as_posix()
    assert alpha_rows(tenant, "note") == [] and odoo.data.outgoing_mail == []


def test_a_crash_after_source_email_is_reconciled_not_resent(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"source_email"')
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    now = tenant.clock.now()
    [due] = [r for r in outbox.due(tenant.store, tenant.name, now) if r["customer_id"] == ALPHA]
    claimed = outbox.claim_one(tenant.store, due, now, dt.timedelta(minutes=15))
    assert claimed is not None
    dispatcher = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                            FileTransport(tenant.config.outbox_dir), exclusive=True,
                            now=tenant.clock)
    dispatcher.channel("source_email").deliver(Delivery(claimed, outbox.payload(claimed)))
    report = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                        FileTransport(tenant.config.outbox_dir), exclusive=True,
                        now=tenant.clock).run()
    assert (due["key"], "sent", "reconciled after an interruption") in report.details
    assert [m["to"] for m in odoo.data.outgoing_mail].count(ALPHA_MAIL) == 1


def test_every_invoice_of_a_grouped_email_gets_its_own_note_with_the_amount_sent(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = odoo_tenant(tmp_path, odoo, monkeypatch, '"email"')
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    odoo.register_payment(2, 200.0)  # after planning: INV/2026/00002 now owes 100, not 300
    Dispatcher(tenant.store, tenant.adapter, tenant.config,
               FileTransport(tenant.config.outbox_dir), now=tenant.clock).run()
    [note_row] = alpha_rows(tenant, "note")
    notes = {m["res_id"]: m for m in odoo.data.tables["mail.message"].values()
             if m["subtype_id"] == 2 and note_row["key"] in m["body"]}
    assert sorted(notes) == [1, 2]  # one note on each invoice, ids as numbers
    for move_id, amount in ((1, "1000.00"), (2, "100.00")):
        body = notes[move_id]["body"]
        name = odoo.data.tables["account.move"][move_id]["name"]
        assert f"{name} : {amount} EUR demandés pour cette facture" in body
        assert body.count("relance:") == 1 and "<!-- [relance:" in body  # one, hidden
        assert "<br/>" in body  # the note's lines stay lines in Odoo 17
    # the summary line states the whole amount as sent (1 100 €), not the 1 300 € planned
    assert money(Decimal("1100.00"), "EUR", "fr") in html.unescape(notes[1]["body"])
