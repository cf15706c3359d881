"""The history of each invoice's amount due: written when a sync sees the residual move, read by
the reminders so that interest follows the balance (rules/penalties.py).

Dating a change: the source's payment date when it gives one (and it is not in the future), else
the day the sync saw the change (syncs run at least daily); but the part a linked credit note
lost in the same sync (it was allocated to the invoice) is dated by the credit note itself, as
the reminders counted it while it was open (rules/imputation.py: from its own date). An invoice first seen already partly
paid gets one change dated at the latest on its due date: we cannot know when that part was paid,
so no interest is claimed on it (never over-claim).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from connector.clock import DEFAULT_TIMEZONE, local_day
from connector.models import Invoice, from_minor, to_minor
from connector.rules.penalties import Movement
from connector.store import tables as t


def record_changes(conn: Connection, tenant: str, source: str, invoices: Sequence[Invoice],
                   now: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> int:
    """Compare with the stored residuals (call before the upsert); insert one row per change."""
    chased = [i for i in invoices if i.kind == "invoice"]
    if not chased:
        return 0
    linked = [i for i in invoices if i.kind == "credit_note" and i.credited_invoice_id]
    inv = t.invoices.c
    stored = dict(conn.execute(select(inv.external_id, inv.residual_minor).where(
        inv.tenant == tenant, inv.source == source,
        inv.external_id.in_([i.external_id for i in chased + linked]))).all())
    today = local_day(now, timezone)
    allocated = _allocated_credits(linked, stored)
    rows: list[dict[str, Any]] = []
    for invoice in chased:
        new = to_minor(invoice.residual, invoice.currency)
        old = stored.get(invoice.external_id)
        paid = invoice.paid_date if invoice.paid_date and invoice.paid_date <= today else None
        if old is None:
            total = to_minor(invoice.total, invoice.currency)
            if new == total:
                continue
            old, day, dated_by = total, min(paid or invoice.due_date, invoice.due_date), "first_seen"
        elif old == new:
            continue
        elif paid is not None and new < old:
            day, dated_by = paid, "source"
        else:
            day, dated_by = today, "sync"
        if dated_by == "sync" and new < old:  # a linked credit note allocated to it: its date
            for credit_day, part in allocated.get(invoice.external_id, ()):
                part = min(part, old - new)
                if part <= 0:
                    break
                rows.append(_row(tenant, source, invoice, min(credit_day, today), old,
                                 old - part, "credit_note", now))
                old -= part
            if old == new:
                continue
        rows.append(_row(tenant, source, invoice, day, old, new, dated_by, now))
    if rows:
        conn.execute(t.balance_changes.insert(), rows)
    return len(rows)


def _allocated_credits(credits: Sequence[Invoice], stored: dict[str, int]
                       ) -> dict[str, list[tuple[dt.date, int]]]:
    """Per credited invoice, what its linked credit notes lost of their residual in this batch
    (allocated to it in the source), with each credit note's date, oldest first."""
    found: dict[str, list[tuple[dt.date, int]]] = {}
    for credit in sorted(credits, key=lambda c: c.issue_date):
        old = stored.get(credit.external_id)
        drop = old - to_minor(credit.residual, credit.currency) if old is not None else 0
        if drop > 0 and credit.credited_invoice_id:
            found.setdefault(credit.credited_invoice_id, []).append((credit.issue_date, drop))
    return found


def _row(tenant: str, source: str, invoice: Invoice, day: dt.date, previous: int, residual: int,
         dated_by: str, now: dt.datetime) -> dict[str, Any]:
    return {"tenant": tenant, "source": source, "invoice_id": invoice.external_id, "day": day,
            "previous_minor": previous, "residual_minor": residual,
            "currency": invoice.currency, "dated_by": dated_by, "seen_at": now}


_bc = t.balance_changes.c
# Built once: every message of a delivery asks for its invoices' history
_HISTORY = select(t.balance_changes).where(
    _bc.tenant == bindparam("b_tenant"), _bc.source == bindparam("b_source"),
    _bc.invoice_id.in_(bindparam("b_ids", expanding=True))).order_by(_bc.day, _bc.id)
_HISTORY_AS_OF = _HISTORY.where(_bc.seen_at <= bindparam("b_as_of"))


def history(conn: Connection, tenant: str, source: str, invoice_ids: Sequence[str],
            as_of: dt.datetime | None = None) -> dict[str, list[Movement]]:
    """Per invoice, the reductions of its amount due in date order (negative: it went up).
    `as_of`: only the changes known at that moment (what a message sent then could say)."""
    found: dict[str, list[Movement]] = {}
    if not invoice_ids:
        return found
    values: dict[str, Any] = {"b_tenant": tenant, "b_source": source, "b_ids": list(invoice_ids)}
    if as_of is not None:
        values["b_as_of"] = as_of
    query = _HISTORY_AS_OF if as_of is not None else _HISTORY
    for row in conn.execute(query, values).mappings():
        amount = from_minor(row["previous_minor"] - row["residual_minor"], row["currency"])
        # a part already paid when first seen: when is unknown, so it bears no interest at all
        found.setdefault(row["invoice_id"], []).append(Movement(
            row["day"], amount, from_start=row["dated_by"] == "first_seen"))
    return found


def paid_late_ids(conn: Connection, tenant: str, source: str, since: dt.date) -> list[str]:
    """Invoices fully paid after their due date since `since`, whose payment we saw happen."""
    inv, bc = t.invoices.c, t.balance_changes.c
    watched = select(bc.invoice_id).where(bc.tenant == tenant, bc.source == source,
                                          bc.dated_by != "first_seen")
    return list(conn.execute(select(inv.external_id).where(
        inv.tenant == tenant, inv.source == source, inv.kind == "invoice",
        inv.residual_minor == 0, inv.paid_date.is_not(None), inv.paid_date > inv.due_date,
        inv.paid_date >= since, inv.external_id.in_(watched))).scalars())
