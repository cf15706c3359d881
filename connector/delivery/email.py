"""Email delivery: SMTP (STARTTLS, SSL or plain) and a file transport writing .eml files.

The Message-ID is derived from the reminder's idempotency key, so a message can always be traced back
to its outbox row, and a receiving system can spot a duplicate if a human ever resends one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Protocol

from connector.config import EmailConfig, SenderConfig
from connector.delivery.render import Rendered
from connector.errors import AuthError, PermanentError, TransientError
from connector.secrets import redact

log = logging.getLogger(__name__)


def message_id(key: str, sender_email: str) -> str:
    domain = sender_email.rsplit("@", 1)[-1] or "relance.invalid"
    return f"<{key}@{domain}>"


def build_message(rendered: Rendered, *, sender: SenderConfig, recipients: list[str], key: str,
                  now: dt.datetime, attachments: Sequence[tuple[str, bytes, str]] = (),
                  level: str | None = None, invoices: Sequence[str] = ()) -> EmailMessage:
    """`level` and `invoices` go into X-Relance-Level / X-Relance-Invoices, so mail filters and
    audits can follow a customer's escalation."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = formataddr((sender.name, sender.email))
    message["To"] = ", ".join(recipients)
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(key, sender.email)
    message["X-Relance-Key"] = key
    if level is not None:
        message["X-Relance-Level"] = level
    if invoices:
        message["X-Relance-Invoices"] = ",".join(invoices)  # no spaces: never folded
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for filename, content, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


class Transport(Protocol):
    def send(self, message: EmailMessage, bcc: list[str] | None = None) -> str: ...

    def already_sent(self, key: str) -> bool | None:
        """True/False when the transport can tell, None when it cannot (plain SMTP)."""


class FileTransport:
    """Writes each message as <key>.eml in a directory: the demo default, and a dry 'print room'."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.eml"

    def send(self, message: EmailMessage, bcc: list[str] | None = None) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        key = str(message["X-Relance-Key"])
        final = self.path(key)
        partial = final.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, final)  # atomic: a crash leaves either nothing or the whole file
        return str(final)

    def already_sent(self, key: str) -> bool | None:
        return self.path(key).exists()


class SmtpTransport:
    def __init__(self, config: EmailConfig, password: str | None) -> None:
        self.config = config
        self.password = password

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context(cafile=cfg.ca_file)  # verifies host and chain
        if cfg.security == "ssl":
            return smtplib.SMTP_SSL(cfg.host or "", cfg.port or 465, timeout=cfg.timeout,
                                    context=context)
        client = smtplib.SMTP(cfg.host or "", cfg.port or (587 if cfg.security == "starttls" else 25),
                              timeout=cfg.timeout)
        if cfg.security == "starttls":
            client.starttls(context=context)
        return client

    def send(self, message: EmailMessage, bcc: list[str] | None = None) -> str:
        recipients = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
        recipients += bcc or []
        try:
            with self._connect() as client:
                if self.config.username:
                    client.login(self.config.username, self.password or "")
                refused = client.send_message(message, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError:
            raise AuthError(f"the SMTP server {self.config.host} refused the login "
                            f"{self.config.username!r}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"every recipient was refused: {', '.join(exc.recipients)}") \
                from None
        except smtplib.SMTPResponseException as exc:
            text = redact(exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error))
            error = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
            raise error(f"SMTP {self.config.host} answered {exc.smtp_code}: {text}") from None
        except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as exc:
            raise TransientError(f"SMTP {self.config.host}:{self.config.port}: "
                                 f"{type(exc).__name__}: {redact(str(exc))}") from None
        if refused:
            # Delivered to the others: sending again would duplicate it for them.
            log.warning("SMTP %s refused some recipients of %s: %s", self.config.host,
                        message["Message-ID"], ", ".join(refused))
        return str(message["Message-ID"])

    def already_sent(self, key: str) -> bool | None:
        return None  # SMTP leaves no trace we can query: a crash mid-send is `uncertain`
