"""The customers list a collector works from: each customer's balance by age (from the report's
own figures, reports/build.py) and the stage its dunning reached (the outbox history), with
search, filters and sorting. Read only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from connector.reports.build import Report
from connector.reports.kpis import BUCKETS
from connector.store import outbox
from connector.store.store import Store

SORTS = ("overdue", "name", "late", "outstanding")


@dataclass(frozen=True)
class Row:
    customer_id: str
    name: str
    outstanding: Decimal
    overdue: Decimal
    oldest: str
    """The oldest aging bucket holding money ("not_due" when nothing is late)."""
    stage: str | None
    score: int | None


def overview(store: Store, tenant: str, source: str, timezone: str, report: Report, *,
             query: str = "", stage: str = "", min_overdue: Decimal = Decimal(0),
             lateness: str = "", sort: str = "overdue") -> list[Row]:
    stages = outbox.history(store, tenant, source, timezone).stages
    reached = {customer: s.level for (customer, _currency), s in stages.items()}
    wanted = query.strip().casefold()
    rows = []
    for line in report.customers:
        if line.gross <= 0:
            continue
        cid = line.key[2]
        held = [b for b in BUCKETS if line.buckets[b] > 0]
        row = Row(cid, line.name, line.net, line.overdue, held[-1] if held else "not_due",
                  reached.get(cid), line.score.value)
        if wanted and wanted not in row.name.casefold() and wanted not in cid.casefold():
            continue
        if stage and (row.stage or "") != stage:
            continue
        if row.overdue < min_overdue:
            continue
        if lateness and BUCKETS.index(row.oldest) < BUCKETS.index(lateness):
            continue
        rows.append(row)
    keys = {"overdue": lambda r: (-r.overdue, r.name), "name": lambda r: (r.name.casefold(), ""),
            "late": lambda r: (-BUCKETS.index(r.oldest), r.name),
            "outstanding": lambda r: (-r.outstanding, r.name)}
    return sorted(rows, key=keys.get(sort, keys["overdue"]))
