"""`email`: the rendered template sent by our own transport (SMTP, or .eml files)."""

from __future__ import annotations

from connector.delivery import postal
from connector.delivery.attachments import for_email
from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.channels.letter import formal_notice
from connector.delivery.email import build_message
from connector.delivery.render import render
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
        rendered = render(payload.template, context, payload.language or "fr")
        attachments = []
        if "letter" in payload.level_channels:
            # the formal notice also goes by email, as a PDF (the same text as the paper one)
            attachments.append((f"mise-en-demeure-{payload.customer_id}.pdf",
                                formal_notice(services, payload), "application/pdf"))
        attachments += for_email(payload.attach, context, payload.language or "fr",
                                 services.pdfs)
        message = build_message(rendered, sender=services.config.sender,
                                recipients=list(payload.recipients), key=delivery.key,
                                now=services.now(), attachments=attachments)
        if payload.cc:
            message["Cc"] = ", ".join(payload.cc)
        # the transport's `bcc` is the extra envelope recipients: the Cc header names them
        bcc = ([services.config.sender.bcc] if services.config.sender.bcc else []) \
            + list(payload.cc)
        return services.transport.send(message, bcc=bcc or None)

    def already_done(self, key: str) -> str | bool | None:
        sent = self.services.transport.already_sent(key)
        return None if sent is None else (key if sent else False)
