"""`letter`: the formal notice as a PDF in `<base_dir>/letters/YYYY-MM-DD_<customer>_<level>.pdf`,
to post by registered mail (delivery/postal.py: the workflow, store/letters.py: key → file)."""

from __future__ import annotations

import json

from sqlalchemy import Connection

from connector.delivery import postal
from connector.delivery.channels.base import Channel, Delivery, Services
from connector.delivery.letter import LetterStore, letter_pdf
from connector.rules.payload import ReminderPayload
from connector.store.store import Store


def formal_notice(services: Services, payload: ReminderPayload) -> bytes:
    """The formal notice for this payload. The letter row and the email row of one level share
    their context, so the PDF is made once per run (the cache keeps only the last one)."""
    language = payload.language or "fr"
    context = services.context(payload)
    cache_key = json.dumps([language, context], default=str, sort_keys=True)
    if cache_key not in services.cache:
        services.cache.clear()  # only the sibling row needs it: keep memory flat
        services.cache[cache_key] = letter_pdf(
            context, language, title="Mise en demeure" if language != "en" else "Formal notice",
            extra_dirs=services.config.template_dirs)
    return services.cache[cache_key]


class LetterChannel(Channel):
    name = "letter"

    @property
    def letters(self) -> LetterStore:
        return LetterStore(self.services.config.letters_dir)

    @property
    def store(self) -> Store:
        assert self.services.store is not None, "the letter channel needs the store"
        return self.services.store

    def deliver(self, delivery: Delivery) -> str | None:
        name = postal.file_name(self.store, delivery.key, delivery.payload)
        return self.letters.write(name, formal_notice(self.services, delivery.payload))

    def already_done(self, key: str) -> str | bool | None:
        # files are written atomically: present means written
        return postal.already_written(self.store, self.letters.directory, key) or False

    def on_sent(self, conn: Connection, delivery: Delivery, remote_id: str | None) -> None:
        if remote_id:  # to post, with a task for whoever posts it
            postal.letter_written(conn, delivery.row, delivery.payload, remote_id,
                                  self.services.config.language, self.services.now())
