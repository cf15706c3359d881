"""Floor prototypes: the least a first plan and its enqueue can cost, in plain `sqlite3`.

    python benchmarks/floors.py plan STATE_DB TODAY        # prints one reminder key a line
    python benchmarks/floors.py enqueue STATE_DB ROWS_JSON  # inserts the rows, prints a count

Only for the benchmark ledger (`ledgers.open_ledger_store`: default policy, nothing sent yet, every
customer with an address): one ordered scan of the open invoices gives each customer's overdue
items, hence the "first" email and its key, exactly as `relance plan` keys it (run_all.py checks
that both give the same keys). No SQLAlchemy, pydantic, Babel or Jinja: stdlib only, so the ratio
product / floor says what the product's layers cost. The enqueue floor inserts the very rows the
product wrote (outbox and outbox_items, same payload text) with `executemany` in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import sys

TENANT, SOURCE, CHANNEL, LEVEL = "bench", "demo", "email", "first"
FIRST_DAYS = 1  # the default policy's first overdue level: J+1


def plan_keys(db: str, today: dt.date) -> list[str]:
    """The first plan's keys: one email per customer with an overdue item, listing them all."""
    conn = sqlite3.connect(db)
    latest = (today - dt.timedelta(days=FIRST_DAYS)).isoformat()
    rows = conn.execute(
        "SELECT i.customer_id, i.external_id FROM invoices i JOIN customers c"
        " ON c.tenant = i.tenant AND c.source = i.source AND c.external_id = i.customer_id"
        " WHERE i.tenant = ? AND i.source = ? AND i.kind = 'invoice'"
        " AND i.status IN ('open', 'partial') AND i.residual_minor > 0 AND i.due_date <= ?"
        " AND c.email IS NOT NULL AND c.do_not_dun = 0"
        " ORDER BY i.customer_id", (TENANT, SOURCE, latest))
    keys: list[str] = []
    current: str | None = None
    items: list[str] = []
    for customer, item in rows:
        if customer != current:
            if items and current is not None:
                keys.append(_key(current, items))
            current, items = customer, []
        items.append(f"{item}@{LEVEL}")
    if items and current is not None:
        keys.append(_key(current, items))
    conn.close()
    return keys


def _key(customer: str, items: list[str]) -> str:
    parts = [TENANT, SOURCE, customer, CHANNEL, *sorted(items)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def enqueue(db: str, rows_file: str) -> int:
    """Insert the outbox rows and their items given as JSON (see run_all.bench_plan)."""
    data = json.loads(open(rows_file, encoding="utf-8").read())
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO outbox (key, tenant, source, customer_id, channel, level, status, payload,"
        " attempts, planned_for, next_attempt_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)", data["outbox"])
    conn.executemany(
        "INSERT INTO outbox_items (outbox_key, tenant, source, item_id, invoice_id, level,"
        " channel, amount_minor, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", data["items"])
    conn.execute("COMMIT")
    conn.close()
    return len(data["outbox"])


def main() -> int:
    what, db, arg = sys.argv[1:4]
    if what == "plan":
        keys = plan_keys(db, dt.date.fromisoformat(arg))
        sys.stdout.write("".join(f"{k}\n" for k in keys))
    else:
        print(enqueue(db, arg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
