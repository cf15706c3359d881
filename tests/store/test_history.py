"""History read back from the outbox: when each level went out, and what counts for the gap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import update

from connector.rules.engine import DueItem, ReminderIntent
from connector.store import outbox
from connector.store import tables as t
from connector.store.store import Store
from tests.helpers import NOW

D = dt.date


def intent(key: str, item: str, level: str, day: dt.date, channel: str = "email",
           customer: str = "C1") -> ReminderIntent:
    due = DueItem(item, item, f"F-{item}", D(2026, 9, 1), D(2026, 10, 1), "EUR", 100, 100, 30,
                  level=level)
    return ReminderIntent(key=key, tenant="t", source="demo", customer_id=customer,
                          customer_name="Client", customer_kind="company", language="fr",
                          level=level, channel=channel, template="first", recipients=("a@b.fr",),
                          currency="EUR", items=(due,), credit_notes=(), planned_for=day)


def set_status(store: Store, key: str, status: str, sent_at: dt.datetime | None = None) -> None:
    with store.transaction() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.key == key).values(status=status,
                                                                           sent_at=sent_at))


def test_level_dates_and_gap_count_only_what_went_or_may_have_gone_out(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    outbox.enqueue(store, [intent("k1", "I1", "first", D(2026, 10, 2)),
                           intent("k2", "I2", "first", D(2026, 10, 20), customer="C2"),
                           intent("k3", "I3", "first", D(2026, 10, 21), customer="C3"),
                           intent("k4", "I1", "second", D(2026, 10, 9))], now=NOW)
    # I1 "second" was planned on Friday evening and left on Monday morning (Paris)
    set_status(store, "k4", "sent", dt.datetime(2026, 10, 12, 7, 30, tzinfo=dt.timezone.utc))
    set_status(store, "k2", "failed")  # never reached C2
    set_status(store, "k3", "skipped")  # paid before sending
    history = outbox.history(store, "t", "demo", "Europe/Paris")
    assert history.dates["I1"] == {"first": D(2026, 10, 2), "second": D(2026, 10, 9)}
    # a failed level reached nobody: it is due again (issue 15, case 5), a skipped one stays used
    assert "I2" not in history.levels and history.levels["I3"] == {"first"}
    assert history.last_contact == {"C1": D(2026, 10, 12)}  # the day it left, in Paris
