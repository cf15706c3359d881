"""`email`: the rendered template sent by our own transport (SMTP, or .eml files)."""

from __future__ import annotations

from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.channels.letter import formal_notice
from connector.delivery.email import build_message
from connector.delivery.render import render


class EmailChannel(Channel):
    name = "email"

    def deliver(self, delivery: Delivery) -> str | None:
        services, payload = self.services, delivery.payload
        rendered = render(payload.template, services.context(payload),
                          payload.language or "fr")
        attachments = []
        if "letter" in payload.level_channels:
            # the formal notice also goes by email, as a PDF (the same text as the paper one)
            attachments.append((f"mise-en-demeure-{payload.customer_id}.pdf",
                                formal_notice(services, payload), "application/pdf"))
        message = build_message(rendered, sender=services.config.sender,
                                recipients=list(payload.recipients), key=delivery.key,
                                now=services.now(), attachments=attachments,
                                level=payload.level,
                                invoices=[i.number for i in payload.items])
        if payload.cc:
            message["Cc"] = ", ".join(payload.cc)
        # the transport's `bcc` is the extra envelope recipients: the Cc header names them
        bcc = ([services.config.sender.bcc] if services.config.sender.bcc else []) \
            + list(payload.cc)
        return services.transport.send(message, bcc=bcc or None)

    def already_done(self, key: str) -> str | bool | None:
        sent = self.services.transport.already_sent(key)
        return None if sent is None else (key if sent else False)
