"""Delivery to a real SMTP server (aiosmtpd, in process): recipients, words, amounts, Message-ID."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from connector.app.tenant import open_tenant
from connector.commands.views import money
from connector.config import load_config
from connector.store import outbox
from tests.helpers import write_config

TODAY = dt.date(2026, 11, 27)
PASSWORD = "smtp-pass-7f3a9c1e55"


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def smtp_config(tmp_path: Path, port: int, username: str | None = None) -> Path:
    login = 'username = "relance@atelier-dupuis.fr"\nsecret_env = "TEST_SMTP_PW"\n' if username else ""
    path = write_config(tmp_path)
    text = path.read_text().replace('transport = "file"\ndirectory = "outbox"\n',
                                    f'transport = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
                                    f'security = "none"\n{login}'
                                    + ("allow_plaintext_auth = true\n" if username else ""))
    path.write_text(text)
    return path


def test_reminders_arrive_with_recipients_subject_amounts_and_message_id(tmp_path, smtp) -> None:
    sink, port = smtp
    tenant = open_tenant(load_config(smtp_config(tmp_path, port)), today=TODAY)
    result = tenant.run()
    emails_planned = [i for i in result.planned if i.channel == "email"]
    assert len(sink.messages) == len(emails_planned) == result.delivery.sent - sum(
        1 for i in result.planned if i.channel == "task")
    by_id = {m["Message-ID"]: (rcpt, m) for rcpt, m in sink.messages}
    for intent in emails_planned:
        rcpt, message = by_id[f"<{intent.key}@atelier-dupuis.fr>"]
        assert rcpt == list(intent.recipients)
        assert message["Reply-To"] == "relances@atelier-dupuis.fr"
        body = message.get_body(("plain",)).get_content()
        for item in intent.items:
            assert item.number in body
        assert money(intent.amount_to_pay, intent.currency, intent.language) in body
        assert "FR76 3000 6000 0112 3456 7890 189" in body
        assert message.get_body(("html",)) is not None
        assert message["X-Relance-Level"] == intent.level  # mail filters follow the escalation
        assert message["X-Relance-Invoices"].strip() == ",".join(i.number for i in intent.items)
    french = next(m for _, m in sink.messages if "Bristol" not in m["To"])
    assert "Montant à régler" in french.get_body(("plain",)).get_content()


def test_english_customers_get_english_words(tmp_path, smtp) -> None:
    sink, port = smtp
    tenant = open_tenant(load_config(smtp_config(tmp_path, port)), today=TODAY)
    result = tenant.run()
    english = [i for i in result.planned if i.language == "en" and i.channel == "email"]
    assert english
    keys = {f"<{i.key}@atelier-dupuis.fr>" for i in english}
    bodies = [m.get_body(("plain",)).get_content() for _, m in sink.messages
              if m["Message-ID"] in keys]
    assert bodies and all("Amount to pay" in b for b in bodies)


def test_login_uses_the_secret_and_never_logs_it(tmp_path, smtp, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sink, port = smtp
    monkeypatch.setenv("TEST_SMTP_PW", PASSWORD)
    tenant = open_tenant(load_config(smtp_config(tmp_path, port, username="x")), today=TODAY)
    assert tenant.run().delivery.failed == 0
    assert sink.messages
    assert PASSWORD not in caplog.text


def test_wrong_password_fails_clearly(tmp_path, smtp, monkeypatch) -> None:
    sink, port = smtp
    monkeypatch.setenv("TEST_SMTP_PW", "wrong-password-123")
    tenant = open_tenant(load_config(smtp_config(tmp_path, port, username="x")), today=TODAY)
    report = tenant.run().delivery
    assert report.failed > 0 and not sink.messages
    reasons = [r["reason"] for r in outbox.rows(tenant.store, tenant.name, "failed")]
    assert all("refused the login" in r for r in reasons)
    assert not any("wrong-password-123" in r for r in reasons)


def test_server_down_reschedules(tmp_path) -> None:
    tenant = open_tenant(load_config(smtp_config(tmp_path, 1)), today=TODAY)
    report = tenant.run().delivery
    assert report.sent == sum(1 for d in report.details if d[1] == "sent")
    assert report.retried > 0 and report.failed == 0
    assert outbox.counts(tenant.store, tenant.name).get("planned", 0) > 0


@pytest.fixture
def tls_smtp(tmp_path):
    """A real SMTP server speaking STARTTLS and another one speaking implicit TLS, with a
    certificate for 127.0.0.1 issued by a throwaway CA the client is told to trust."""
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    sink = Sink()
    starttls_port, ssl_port = free_port(), free_port()
    starttls = Controller(sink, hostname="127.0.0.1", port=starttls_port,
                          tls_context=server_context, require_starttls=True)
    implicit = Controller(sink, hostname="127.0.0.1", port=ssl_port, ssl_context=server_context,
                          server_hostname="127.0.0.1")
    starttls.start()
    implicit.start()
    try:
        yield sink, starttls_port, ssl_port, ca_file
    finally:
        starttls.stop()
        implicit.stop()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_delivery_verifies_the_server(tmp_path, tls_smtp, security) -> None:
    sink, starttls_port, ssl_port, ca_file = tls_smtp
    port = starttls_port if security == "starttls" else ssl_port
    path = smtp_config(tmp_path, port)
    path.write_text(path.read_text().replace('security = "none"',
                                             f'security = "{security}"\nca_file = "{ca_file}"'))
    tenant = open_tenant(load_config(path), today=TODAY)
    report = tenant.run().delivery
    assert report.failed == 0 and report.retried == 0
    emails = [r for r in outbox.rows(tenant.store, tenant.name, "sent", limit=1000)
              if r["channel"] == "email"]
    assert emails and len(sink.messages) == len(emails)


def test_tls_refuses_an_untrusted_server(tmp_path, tls_smtp) -> None:
    sink, starttls_port, _, _ = tls_smtp
    path = smtp_config(tmp_path, starttls_port)
    path.write_text(path.read_text().replace('security = "none"', 'security = "starttls"'))
    tenant = open_tenant(load_config(path), today=TODAY)
    report = tenant.run().delivery
    assert not sink.messages and report.retried > 0  # not trusted: nothing sent, retried later
    waiting = [r for r in outbox.rows(tenant.store, tenant.name, "planned", limit=1000)
               if r["channel"] == "email"]
    tried = [r for r in waiting if r["reason"]]
    assert tried and all("CERTIFICATE_VERIFY_FAILED" in r["reason"] for r in tried)
    # three failures in a row and the run stops trying that relay: the rest waits, planned
    assert "email" in report.stopped and len(tried) == 3 < len(waiting)
