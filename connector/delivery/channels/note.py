"""`note`: the trace left in the source after an email went out (what, to whom, how much)."""

from __future__ import annotations

from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.messages import note_text
from connector.errors import PermanentError


class NoteChannel(Channel):
    name = "note"

    def deliver(self, delivery: Delivery) -> str | None:
        adapter = self.services.adapter
        if not adapter.capabilities.notes:
            raise PermanentError(f"the {adapter.kind} source does not take notes")
        return adapter.push_note(self.push_request(
            delivery, note_text(delivery.payload, self.services.config)))

    def already_done(self, key: str) -> str | bool | None:
        return self.found_in_source(key)
