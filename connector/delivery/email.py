"""Email delivery: SMTP (STARTTLS, SSL or plain) and a file transport writing .eml files.

The Message-ID is derived from the reminder's idempotency key, so a message can always be traced back
to its outbox row, and a receiving system can spot a duplicate if a human ever resends one.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import smtplib
import ssl
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

from connector import emails
from connector.config import EmailConfig, SenderConfig
from connector.delivery.mime import POLICY, POLICY_UTF8, as_bytes
from connector.delivery.render import Rendered
from connector.emails import InvalidAddress
from connector.errors import AuthError, DeliveryUncertain, PermanentError, TransientError
from connector.secrets import redact

log = logging.getLogger(__name__)


def message_id(key: str, sender_email: str) -> str:
    domain = sender_email.rsplit("@", 1)[-1] or "relance.invalid"
    return f"<{key}@{domain}>"


class AddressError(PermanentError):
    """Nobody of a message can be written to: the addresses are not addresses, or need SMTPUTF8
    and the server does not offer it. A person has to fix the address (the dispatcher leaves a
    task "adresse e-mail invalide")."""

    def __init__(self, message: str, refused: list[InvalidAddress]) -> None:
        super().__init__(message)
        self.refused = refused


def usable(values: list[str]) -> tuple[list[emails.Address], list[InvalidAddress]]:
    """The recipients that may be written to, and the others with the reason."""
    good: list[emails.Address] = []
    bad: list[InvalidAddress] = []
    for value in values:
        try:
            good.append(emails.check(value))
        except InvalidAddress as exc:
            bad.append(exc)
    return good, bad


def build_message(rendered: Rendered, *, sender: SenderConfig, recipients: list[str], key: str,
                  now: dt.datetime, attachments: Sequence[tuple[str, bytes, str]] = (),
                  level: str | None = None, invoices: Sequence[str] = ()) -> EmailMessage:
    """The message; headers through the email package's header registry, so that an accented
    display name is RFC 2047-encoded and an address never is. IDN domains go in punycode; a UTF-8
    local part makes an SMTPUTF8 message (raw UTF-8 headers), which only such a server accepts.
    Raises AddressError when no recipient is an address. `level` and `invoices` go into
    X-Relance-Level / X-Relance-Invoices, so mail filters and audits can follow a customer's
    escalation."""
    good, bad = usable(recipients)
    if not good:
        raise AddressError("adresse e-mail invalide : " + "; ".join(str(b) for b in bad), bad)
    utf8 = any(a.needs_smtputf8 for a in good)
    message = EmailMessage(policy=POLICY_UTF8 if utf8 else POLICY)
    message["Subject"] = rendered.subject
    message["From"] = _address(sender.name, sender.email)
    message["To"] = ", ".join(a.wire for a in good)
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


@functools.lru_cache(maxsize=64)
def _address(name: str, email: str) -> Address:
    """The sender as a header value, made once per run (an `Address` parses its addr_spec)."""
    return Address(display_name=name, addr_spec=email)


class Transport(Protocol):
    def send(self, message: EmailMessage, bcc: list[str] | None = None) -> str: ...

    def already_sent(self, key: str) -> bool | None:
        """True/False when the transport can tell, None when it cannot (plain SMTP)."""

    def check(self) -> list[str]:
        """What `relance check` reports: reach the transport without sending anything."""


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
        partial.write_bytes(as_bytes(message))
        os.replace(partial, final)  # atomic: a crash leaves either nothing or the whole file
        return str(final)

    def check(self) -> list[str]:
        """The directory exists or can be made, and can be written to."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / ".relance-check"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise PermanentError(f"cannot write emails to {self.directory}: {exc.strerror}") \
                from None
        return [f"emails are written as .eml files to {self.directory} (transport = \"file\")"]

    def already_sent(self, key: str) -> bool | None:
        return self.path(key).exists()


class _DotTracking:
    """Remembers whether the final "." of DATA went out: from then on the relay may have the
    message, and any failure (timeout, reset, an odd QUIT) leaves its delivery in doubt."""

    dot_sent = False

    def send(self, s: Any) -> None:
        super().send(s)  # type: ignore[misc]
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.dot_sent = True


class _Smtp(_DotTracking, smtplib.SMTP):
    pass


class _SmtpSsl(_DotTracking, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """SMTP with one rule: the relay's 250 after the final dot is success, whatever follows.

    Before the dot, a failure is transient (the relay cannot have the message: retry). After it,
    an error answer is the relay's verdict; no answer at all (timeout, reset) is `uncertain`, never
    retried blindly. QUIT is a courtesy: its answer (421, a reset) changes nothing.
    """

    def __init__(self, config: EmailConfig, password: str | None) -> None:
        self.config = config
        self.password = password

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context(cafile=cfg.ca_file)  # verifies host and chain
        if cfg.security == "ssl":
            return _SmtpSsl(cfg.host or "", cfg.port or 465, timeout=cfg.timeout, context=context)
        client = _Smtp(cfg.host or "", cfg.port or (587 if cfg.security == "starttls" else 25),
                       timeout=cfg.timeout)
        if cfg.security == "starttls":
            client.starttls(context=context)
        return client

    def send(self, message: EmailMessage, bcc: list[str] | None = None) -> str:
        recipients = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
        recipients += bcc or []
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            if self.config.username:
                client.login(self.config.username, self.password or "")
            refused = client.send_message(message, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError:
            raise AuthError(f"the SMTP server {self.config.host} refused the login "
                            f"{self.config.username!r}") from None
        except smtplib.SMTPNotSupportedError:
            raise AddressError(f"the SMTP server {self.config.host} does not offer SMTPUTF8: it "
                               f"cannot take the UTF-8 address(es) {message['To']}",
                               [InvalidAddress(str(message["To"]), "needs SMTPUTF8")]) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"every recipient was refused: {', '.join(exc.recipients)}") \
                from None
        except smtplib.SMTPResponseException as exc:
            text = redact(exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error))
            error = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
            raise error(f"SMTP {self.config.host} answered {exc.smtp_code}: {text}") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            what = f"{type(exc).__name__}: {redact(str(exc))}"
            if getattr(client, "dot_sent", False):
                raise DeliveryUncertain(
                    f"SMTP {self.config.host}:{self.config.port} took the whole message but its "
                    f"answer was lost ({what}); check the relay's log or the sent items, then "
                    "`relance outbox resolve KEY --sent|--not-sent`") from None
            raise TransientError(f"SMTP {self.config.host}:{self.config.port}: {what}") from None
        finally:
            if client is not None:
                _quit_quietly(client)
        if refused:
            # Delivered to the others: sending again would duplicate it for them.
            log.warning("SMTP %s refused some recipients of %s: %s", self.config.host,
                        message["Message-ID"], ", ".join(refused))
        return str(message["Message-ID"])

    def check(self) -> list[str]:
        """Open the connection as a send would (EHLO, STARTTLS or TLS, AUTH) and QUIT: nothing
        is sent. The steps that passed; raises AuthError / TransientError / PermanentError with
        the reason for the first that fails."""
        cfg = self.config
        port = cfg.port or {"ssl": 465, "starttls": 587}.get(cfg.security, 25)
        where = f"{cfg.host}:{port}"
        steps: list[str] = []
        try:
            with self._connect() as client:
                steps.append(f"SMTP {where}: connected"
                             + (f" ({cfg.security.upper()}, certificate verified)"
                                if cfg.security != "none" else " (no encryption)"))
                client.ehlo_or_helo_if_needed()
                if cfg.username:
                    client.login(cfg.username, self.password or "")
                    steps.append(f"SMTP {where}: login {cfg.username!r} accepted")
                elif client.has_extn("auth"):
                    steps.append(f"SMTP {where}: the server offers AUTH but no username is set")
                steps.append(f"SMTP {where}: SMTPUTF8 " + ("offered" if client.has_extn("smtputf8")
                             else "not offered (UTF-8 addresses will be refused)"))
        except smtplib.SMTPAuthenticationError:
            raise AuthError(f"SMTP {where} refused the login {cfg.username!r}: check the "
                            f"password (`relance secret set smtp`)") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"SMTP {where}: {redact(str(exc))}") from None
        except smtplib.SMTPResponseException as exc:
            text = redact(exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error))
            raise PermanentError(f"SMTP {where} answered {exc.smtp_code}: {text}") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TransientError(f"SMTP {where} cannot be reached: {type(exc).__name__}: "
                                 f"{redact(str(exc))}") from None
        return steps

    def already_sent(self, key: str) -> bool | None:
        return None  # SMTP leaves no trace we can query: a crash mid-send is `uncertain`


def _quit_quietly(client: smtplib.SMTP) -> None:
    """Say goodbye; the answer (221, 421, nothing) does not change what was delivered."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError) as exc:
        log.debug("SMTP QUIT: %s", type(exc).__name__)
        client.close()
