"""The channel interface: how one claimed reminder leaves, and how to tell afterwards that it did.

A channel is registered under its name (connector/delivery/channels/__init__.py); its traits
(needs addresses, goes through the freshness gate, leaves a note) are declared once in
connector/rules/channels.py. The dispatcher knows only this interface.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Connection

from connector.adapters.base import BaseAdapter, PushRequest
from connector.clock import Now
from connector.config import Config
from connector.delivery import postal
from connector.delivery.attachments import InvoicePdfs
from connector.delivery.email import Transport
from connector.delivery.messages import template_context
from connector.errors import ConnectorError
from connector.rules.channels import ChannelSpec, spec
from connector.rules.payload import ReminderPayload
from connector.rules.penalties import Movement
from connector.store import outbox
from connector.store.store import Store


@dataclass
class Services:
    """What channels may use: the tenant's config and clock, its source and its mail transport."""

    config: Config
    adapter: BaseAdapter
    transport: Transport
    now: Now
    cache: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Documents made for one row and reused by its sibling (the letter of a level, by email)."""
    store: Store | None = None
    """The tenant's store: letters to post, customers' current addresses."""
    pdfs: InvoicePdfs | None = None
    """The source's invoice PDFs, cached (delivery/attachments.py)."""
    history: Callable[[Sequence[str]], Mapping[str, Sequence[Movement]]] | None = None
    """Each invoice's amount-due changes (the store's balance history), by invoice id."""

    def context(self, payload: ReminderPayload) -> dict[str, Any]:
        """The template context, interest counted over each invoice's balance history; for a
        consumer, from receipt of the formal notices recorded as posted (delivery/postal.py)."""
        history = self.history(payload.invoice_ids) if self.history is not None else None
        if self.store is not None and payload.customer_kind == "individual":
            payload = postal.with_notices(self.store, self.config.tenant, payload.source,
                                          payload)
        return template_context(payload, self.config, history=history)


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row on its way out, with its payload as it leaves (after the gate)."""

    row: Mapping[str, Any]
    payload: ReminderPayload

    @property
    def key(self) -> str:
        return str(self.row["key"])


class Channel(ABC):
    name: ClassVar[str]

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def spec(self) -> ChannelSpec:
        return spec(self.name)

    @abstractmethod
    def deliver(self, delivery: Delivery) -> str | None:
        """Perform the side effect; return the remote id (message id, file, activity id).
        Raise TransientError to retry later, ConnectorError to fail the row."""

    @abstractmethod
    def already_done(self, key: str) -> str | bool | None:
        """After a crash: the remote id when delivered, False when certainly not, None when
        nobody can tell (the row then waits for a person)."""

    def on_sent(self, conn: Connection, delivery: Delivery, remote_id: str | None) -> None:
        """What depends on the delivery, written in the transaction that marks it sent: by
        default the note left in the source after a traced channel."""
        if self.spec.traced and self.services.adapter.capabilities.notes:
            outbox.enqueue_follow_up(conn, delivery.row, "note", self.services.now(),
                                     delivery.payload)

    # -- helpers for channels that push to the source ------------------------------------------
    def found_in_source(self, key: str) -> str | bool | None:
        try:
            return self.services.adapter.find_pushed(key) or False
        except ConnectorError:
            return None

    def push_request(self, delivery: Delivery, body: str, *, summary: str | None = None,
                     html: str | None = None) -> PushRequest:
        payload = delivery.payload
        return PushRequest(
            key=delivery.key, invoice_ids=payload.invoice_ids, customer_id=payload.customer_id,
            level=payload.level, channel=self.name, summary=summary or body.splitlines()[0],
            body=body, due_date=payload.planned_for if payload.planned_for != dt.date.min
            else None, recipients=list(payload.recipients),
            amounts=payload.invoice_amounts(), html=html,
            # several currencies: each invoice's own, as the source knows it
            currency=None if payload.others else payload.currency,
            task=payload.task)
