"""`task`: a call or a letter for a person to make, kept in relance and, where the source takes
activities, created there too (assigned to a person)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from connector.delivery.channels.base import Channel, Delivery
from connector.delivery.messages import task_text
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
        row, payload = delivery.row, delivery.payload
        body = task_text(payload, self.services.config)
        due = payload.planned_for if payload.planned_for != dt.date.min else None
        try:
            with conn.begin_nested():
                conn.execute(t.tasks.insert().values(
                    key=row["key"], tenant=row["tenant"], source=row["source"],
                    customer_id=row["customer_id"], title=body.splitlines()[0], body=body,
                    due_date=due, status="open", remote_id=remote_id,
                    created_at=self.services.now()))
        except IntegrityError:
            pass  # already recorded
