"""`email`: the rendered template sent by our own transport (SMTP, or .eml files).

Recipients are re-checked right before sending (connector/emails.py): the message goes to the
valid ones; each value that is not an address leaves a task "adresse e-mail invalide".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from connector.delivery import postal
from connector.delivery.attachments import for_email
from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.channels.letter import formal_notice
from connector.delivery.channels.task import record_task
from connector.delivery.email import build_message, usable
from connector.delivery.render import render
from connector.emails import InvalidAddress
from connector.rules.payload import ReminderPayload
from connector.store import letters as letter_store


class EmailChannel(Channel):
    name = "email"

    def deliver(self, delivery: Delivery) -> str | None:
        services, payload = self.services, delivery.payload
        context = services.context(payload)
        if "letter" in payload.level_channels and services.store is not None:
            payload = postal.with_address(services.store, services.config,
                                          str(delivery.row["source"]), payload)
            context = services.context(payload)
            # the registered letter is said to be sent once a person recorded its posting
            posted = letter_store.posted(services.store, services.config.tenant,
                                         payload.customer_id, payload.level)
            context.update(letter_posted=posted is not None,
                           letter_posted_on=posted.posted_on if posted else None,
                           letter_tracking=posted.tracking if posted else None)
        rendered = render(payload.template, context, payload.language or "fr",
                          services.config.template_dirs)
        attachments = []
        if "letter" in payload.level_channels:
            # the formal notice also goes by email, as a PDF (the same text as the paper one)
            attachments.append((f"mise-en-demeure-{payload.customer_id}.pdf",
                                formal_notice(services, payload), "application/pdf"))
        attachments += for_email(payload.attach, context, payload.language or "fr",
                                 services.pdfs)
        message = build_message(rendered, sender=services.config.sender,
                                recipients=list(payload.recipients), key=delivery.key,
                                now=services.now(), attachments=attachments,
                                level=payload.level,
                                invoices=[i.number for i in payload.all_items])
        good_cc, bad_cc = usable(list(payload.cc))
        self.refused[delivery.key] = usable(list(payload.recipients))[1] + bad_cc
        cc = [a.wire for a in good_cc]
        if cc:
            message["Cc"] = ", ".join(cc)
        # the transport's `bcc` is the extra envelope recipients: the Cc header names them
        bcc = ([services.config.sender.bcc] if services.config.sender.bcc else []) + cc
        return services.transport.send(message, bcc=bcc or None)

    @property
    def refused(self) -> dict[str, list[InvalidAddress]]:
        """Values left out of the message being sent, for its on_sent to report."""
        if not hasattr(self, "_refused"):
            self._refused: dict[str, list[InvalidAddress]] = {}
        return self._refused

    def on_sent(self, conn: Connection, delivery: Delivery, remote_id: str | None) -> None:
        super().on_sent(conn, delivery, remote_id)
        refused = self.refused.pop(delivery.key, [])
        if refused:  # sent to the others; the wrong ones still need a person
            address_task(conn, delivery, refused, self.services.now())

    def already_done(self, key: str) -> str | bool | None:
        sent = self.services.transport.already_sent(key)
        return None if sent is None else (key if sent else False)


def address_task(conn: Connection, delivery: Delivery, refused: list[InvalidAddress],
                 now: dt.datetime) -> None:
    """A local task "adresse e-mail invalide", once per reminder, naming each refused value."""
    record_task(conn, delivery.row, delivery.payload,
                address_text(delivery.payload, delivery.key, refused), now=now,
                key=f"{delivery.key}:address")


def address_text(payload: ReminderPayload, key: str, refused: list[InvalidAddress]) -> str:
    return "\n".join([f"Adresse e-mail invalide : {payload.customer_name}"]
                     + [f"- {bad.value} : {bad.reason}" for bad in refused]
                     + [f"[relance:{key}]"])
