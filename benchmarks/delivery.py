"""Delivery with the file transport: CPU per reminder, beside a stdlib-only floor.

    python benchmarks/delivery.py [--invoices 40000] [--customers 4000] [--dir D] [--profile F]

Set-up (not measured): a demo ledger is synced, planned and enqueued under a frozen tenant clock.
Measured: `Dispatcher.run` over every queued row (reconcile, freshness gate, claim, render, MIME,
.eml file, mark), CPU seconds by `time.process_time`; the demo source's generated ledger (the
fake vendor's data, built on first use) is made before. That per-reminder figure is the one
targets.py reads (issue 18.3), not the child's whole-command CPU, which includes the set-up. The floor does, for the same rows, what no
delivery can avoid: claim and mark each row in its own committed sqlite3 transaction, fill the
text from the payload with `str.format`, encode it quoted-printable and write the .eml atomically.
No freshness gate, no Jinja, no email package: the ratio says how far above that we are.
`bench_delivery` is the entry of benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import quopri
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import ledgers  # noqa: E402
from benchmarks.measure import Figure, measure  # noqa: E402

MOMENT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone.utc)  # a Friday, 10:00 in Paris
TARGET_MS = 1.5
MAX_INVOICES = 40_000  # ~2,300 reminders: enough for a per-reminder figure, set up in seconds


def set_up(work: Path, customers: int, invoices: int) -> int:
    """Sync, plan and enqueue the demo ledger; the number of rows queued."""
    from connector.app.tenant import open_tenant
    from connector.clock import Clock
    from connector.config import load_config
    from connector.store import outbox

    config = load_config(ledgers.write_config(
        work, ledgers.demo_source(customers, invoices, MOMENT.date().isoformat())))
    tenant = open_tenant(config, clock=Clock.frozen(MOMENT, config.timezone))
    try:
        tenant.sync()
        return outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    finally:
        tenant.close()


def deliver(work: Path, profile: Path | None = None) -> dict[str, Any]:
    """The product's delivery of every queued row; CPU seconds of `Dispatcher.run` alone."""
    from connector.app.tenant import build_transport, open_tenant
    from connector.clock import Clock
    from connector.config import load_config
    from connector.delivery.dispatch import Dispatcher

    config = load_config(work / "relance.toml")
    tenant = open_tenant(config, clock=Clock.frozen(MOMENT, config.timezone))
    try:
        dispatcher = Dispatcher(tenant.store, tenant.adapter, config,
                                build_transport(config, tenant.secrets), now=tenant.clock,
                                exclusive=True)
        # The demo source generates its whole ledger in memory on first use (~1 s for 40k
        # invoices: the vendor's side of the gate's re-reads, not ours): before the clock starts
        getattr(tenant.adapter, "ledger", None)
        profiler = cProfile.Profile() if profile else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        report = dispatcher.run()
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
        cpu = time.process_time() - started
    finally:
        tenant.close()
    return {"cpu_s": cpu, "sent": report.sent, "skipped": report.skipped,
            "failed": report.failed, "emails": len(list(config.outbox_dir.glob("*.eml")))}


TEXT = ("Bonjour,\n\nSauf erreur de notre part, nous n'avons pas encore reçu le règlement des "
        "factures suivantes :\n\n{lines}\n\nMontant à régler : {total} €\n\nCordialement,\n"
        "{sender}\n")


def floor(database: Path, directory: Path) -> dict[str, Any]:
    """Claim, fill, encode, write and mark each queued row with the standard library only."""
    directory.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(database, isolation_level=None)
    started = time.process_time()
    rows = conn.execute("SELECT key, payload, attempts FROM outbox WHERE status = 'planned' "
                        "ORDER BY id").fetchall()
    for key, payload_json, attempts in rows:
        now = MOMENT.isoformat()
        conn.execute("BEGIN")
        conn.execute("UPDATE outbox SET status = 'sending', attempts = ?, updated_at = ? "
                     "WHERE key = ? AND status = 'planned'", (attempts + 1, now, key))
        conn.execute("COMMIT")
        payload = json.loads(payload_json)
        lines = "\n".join(f"- Facture {i['number']}, échéance le {i['due_date']} : "
                          f"{i['residual']} €" for i in payload["items"])
        total = sum(float(i["residual"]) for i in payload["items"])
        text = TEXT.format(lines=lines, total=f"{total:.2f}", sender="Atelier Dupuis")
        body = quopri.encodestring(text.encode("utf-8"))
        head = (f"Subject: Relance\r\nFrom: Atelier Dupuis <compta@atelier-dupuis.fr>\r\n"
                f"To: {', '.join(payload['recipients'])}\r\nDate: Fri, 27 Nov 2026 09:00:00 "
                f"+0000\r\nMessage-ID: <{key}@atelier-dupuis.fr>\r\nX-Relance-Key: {key}\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
        partial = directory / f"{key}.eml.part"
        partial.write_bytes(head.encode("utf-8") + body)
        os.replace(partial, directory / f"{key}.eml")
        conn.execute("BEGIN")
        conn.execute("UPDATE outbox SET status = 'sent', sent_at = ?, updated_at = ?, "
                     "lease_until = NULL, payload = ? WHERE key = ?",
                     (now, now, payload_json, key))
        conn.execute("COMMIT")
    cpu = time.process_time() - started
    conn.close()
    return {"cpu_s": cpu, "rows": len(rows)}


def measure_delivery(work: Path, customers: int, invoices: int,
                     profile: Path | None = None) -> dict[str, Any]:
    """Set up, copy the queued store for the floor, deliver, run the floor: the figures."""
    queued = set_up(work, customers, invoices)
    database = work / "state.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(database, work / "floor.db")
    product = deliver(work, profile)
    bottom = floor(work / "floor.db", work / "floor-outbox")
    per = 1000 * product["cpu_s"] / max(product["sent"], 1)
    per_floor = 1000 * bottom["cpu_s"] / max(bottom["rows"], 1)
    return {"queued": queued, **product, "cpu_ms_per_reminder": round(per, 3),
            "floor_ms_per_reminder": round(per_floor, 3),
            "over_floor": round(per / per_floor, 1) if per_floor else None,
            "target_ms": TARGET_MS, "met": per <= TARGET_MS}


def bench_delivery(root: Path, invoices: int) -> list[Figure]:
    """The run_all entry: this script as a measured child process (whole-command CPU and RSS),
    its per-reminder figures in `extra`."""
    work = root / "delivery"
    work.mkdir(parents=True, exist_ok=True)
    invoices = min(invoices, MAX_INVOICES)
    out = work / "delivery.json"
    figure = measure("delivery (file transport)", [
        sys.executable, __file__, "--dir", str(work), "--invoices", str(invoices),
        "--customers", str(max(invoices // 10, 1)), "--json", str(out)], cwd=work)
    if out.exists():
        figures = json.loads(out.read_text(encoding="utf-8"))
        figure.extra.update({k: figures[k] for k in (
            "sent", "cpu_ms_per_reminder", "floor_ms_per_reminder", "over_floor", "target_ms",
            "met")})
    return [figure]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=MAX_INVOICES)
    parser.add_argument("--customers", type=int, default=MAX_INVOICES // 10)
    parser.add_argument("--dir", type=Path, help="work files here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--profile", type=Path, help="cProfile the delivery into this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relance-delivery-") as scratch:
        work = args.dir or Path(scratch)
        if (work / "state.db").exists():
            parser.error(f"{work} already holds a store: give an empty directory")
        figures = measure_delivery(work, args.customers, args.invoices, args.profile)
    print(f"delivery: {figures['sent']} reminders sent ({figures['emails']} emails), "
          f"{figures['cpu_ms_per_reminder']:.2f} ms CPU per reminder (target ≤ {TARGET_MS}); "
          f"floor {figures['floor_ms_per_reminder']:.2f} ms, {figures['over_floor']}× the floor; "
          f"target {'met' if figures['met'] else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
