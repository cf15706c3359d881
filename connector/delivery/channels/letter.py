"""`letter`: the formal notice as a PDF in `<base_dir>/letters/<key>.pdf`, for registered mail."""

from __future__ import annotations

import json

from connector.delivery.channels.base import Channel, Delivery, Services
from connector.delivery.letter import LetterStore, letter_pdf
from connector.rules.payload import ReminderPayload


def formal_notice(services: Services, payload: ReminderPayload) -> bytes:
    """The formal notice for this payload. The letter row and the email row of one level share
    their context, so the PDF is made once per run (the cache keeps only the last one)."""
    language = payload.language or "fr"
    context = services.context(payload)
    cache_key = json.dumps([language, context], default=str, sort_keys=True)
    if cache_key not in services.cache:
        services.cache.clear()  # only the sibling row needs it: keep memory flat
        services.cache[cache_key] = letter_pdf(
            context, language, title="Mise en demeure" if language != "en" else "Formal notice")
    return services.cache[cache_key]


class LetterChannel(Channel):
    name = "letter"

    @property
    def letters(self) -> LetterStore:
        return LetterStore(self.services.config.letters_dir)

    def deliver(self, delivery: Delivery) -> str | None:
        return self.letters.write(delivery.key, formal_notice(self.services, delivery.payload))

    def already_done(self, key: str) -> str | bool | None:
        # the file is written atomically under the key's name: present means written
        return self.letters.path(key).as_posix() if self.letters.exists(key) else False
