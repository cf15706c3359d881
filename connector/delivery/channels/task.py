"""`task`: a call or a letter for a person to make, kept in relance and, where the source takes
activities, created there too (assigned to a person)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.messages import task_text
from connector.rules.payload import ReminderPayload
from connector.store import tables as t


class TaskChannel(Channel):
    name = "task"

    def deliver(self, delivery: Delivery) -> str | None:
        adapter = self.services.adapter
        if not adapter.capabilities.tasks:
            return None  # a local task only, written with the `sent` mark
        return adapter.push_task(self.push_request(
            delivery, task_text(delivery.payload, self.services.config)))

    def already_done(self, key: str) -> str | bool | None:
        if not self.services.adapter.capabilities.tasks:
            return False  # local-only task: written in the same transaction as `sent`
        return self.found_in_source(key)

    def on_sent(self, conn: Connection, delivery: Delivery, remote_id: str | None) -> None:
        record_task(conn, delivery.row, delivery.payload,
                    task_text(delivery.payload, self.services.config),
                    now=self.services.now(), remote_id=remote_id,
                    owner=self.services.config.task_owner(delivery.row["customer_id"]))


def record_task(conn: Connection, row: Mapping[str, Any], payload: ReminderPayload, body: str,
                *, now: dt.datetime, remote_id: str | None = None, key: str | None = None,
                owner: str | None = None) -> None:
    """A local task row (its first line is the title), once per key."""
    due = payload.planned_for if payload.planned_for != dt.date.min else None
    try:
        with conn.begin_nested():
            conn.execute(t.tasks.insert().values(
                key=key or row["key"], tenant=row["tenant"], source=row["source"],
                customer_id=row["customer_id"], title=body.splitlines()[0], body=body,
                due_date=due, status="open", remote_id=remote_id, created_at=now,
                owner=owner))
    except IntegrityError:
        pass  # already recorded
