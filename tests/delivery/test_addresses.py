"""Recipients are addresses or nothing: IDN domains in punycode, UTF-8 local parts only through a
server offering SMTPUTF8, free text never "sent" to but left as a task; headers encoded right."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from connector import emails
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.models import Contact, rejected_fields
from connector.store import outbox
from connector.store import tables as t
from tests.delivery.test_email import Sink, free_port, smtp_config
from tests.helpers import customer

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(("value", "wire", "utf8"), [
    ("Compta@Exemple.FR", "Compta@exemple.fr", False),
    ("compta@exämple.fr", "compta@xn--exmple-cua.fr", False),
    ("jérôme.12@exemple.fr", "jérôme.12@exemple.fr", True),
])
def test_valid_addresses_and_what_goes_on_the_wire(value: str, wire: str, utf8: bool) -> None:
    address = emails.check(value)
    assert (address.wire, address.needs_smtputf8) == (wire, utf8)


@pytest.mark.parametrize("value", ["voir Mme Martin", "compta@", "a..b@exemple.fr",
                                   "compta@localhost", "compta@exemple", "@exemple.fr"])
def test_non_addresses_are_refused_with_a_reason(value: str) -> None:
    with pytest.raises(emails.InvalidAddress) as refused:
        emails.check(value)
    assert refused.value.reason


def test_a_field_of_several_addresses_gives_each_and_free_text_none() -> None:
    who = customer("C1", email="compta@exemple.fr; Factures@Exemple.fr, relances@exemple.fr",
                   contacts=(Contact(email="compta@exemple.fr"), Contact(email="n/a")))
    assert who.billing_emails() == ["compta@exemple.fr", "Factures@exemple.fr",
                                    "relances@exemple.fr"]
    with rejected_fields() as dropped:
        mixed = customer("C2", email="compta@exemple.fr, appeler Mme Martin")
    assert mixed.billing_emails() == [] and dropped  # dropped whole, with its reason


class Utf8Sink(Sink):
    """Parses as an SMTPUTF8 receiver does: raw UTF-8 headers are text, not escapes."""

    async def handle_DATA(self, server, session, envelope):
        raw = (envelope.original_content or envelope.content).decode("utf-8")
        parsed = email.message_from_string(raw, policy=email.policy.SMTPUTF8)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def smtp_utf8() -> Iterator[tuple[Sink, int, list[Controller]]]:
    """A server offering SMTPUTF8."""
    sink = Utf8Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield sink, port, [controller]
    finally:
        controller.stop()


def _with_overrides(tmp_path: Path, port: int, emails_by_customer: dict[str, str]) -> Path:
    path = smtp_config(tmp_path, port)
    extra = "".join(f'\n[customers."{cid}"]\nemail = "{value}"\n'
                    for cid, value in emails_by_customer.items())
    path.write_text(path.read_text() + extra, encoding="utf-8")
    return path


def _email_customers(tmp_path: Path, port: int) -> list[str]:
    tenant = open_tenant(load_config(smtp_config(tmp_path / "probe", port)), today=TODAY)
    tenant.sync()
    found = sorted({i.customer_id for i in tenant.plan() if i.channel == "email"})
    tenant.close()
    return found


def test_idn_and_utf8_addresses_arrive_with_readable_headers(tmp_path, smtp_utf8) -> None:
    sink, port, _ = smtp_utf8
    idn, utf8 = _email_customers(tmp_path, port)[:2]
    path = _with_overrides(tmp_path / "t", port, {idn: "compta@exämple.fr",
                                                  utf8: "jérôme@exemple.fr"})
    text = path.read_text().replace('name = "Atelier Dupuis"', 'name = "Atelier Dupuis, Frères"')
    path.write_text(text, encoding="utf-8")
    tenant = open_tenant(load_config(path), today=TODAY)
    report = tenant.run().delivery
    assert report.failed == 0
    envelopes = {rcpt[0]: message for rcpt, message in sink.messages}
    assert "compta@xn--exmple-cua.fr" in envelopes  # the domain in punycode, no SMTPUTF8 needed
    assert "jérôme@exemple.fr" in envelopes  # sent as SMTPUTF8: the server offers it
    for message in sink.messages:
        sender = message[1]["From"].addresses[0]
        assert (sender.display_name, sender.addr_spec) == ("Atelier Dupuis, Frères",
                                                          "compta@atelier-dupuis.fr")
    utf8_to = envelopes["jérôme@exemple.fr"]["To"]
    assert [a.addr_spec for a in utf8_to.addresses] == ["jérôme@exemple.fr"]
    assert "=?" not in str(utf8_to)  # never an encoded word inside an address


def _tasks(tenant) -> list[dict]:
    with tenant.store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.tasks)).mappings()]


def test_utf8_address_without_smtputf8_fails_and_leaves_a_task(tmp_path) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        target = _email_customers(tmp_path, port)[0]
        tenant = open_tenant(load_config(_with_overrides(tmp_path / "t", port,
                                                         {target: "jérôme@exemple.fr"})),
                             today=TODAY)
        report = tenant.run().delivery
    finally:
        controller.stop()
    failed = outbox.rows(tenant.store, tenant.name, "failed")
    assert [r["customer_id"] for r in failed] == [target] and report.failed == 1
    assert "SMTPUTF8" in failed[0]["reason"]
    assert not any("jérôme" in rcpt[0] for rcpt, _m in sink.messages)
    titles = [x["title"] for x in _tasks(tenant) if x["customer_id"] == target]
    assert any(title.startswith("Adresse e-mail invalide") for title in titles)


def test_an_address_that_is_not_one_becomes_a_task_not_an_email(tmp_path, smtp_utf8) -> None:
    sink, port, _ = smtp_utf8
    target = _email_customers(tmp_path, port)[0]
    tenant = open_tenant(load_config(_with_overrides(tmp_path / "t", port,
                                                     {target: "a..b@exemple.fr"})), today=TODAY)
    result = tenant.run()
    mine = [i for i in result.planned if i.customer_id == target]
    assert mine and all(i.channel != "email" for i in mine)
    tasks = [x for x in _tasks(tenant) if x["customer_id"] == target]
    assert any("Adresse e-mail invalide (a..b@exemple.fr)" in x["title"] for x in tasks)
    assert not any("a..b" in rcpt[0] for rcpt, _m in sink.messages)


def test_a_planned_reminder_to_a_non_address_is_not_sent(tmp_path, smtp_utf8) -> None:
    """A row planned by an older version (or a hand-edited payload) is re-checked at sending."""
    sink, port, _ = smtp_utf8
    tenant = open_tenant(load_config(smtp_config(tmp_path, port)), today=TODAY)
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    row = next(r for r in outbox.rows(tenant.store, tenant.name, "planned")
               if r["channel"] == "email")
    payload = {**json.loads(row["payload"]), "recipients": ["voir Mme Martin"]}
    with tenant.store.transaction() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.key == row["key"])
                     .values(payload=json.dumps(payload)))
    tenant.run(do_sync=False)
    # The send-time check (issue 15) takes the customer's current addresses instead of the frozen
    # ones, and says so in the row: the non-address never reaches the relay.
    status = {r["key"]: r for r in outbox.rows(tenant.store, tenant.name)}[row["key"]]
    assert status["status"] == "sent" and "recipients now" in (status["reason"] or "")
    assert not any("voir Mme Martin" in " ".join(rcpt) for rcpt, _m in sink.messages)
    assert any(m["Message-ID"] == f"<{row['key']}@atelier-dupuis.fr>" for _r, m in sink.messages)


def test_headers_of_a_built_message_parse_back() -> None:
    from connector.config import SenderConfig
    from connector.delivery.email import build_message
    from connector.delivery.render import Rendered
    sender = SenderConfig(name="Société Générale d'Électricité, Lyon", email="compta@sge.fr")
    message = build_message(Rendered("Échéance – facture F1", "texte", "<p>texte</p>"),
                            sender=sender, recipients=["compta@exämple.fr", "voir Mme X"],
                            key="k" * 32, now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    raw = message.as_bytes()
    assert raw.isascii()  # no UTF-8 local part: a plain RFC 5322 message
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["From"].addresses[0].display_name == sender.name
    assert str(parsed["To"]) == "compta@xn--exmple-cua.fr"
    assert parsed["Subject"] == "Échéance – facture F1"
