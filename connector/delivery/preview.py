"""A message as it will go, built without sending it: for `run --dry-run` and `relance review`.

The same pieces as the dispatcher's delivery (template context, render, the formal notice's PDF,
build_message with the X-Relance headers), so what a person looks at is what the customer gets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from connector.config import Config
from connector.delivery.email import build_message
from connector.delivery.letter import letter_pdf, letter_text
from connector.delivery.messages import task_text, template_context
from connector.delivery.render import render
from connector.rules.engine import ReminderIntent
from connector.rules.payload import ReminderPayload


@dataclass
class Preview:
    """One outbox message made visible: headers, text and HTML parts, attachments."""

    key: str
    channel: str
    subject: str
    text: str
    html: str = ""
    attachments: list[tuple[str, int]] = field(default_factory=list)  # file name, bytes
    raw: bytes = b""
    """The .eml (email), the PDF (letter) or the task text, as written by the preview."""
    suffix: str = ".txt"


def compose(payload: ReminderPayload, config: Config, *, key: str, channel: str,
            now: dt.datetime) -> Preview:
    """Render one message exactly as delivery would (connector/delivery/channels/)."""
    language = payload.language or "fr"
    context = template_context(payload, config)
    if channel == "email":
        rendered = render(payload.template, context, language)
        attachments: list[tuple[str, bytes, str]] = []
        if "letter" in payload.level_channels:
            attachments.append((f"mise-en-demeure-{payload.customer_id}.pdf",
                                _pdf(context, language), "application/pdf"))
        message: EmailMessage = build_message(
            rendered, sender=config.sender, recipients=list(payload.recipients), key=key,
            now=now, attachments=attachments, level=payload.level,
            invoices=[i.number for i in payload.items])
        if payload.cc:
            message["Cc"] = ", ".join(payload.cc)
        return Preview(key, channel, rendered.subject, rendered.text, rendered.html,
                       [(name, len(content)) for name, content, _mime in attachments],
                       message.as_bytes(), ".eml")
    if channel == "letter":
        pdf = _pdf(context, language)
        return Preview(key, channel, "Mise en demeure" if language != "en" else "Formal notice",
                       letter_text(context, language), "", [(f"{key}.pdf", len(pdf))], pdf, ".pdf")
    text = task_text(payload, config)
    return Preview(key, channel, text.splitlines()[0], text, raw=text.encode(), suffix=".txt")


def _pdf(context: dict[str, Any], language: str) -> bytes:
    return letter_pdf(context, language,
                      title="Mise en demeure" if language != "en" else "Formal notice")


def write_previews(intents: Iterable[ReminderIntent], config: Config, folder: Path, *,
                   now: dt.datetime) -> list[Path]:
    """Every message a run would send, one file each (<key>.eml, .pdf or .txt) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for intent in intents:
        preview = compose(intent, config, key=intent.key, channel=intent.channel, now=now)
        path = folder / f"{intent.key}-{intent.channel}{preview.suffix}"
        path.write_bytes(preview.raw)
        written.append(path)
    return written
