"""`source_email`: the accounting system mails our rendered template to the customer's contacts
itself (Odoo: a message posted on the invoice to those partners, the invoice's PDF attached by
Odoo). The message stays in the source's history: no separate note is left."""

from __future__ import annotations

from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.render import html_fragment, render
from connector.errors import PermanentError


class SourceEmailChannel(Channel):
    name = "source_email"

    def deliver(self, delivery: Delivery) -> str | None:
        adapter, payload = self.services.adapter, delivery.payload
        if not adapter.capabilities.send_via_source:
            raise PermanentError(f"the {adapter.kind} source cannot send e-mails itself: "
                                 f"use channel \"email\"")
        rendered = render(payload.template, self.services.context(payload),
                          payload.language or "fr")
        return adapter.send_via_source(self.push_request(
            delivery, rendered.text, summary=rendered.subject,
            html=html_fragment(rendered.text)))

    def already_done(self, key: str) -> str | bool | None:
        return self.found_in_source(key)
