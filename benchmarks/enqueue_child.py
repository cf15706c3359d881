"""Measured child: plan, then enqueue what was planned; prints the enqueue's own CPU seconds.

    python benchmarks/enqueue_child.py CONFIG TODAY ROWS_JSON

The first run of a tenant plans then queues every reminder due (`Tenant.run` does both); the
enqueue is timed alone (`time.process_time`, in this process) so the figure is the target's, and
the rows it wrote are dumped to ROWS_JSON for the floor (floors.py enqueue inserts the same ones).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.app.tenant import open_tenant  # noqa: E402
from connector.config import load_config  # noqa: E402
from connector.store import outbox  # noqa: E402

OUTBOX = ("key", "tenant", "source", "customer_id", "channel", "level", "status", "payload",
          "planned_for", "next_attempt_at", "created_at", "updated_at")
ITEMS = ("outbox_key", "tenant", "source", "item_id", "invoice_id", "level", "channel",
         "amount_minor", "currency")


def main() -> int:
    config_path, today, rows_file = sys.argv[1:4]
    config = load_config(Path(config_path))
    day = dt.date.fromisoformat(today)
    tenant = open_tenant(config, today=day)
    planned = tenant.plan()
    started = time.process_time()
    added = outbox.enqueue(tenant.store, planned,
                           now=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC))
    spent = time.process_time() - started
    tenant.store.close()
    db = str(config.state_url).removeprefix("sqlite:///")
    conn = sqlite3.connect(db)
    rows = {"outbox": conn.execute(f"SELECT {', '.join(OUTBOX)} FROM outbox").fetchall(),
            "items": conn.execute(f"SELECT {', '.join(ITEMS)} FROM outbox_items").fetchall()}
    conn.close()
    Path(rows_file).write_text(json.dumps(rows), encoding="utf-8")
    print(json.dumps({"enqueued": added, "enqueue_cpu_s": round(spent, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
