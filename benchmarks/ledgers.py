"""Synthetic ledgers for the benchmarks: demo-source configs, and a store filled with open invoices.

The demo source generates its books from config (`customers`, `invoices`); most of them end up
paid, so for `plan` over N *open* invoices we also write a store directly, through the product's own
write path (`Store.save_page`), and build the steady state of a daily run from it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update

from connector import clock
from connector.models import Customer, Invoice
from connector.store import outbox
from connector.store import tables as t
from connector.store.store import Store

TENANT = "bench"
CONFIG = """\
tenant = "{tenant}"
state = "sqlite:///state.db"

[source]
{source}
[sender]
name = "Atelier Dupuis"
email = "compta@atelier-dupuis.fr"

[email]
transport = "file"
directory = "outbox"
"""


def write_config(directory: Path, source_toml: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "relance.toml"
    path.write_text(CONFIG.format(tenant=TENANT, source=source_toml), encoding="utf-8")
    return path


def demo_source(customers: int, invoices: int, anchor: str) -> str:
    return (f'kind = "demo"\nseed = 42\ncustomers = {customers}\ninvoices = {invoices}\n'
            f'anchor = "{anchor}"\n')


def pay_one_percent(directory: Path, invoices: int, today: str) -> int:
    """Record a small payment on 1 % of the open invoices in the demo's overlay file, as a
    customer paying would (the demo source then reports exactly those invoices as changed)."""
    store = Store(f"sqlite:///{directory / 'state.db'}")
    ids = store.scalars(select(t.invoices.c.external_id).where(
        t.invoices.c.kind == "invoice", t.invoices.c.status.in_(("open", "partial")))
        .order_by(t.invoices.c.external_id))
    store.close()
    wanted = max(invoices // 100, 1)
    step = max(len(ids) // wanted, 1)
    chosen = ids[::step][:wanted]
    overlay = {"payments": [{"invoice": i, "date": today, "amount": "1.00"} for i in chosen],
               "disputes": {}}
    (directory / "demo-source.json").write_text(json.dumps(overlay), encoding="utf-8")
    return len(chosen)


def open_ledger_store(directory: Path, customers: int, invoices: int, today: dt.date,
                      *, seed: int = 7) -> None:
    """`invoices` open invoices over `customers` customers, due 1–120 days before `today`
    (so every reminder level of the default policy is reached somewhere), written page by page."""
    rng = random.Random(seed)
    store = Store(f"sqlite:///{directory / 'state.db'}")
    synced = dt.datetime.combine(today, dt.time(6), tzinfo=dt.UTC)  # plan needs a finished sync
    run = store.start_sync_run(TENANT, "demo", synced)
    people = [Customer(external_id=f"C{n:05d}", name=f"SARL Client {n}",
                       email=f"compta{n}@exemple.fr") for n in range(1, customers + 1)]
    for start in range(0, len(people), 1000):
        store.save_page(TENANT, "demo", "customers", people[start:start + 1000], [], None, now=clock.system_now())
    page: list[Invoice] = []
    for n in range(1, invoices + 1):
        due = today - dt.timedelta(days=rng.randint(1, 120))
        total = Decimal(rng.randint(5_000, 900_000)) / 100
        page.append(Invoice(
            external_id=f"INV{n:07d}", number=f"F-{n:07d}",
            customer_id=people[rng.randrange(customers)].external_id, kind="invoice",
            status="open", issue_date=due - dt.timedelta(days=30), due_date=due, total=total,
            residual=total))
        if len(page) == 1000:
            store.save_page(TENANT, "demo", "invoices", page, [], None, now=clock.system_now())
            page = []
    store.save_page(TENANT, "demo", "invoices", page, [], None, now=clock.system_now())
    store.finish_sync_run(run, "ok", {"customers": customers, "invoices": invoices}, now=synced)
    settle(store)


def mark_planned_as_sent(directory: Path, config_path: Path, today: dt.date) -> int:
    """The steady state of a daily run: what `plan` gave on `today` went out that day."""
    from connector.app.tenant import open_tenant
    from connector.config import load_config

    config = load_config(config_path)
    tenant = open_tenant(config, today=today)
    planned = tenant.plan()
    sent_at = dt.datetime.combine(today, dt.time(9), tzinfo=dt.timezone.utc)
    added = outbox.enqueue(tenant.store, planned, now=sent_at)
    with tenant.store.transaction() as conn:
        marked = conn.execute(update(t.outbox).where(t.outbox.c.status == "planned")
                              .values(status="sent", sent_at=sent_at, updated_at=sent_at)).rowcount
    settle(tenant.store)
    return max(added, marked)  # the run_all plan part has enqueued them already


def settle(store: Store) -> None:
    """Fold the write-ahead log into the database, as the hours between two daily runs would:
    otherwise the measured command pays for checkpointing what the set-up wrote."""
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
