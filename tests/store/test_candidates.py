"""The SQL narrowing of plan never changes what evaluate() decides, only how fast."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.store import outbox
from tests.helpers import write_config


def test_narrowed_plan_equals_full_plan_day_after_day(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    day = dt.date(2026, 11, 2)
    open_tenant(config, today=day).sync()
    seen_narrowed = 0
    for _ in range(25):
        tenant = open_tenant(config, today=day)
        narrowed = tenant.plan()
        full = tenant.plan(narrow=False)
        assert [i.key for i in narrowed] == [i.key for i in full]
        seen_narrowed += len(narrowed)
        outbox.enqueue(tenant.store, narrowed, now=tenant.clock.now())
        day += dt.timedelta(days=1)
    assert seen_narrowed > 20
