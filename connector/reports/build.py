"""build_report(): every figure of `relance report`, from one streamed pass over the store.

A firm calls it with all its clients' (tenant, source) pairs to get one consolidated report; a
company with its own. Per document it updates small accumulators (per customer, per day of sales,
per snapshot date), so memory follows the number of customers and open items, not the history.

What is counted (docs/kpis.md says it for the user):
- invoices and credit notes in the report currency (others are counted in `skipped_currencies`);
- a cancelled invoice and the credit notes reversing it are left out (together they are zero);
- receivables are open, partial and disputed documents; credit notes reduce them;
- instalments are items of their own: aged, chased and forecast by their own due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from connector.reports import data, kpis
from connector.reports.forecast import Forecast, Habit, OpenItem, forecast
from connector.reports.ledger import (
    balance_changes,
    counted,
    open_items,
    paid_lateness,
    residual_now,
    schedule,
    settled_days,
    settlements,
)
from connector.rules.prescription import near_horizon, prescription_findings
from connector.store.store import Store

ZERO = Decimal(0)
TREND_MONTHS = 6
COUNTBACK_MONTHS = 24
CustomerKey = tuple[str, str, str]  # tenant, source, customer id


@dataclass
class CustomerLine:
    """One customer's accumulators. The figures below are computed once, when first read (every
    table and sort reads them, 20k lines at a time): only after the pass, never during it."""

    key: CustomerKey
    name: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(kpis.BUCKETS, ZERO))
    credits: Decimal = ZERO  # open credit notes, not yet deducted from an invoice
    disputed: Decimal = ZERO  # part of the buckets
    open_invoices: int = 0
    lateness: kpis.Lateness = field(default_factory=kpis.Lateness)

    @cached_property
    def gross(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @cached_property
    def net(self) -> Decimal:
        return self.gross - self.credits

    @cached_property
    def overdue(self) -> Decimal:
        return self.gross - self.buckets["not_due"]

    @cached_property
    def score(self) -> kpis.Score:
        return kpis.behaviour_score(self.lateness)


@dataclass
class LevelSuccess:
    level: str
    reminded: int = 0
    paid: int = 0  # paid within the window after the reminder
    unpaid: int = 0  # not paid within the window
    pending: int = 0  # unpaid, window not over yet: not judged
    credited: int = 0  # the invoice was cancelled by a credit note: not judged
    offsets: int = 0  # sum of (reminder day − due date), to order levels

    @property
    def rate(self) -> Decimal | None:
        return kpis.percent(self.paid, self.paid + self.unpaid)

    @property
    def mean_offset(self) -> float:
        return self.offsets / self.reminded if self.reminded else 0.0


@dataclass
class TrendPoint:
    day: dt.date
    receivables: Decimal
    sales: Decimal
    dso: Decimal | None
    dso_countback: Decimal | None


@dataclass
class Report:
    today: dt.date
    period_days: int
    currency: str
    tenants: list[tuple[str, str]]
    window_days: int
    customers: list[CustomerLine]
    summary: dict[str, Decimal | int | None]
    trend: list[TrendPoint]
    levels: list[LevelSuccess]
    forecast: Forecast
    skipped_currencies: dict[str, int]
    prescription: list[str] = field(default_factory=list)
    """Open invoices within 6 months of prescription or past it (rules/prescription.py)."""

    @property
    def aging_total(self) -> dict[str, Decimal]:
        return {b: sum((c.buckets[b] for c in self.customers), ZERO) for b in kpis.BUCKETS}

    @property
    def multi_tenant(self) -> bool:
        return len(self.tenants) > 1


class _Pass:
    """The accumulators filled document by document."""

    def __init__(self, today: dt.date, period: int, window: int, currency: str) -> None:
        self.today, self.period, self.window, self.currency = today, period, window, currency
        self.begin = today - dt.timedelta(days=period)
        self.window_days = dt.timedelta(days=window)
        self.judged_until = today - self.window_days  # reminders sent later: window still open
        self.snapshots = sorted({today, self.begin, *kpis.month_ends(today, TREND_MONTHS)})
        self.owed = dict.fromkeys(self.snapshots, ZERO)  # filled by close()
        self.changes: dict[dt.date, Decimal] = {}  # the documents' balances, as dated changes
        self.sales: dict[dt.date, Decimal] = {}
        self.customers: dict[CustomerKey, CustomerLine] = {}
        self.levels: dict[str, LevelSuccess] = {}
        self.open_items: list[OpenItem] = []
        self.open_count = self.overdue_count = 0
        self.skipped: dict[str, int] = {}

    def line(self, key: CustomerKey, names: dict[str, str]) -> CustomerLine:
        if key not in self.customers:
            self.customers[key] = CustomerLine(key, names.get(key[2], key[2]))
        return self.customers[key]

    def add(self, doc: data.Document, cancelled: set[str], reminded: list[data.Reminded],
            names: dict[str, str]) -> None:
        if doc.currency != self.currency:
            self.skipped[doc.currency] = self.skipped.get(doc.currency, 0) + 1
            return
        if not counted(doc, cancelled):
            for reminder in reminded:  # credited after a reminder: neither success nor failure
                self._judge(reminder, None, None, credited=True)
            return
        sign = 1 if doc.kind == "invoice" else -1
        if doc.issue_date <= self.today:
            self.sales[doc.issue_date] = self.sales.get(doc.issue_date, ZERO) + sign * doc.total
        events = settlements(doc, doc.payments, self.today)
        for day, change in balance_changes(doc, events):
            self.changes[day] = self.changes.get(day, ZERO) + sign * change
        line = self.line((doc.tenant, doc.source, doc.customer_id), names)
        if sign < 0:
            line.credits += residual_now(doc)
            return
        self._open_items(doc, line)
        if not events and not reminded:  # nothing settled: no lateness observed, none judged
            return
        items = schedule(doc)
        if events:
            settled = settled_days(items, events)
            for days_late in paid_lateness(items, settled, self.today):
                line.lateness.add(days_late)
        else:
            settled = {}  # nothing settled: every item owed
        due = {item.item_id: item.due_date for item in items}
        for reminder in reminded:
            self._judge(reminder, settled.get(reminder.item_id), due.get(reminder.item_id))

    def _open_items(self, doc: data.Document, line: CustomerLine) -> None:
        items = open_items(doc)
        if not items:
            return
        self.open_count += 1
        line.open_invoices += 1
        overdue = False
        disputed = doc.status == "disputed"
        for _item_id, due, amount in items:
            late = (self.today - due).days
            line.buckets[kpis.bucket(late)] += amount
            if late > 0:
                overdue = True
                line.lateness.add_open(late)
            if disputed:
                line.disputed += amount
            else:
                self.open_items.append(OpenItem(line.key, due, amount))
        self.overdue_count += overdue

    def close(self) -> None:
        """The balances owed at the end of each snapshot day, from the dated changes."""
        running = ZERO
        changes = iter(sorted(self.changes.items()))
        change = next(changes, None)
        for day in self.snapshots:
            while change is not None and change[0] <= day:
                running += change[1]
                change = next(changes, None)
            self.owed[day] = running

    def _judge(self, reminder: data.Reminded, done: tuple[dt.date, bool] | None,
               due: dt.date | None, credited: bool = False) -> None:
        level = self.levels.get(reminder.level)
        if level is None:
            level = self.levels[reminder.level] = LevelSuccess(reminder.level)
        level.reminded += 1
        level.offsets += (reminder.day - due).days if due else 0
        if credited:
            level.credited += 1
        elif done is None:  # still owed: judged once its window is over
            if reminder.day > self.judged_until:
                level.pending += 1
            else:
                level.unpaid += 1
        elif done[0] <= reminder.day + self.window_days:
            level.paid += 1
        else:
            level.unpaid += 1

    def sales_between(self, start: dt.date, end: dt.date) -> Decimal:
        """Net credit sales issued in [start, end]."""
        return sum((v for d, v in self.sales.items() if start <= d <= end), ZERO)

    def countback(self, day: dt.date) -> Decimal | None:
        months = [((end - start).days + 1, self.sales_between(start, end))
                  for start, end in kpis.month_windows(day, COUNTBACK_MONTHS)]
        return kpis.countback_dso(self.owed[day], months)

    def trend_point(self, day: dt.date) -> TrendPoint:
        sales = self.sales_between(day - dt.timedelta(days=self.period - 1), day)
        return TrendPoint(day, self.owed[day], sales,
                          kpis.ratio_dso(self.owed[day], sales, self.period), self.countback(day))


def build_report(store: Store, tenants: Sequence[tuple[str, str]], today: dt.date, *,
                 period_days: int = 90, window_days: int = 14, weeks: int = 13,
                 currency: str = "EUR") -> Report:
    """Aging, DSO (two methods), ADD, overdue rate, CEI, reminder success, lateness, forecast."""
    acc = _Pass(today, period_days, window_days, currency)
    for tenant, source in tenants:
        names = data.customer_names(store, tenant, source)
        cancelled = data.cancelled_invoice_ids(store, tenant, source)
        reminders = data.sent_reminders(store, tenant, source)
        for doc in data.documents(store, tenant, source):
            acc.add(doc, cancelled, reminders.get(doc.external_id, []), names)
    acc.close()
    report = _finish(acc, list(tenants), weeks)
    for tenant, source in tenants:  # only what is old enough to be near prescription
        old = store.open_invoices_due_by(tenant, source, near_horizon(today))
        kinds = {invoice.customer_id: kind for kind, invoice in old}
        report.prescription += prescription_findings(
            [invoice for _kind, invoice in old], today, kinds=kinds)
    return report


def _finish(acc: _Pass, tenants: list[tuple[str, str]], weeks: int) -> Report:
    lines = sorted(acc.customers.values(), key=lambda c: (-c.net, c.name, c.key))
    gross = sum((c.gross for c in lines), ZERO)
    credits = sum((c.credits for c in lines), ZERO)
    overdue = sum((c.overdue for c in lines), ZERO)
    current = gross - overdue - credits
    net = gross - credits
    period = acc.period
    sales = acc.sales_between(acc.begin + dt.timedelta(days=1), acc.today)
    dso = kpis.ratio_dso(net, sales, period)
    best = kpis.ratio_dso(current, sales, period)
    everyone = kpis.Lateness()
    for line in lines:
        everyone.merge(line.lateness)
    summary: dict[str, Decimal | int | None] = {
        "receivables_gross": gross, "open_credit_notes": credits, "receivables_net": net,
        "overdue": overdue, "current_net": current,
        "disputed": sum((c.disputed for c in lines), ZERO),
        "sales": sales, "receivables_begin": acc.owed[acc.begin],
        "dso": dso, "dso_countback": acc.countback(acc.today), "best_dso": best,
        "add": dso - best if dso is not None and best is not None else None,
        "overdue_rate_amount": kpis.percent(overdue, gross),
        "overdue_rate_count": kpis.percent(acc.overdue_count, acc.open_count),
        "overdue_invoices": acc.overdue_count, "open_invoices": acc.open_count,
        "cei": kpis.cei(acc.owed[acc.begin], sales, net, current),
        "paid_items": everyone.count,
        "avg_days_late": kpis.behaviour_score(everyone).avg_days_late,
        "late_percent": kpis.behaviour_score(everyone).late_percent,
    }
    trend = [acc.trend_point(day) for day in [*kpis.month_ends(acc.today, TREND_MONTHS), acc.today]]
    levels = sorted(acc.levels.values(), key=lambda lv: (lv.mean_offset, lv.level))
    outlook = forecast(acc.open_items, _habits(lines, everyone), _fallback(everyone), acc.today,
                       weeks)
    return Report(acc.today, period, acc.currency, tenants, acc.window, lines, summary, trend,
                  levels, outlook, dict(sorted(acc.skipped.items())))


def _fallback(everyone: kpis.Lateness) -> Habit:
    return Habit(everyone.mean or 0.0, everyone.spread or 0.0)


def _habits(lines: Iterable[CustomerLine], everyone: kpis.Lateness) -> dict[CustomerKey, Habit]:
    pooled = everyone.spread or 0.0
    return {line.key: Habit(line.lateness.mean or 0.0,
                            (line.lateness.spread or 0.0) if line.lateness.count >= 3 else pooled)
            for line in lines if line.lateness.count}
