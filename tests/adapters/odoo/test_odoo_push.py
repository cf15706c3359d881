"""Push-back to Odoo: chatter notes, activities, messages sent by Odoo; exactly once by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import PushRequest
from connector.adapters.odoo import OdooAdapter
from connector.errors import ConfigError, PermanentError, TransientError
from tests.adapters.odoo.helpers import TODAY, TRANSPORTS, make_adapter, pushed_activities
from tests.fakes.odoo_server import FakeOdooServer, running_fake_odoo


@pytest.fixture(params=TRANSPORTS)
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdooServer]:
    with running_fake_odoo(request.param) as server:
        yield server


@pytest.fixture
def adapter(odoo: FakeOdooServer, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> OdooAdapter:
    odoo.data.write("res.partner", 8, user_id=6)  # Beta's salesperson: Marie
    return make_adapter(odoo, tmp_path, monkeypatch)


def request(key: str = "9f2c41d07a", invoice: str = "4", **extra: Any) -> PushRequest:
    values: dict[str, Any] = {
        "key": key, "invoice_ids": [invoice], "customer_id": "8", "level": "2",
        "channel": "email", "summary": "Relance niveau 2", "body": "Bonjour,\nmerci de régler.",
        "recipients": ["ap@beta.example"], **extra}
    return PushRequest(**values)


def messages(odoo: FakeOdooServer, key: str) -> list[dict[str, Any]]:
    return [m for m in odoo.data.tables["mail.message"].values() if key in m["body"]]


def test_push_note_is_an_internal_note_found_by_its_key(adapter: OdooAdapter,
                                                        odoo: FakeOdooServer) -> None:
    req = request(summary="Relance <niveau 2> & rappel")
    assert adapter.find_pushed(req.key) is None
    pushed = adapter.push_note(req)
    assert adapter.find_pushed(req.key) == pushed
    [message] = messages(odoo, req.key)
    assert str(message["id"]) == pushed
    assert message["model"] == "account.move" and message["res_id"] == 4
    assert message["subtype_id"] == 2 and message["message_type"] == "comment"  # Note
    body = message["body"]
    for part in ("ap@beta.example", "1200.00 EUR", "INV/2026/00004",
                 "<!-- [relance:9f2c41d07a] -->"):
        assert part in body
    assert body.count("relance:") == 1  # one stamp, hidden
    # Odoo 17 escapes a text body: our plain text shows as typed, not as markup.
    assert "&lt;niveau 2&gt; &amp; rappel" in body
    assert odoo.data.outgoing_mail == []  # a note mails nobody


def test_odoo_16_stores_the_note_as_html_so_we_escape_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_odoo("16.0") as odoo:
        adapter = make_adapter(odoo, tmp_path, monkeypatch)
        adapter.push_note(request(summary="Relance <b>2</b>"))
        [message] = messages(odoo, "9f2c41d07a")
        assert "Relance &lt;b&gt;2&lt;/b&gt;" in message["body"]  # shown as typed, once


def test_activity_note_is_html_in_every_version(adapter: OdooAdapter,
                                                odoo: FakeOdooServer) -> None:
    adapter.push_task(request(body="ligne 1\nligne <2>"))
    [activity] = odoo.data.tables["mail.activity"].values()
    assert activity["note"] == ("<p>ligne 1<br/>ligne &lt;2&gt;<br/>Cette activité concerne "
                                "INV/2026/00004 : 1200.00 EUR</p>\n<!-- [relance:9f2c41d07a] -->")


def test_push_task_creates_an_activity(adapter: OdooAdapter, odoo: FakeOdooServer) -> None:
    req = request(channel="task", task="call", due_date=dt.date(2026, 12, 2))
    pushed = adapter.push_task(req)
    [activity] = pushed_activities(odoo, pushed)
    assert pushed == f"4:{activity['id']}"
    assert activity["res_model"] == "account.move" and activity["res_id"] == 4
    assert activity["activity_type_id"] == 2  # Call: category phonecall in mail.activity.type
    assert activity["date_deadline"] == "2026-12-02"
    assert activity["user_id"] == 6  # the customer's salesperson, not the bot (uid 2)
    assert activity["summary"] == "Relance niveau 2"
    assert activity["note"].count("[relance:9f2c41d07a]") == 1
    assert adapter.find_pushed(req.key) == pushed
    [todo] = pushed_activities(odoo, adapter.push_task(request(key="aa11")))
    assert todo["activity_type_id"] == 4  # To-Do
    assert todo["date_deadline"] == TODAY.isoformat()


@pytest.mark.parametrize(("setting", "customer_rep", "invoice_rep"), [
    (None, 6, 2),  # the customer's salesperson first
    ("salesperson", False, 6),  # then the invoice's
    ("marie@example.fr", False, 2),  # the only salesperson is the bot: the configured user
    (6, False, False)])
def test_activity_goes_to_a_person(setting: Any, customer_rep: Any, invoice_rep: Any,
                                   odoo: FakeOdooServer, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    odoo.data.write("res.partner", 8, user_id=customer_rep)
    odoo.data.write("account.move", 4, invoice_user_id=invoice_rep)
    adapter = make_adapter(odoo, tmp_path, monkeypatch, activity_user=setting)
    pushed = adapter.push_task(request())
    assert [a["user_id"] for a in pushed_activities(odoo, pushed)] == [6]


def test_an_activity_with_nobody_to_do_it_is_refused_not_given_to_the_bot(
        odoo: FakeOdooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_adapter(odoo, tmp_path, monkeypatch)  # invoice 4's salesperson is the bot
    with pytest.raises(PermanentError, match="activity_user"):
        adapter.push_task(request())
    assert odoo.data.tables["mail.activity"] == {}


def test_unknown_activity_user_is_a_config_error(odoo: FakeOdooServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_adapter(odoo, tmp_path, monkeypatch, activity_user="nobody@example.fr")
    with pytest.raises(ConfigError, match="activity_user"):
        adapter.push_task(request())


def test_a_lost_answer_to_a_write_is_not_resent(adapter: OdooAdapter,
                                                odoo: FakeOdooServer) -> None:
    """Odoo posted the note but the answer was lost: no silent second post; the key tells."""
    adapter.check()
    odoo.script("reset-after", method="message_post")
    with pytest.raises(TransientError):
        adapter.push_note(request())
    assert len(messages(odoo, "9f2c41d07a")) == 1
    found = adapter.find_pushed("9f2c41d07a")
    assert found == str(messages(odoo, "9f2c41d07a")[0]["id"])
    odoo.script("reset-after", method="create")
    with pytest.raises(TransientError):
        adapter.push_task(request(key="bb22"))
    assert len(odoo.data.tables["mail.activity"]) == 1
    assert adapter.find_pushed("bb22") is not None


def test_a_refused_write_is_not_retried_but_a_429_is(adapter: OdooAdapter,
                                                     odoo: FakeOdooServer) -> None:
    adapter.check()
    odoo.script("503", method="message_post")
    with pytest.raises(TransientError):
        adapter.push_note(request())
    assert adapter.find_pushed("9f2c41d07a") is None  # safe to try again later
    odoo.script("429", method="message_post")
    pushed = adapter.push_note(request())
    assert adapter.find_pushed("9f2c41d07a") == pushed
    assert len(messages(odoo, "9f2c41d07a")) == 1


def test_send_via_source_mails_the_recipients(adapter: OdooAdapter,
                                              odoo: FakeOdooServer) -> None:
    req = request(attachment=b"%PDF-1.4 relance", attachment_name="relance.pdf")
    pushed = adapter.send_via_source(req)
    message = odoo.data.tables["mail.message"][int(pushed)]
    assert message["subtype_id"] == 1 and message["partner_ids"] == [8]  # Discussions
    assert message["subject"] == "Relance niveau 2"
    [attachment] = odoo.data.tables["ir.attachment"].values()
    assert message["attachment_ids"] == [attachment["id"]]
    assert attachment["res_id"] == 4 and attachment["name"] == "relance.pdf"
    assert [m["to"] for m in odoo.data.outgoing_mail] == ["ap@beta.example"]
    assert adapter.find_pushed(req.key) == pushed


def test_send_via_source_refuses_unknown_recipients(adapter: OdooAdapter,
                                                    odoo: FakeOdooServer) -> None:
    with pytest.raises(PermanentError, match="someone@else.example"):
        adapter.send_via_source(request(recipients=["someone@else.example"]))
    assert odoo.data.tables["mail.message"] == {}


def test_push_to_a_missing_invoice_is_permanent(adapter: OdooAdapter) -> None:
    with pytest.raises(PermanentError, match="no longer exists"):
        adapter.push_note(request(invoice="999999"))


def test_writes_name_the_invoice_company(odoo: FakeOdooServer, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    other = odoo.add_company("Filiale")
    move = odoo.add_invoice(7, 10.0, "2026-11-01", company_id=other)
    odoo.data.user_companies = {1, other}
    adapter = make_adapter(odoo, tmp_path, monkeypatch, company_ids=[1, other])
    assert adapter.push_note(request(invoice=str(move)))
    assert adapter._write_context({"company_id": [other, "Filiale"]}) == {
        "allowed_company_ids": [other, 1]}


def test_keys_with_odd_characters_are_stamped_by_digest(adapter: OdooAdapter) -> None:
    odd = "tenant/acme & co <level 2> 100%_"
    assert adapter.stamp(odd) == adapter.stamp(odd)
    assert adapter.stamp(odd).startswith("[relance:") and "&" not in adapter.stamp(odd)
    assert adapter.stamp("rl-0001:ab") == "[relance:rl-0001:ab]"
    pushed = adapter.push_note(request(key=odd))
    assert adapter.find_pushed(odd) == pushed
    assert adapter.find_pushed(odd + "x") is None
