"""`penalties.late_paid = "email"` over days of the demo ledger: invoices paid late get one
"facture de pénalités", through the freshness gate, never a consumer, never twice."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from collections import Counter
from pathlib import Path

from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.store import outbox
from tests.helpers import write_config


def test_invoices_paid_late_get_one_penalty_invoice_each(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, extra='\n[penalties]\nlate_paid = "email"\n',
                                      small=True))
    for day in range(0, 36, 7):
        tenant = open_tenant(config, today=dt.date(2026, 11, 2) + dt.timedelta(days=day))
        tenant.run()
    rows = [r for status in ("sent", "skipped", "planned", "failed")
            for r in outbox.rows(tenant.store, tenant.name, status, limit=5000)
            if json.loads(r["payload"])["level"] == "penalties"]
    sent = [r for r in rows if r["status"] == "sent"]
    assert sent, "the demo ledger pays some invoices late"
    payloads = [json.loads(r["payload"]) for r in rows]
    assert all(p["customer_kind"] != "individual" for p in payloads)
    per_invoice = Counter(i["invoice_id"] for p in payloads for i in p["items"])
    assert max(per_invoice.values()) == 1
    subjects = [str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    ["Subject"]) for p in config.outbox_dir.glob("*.eml")]
    penalty_mails = [s for s in subjects if s.startswith(
        ("Facture de pénalités de retard", "Late-payment penalty invoice"))]
    assert len(penalty_mails) == len([r for r in sent if r["channel"] == "email"]) > 0
