"""The report as plain tables: the one shape that the terminal, HTML, CSV, XLSX and JSON share.

Values stay typed (Decimal, int, date, str, None) until a presenter formats them with `display`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from connector import formatting
from connector.formatting import LOCALES
from connector.reports.build import Report
from connector.reports.kpis import BUCKETS
from connector.reports.labels import labels

# Unit of each summary figure: how it is shown.
SUMMARY_UNITS = {
    "receivables_gross": "money", "open_credit_notes": "money", "receivables_net": "money",
    "overdue": "money", "current_net": "money", "disputed": "money", "sales": "money",
    "receivables_begin": "money", "dso": "days", "dso_countback": "days", "best_dso": "days",
    "add": "days", "overdue_rate_amount": "percent", "overdue_rate_count": "percent",
    "overdue_invoices": "count", "open_invoices": "count", "cei": "percent",
    "paid_items": "count", "avg_days_late": "days", "late_percent": "percent",
    "forecast_total": "money", "forecast_later": "money", "forecast_doubtful": "money",
}


@dataclass(frozen=True)
class Column:
    key: str
    kind: str  # text | money | days | percent | count | date | unit (the row's own unit)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    rows: list[list[Any]]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]


def _cols(*spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec)


def summary_values(report: Report) -> dict[str, Any]:
    outlook = report.forecast
    return {**report.summary, "forecast_total": outlook.expected_total,
            "forecast_later": outlook.later, "forecast_doubtful": outlook.doubtful}


def report_tables(report: Report) -> list[Table]:
    tenant = ("tenant:text",) if report.multi_tenant else ()
    summary = Table("summary", _cols("key:text", "value:unit", "unit:text"),
                    [[k, v, SUMMARY_UNITS[k]] for k, v in summary_values(report).items()])
    aging_rows = [[*((c.key[0],) if tenant else ()), c.key[2], c.name,
                   *(c.buckets[b] for b in BUCKETS), c.gross, c.credits, c.net, c.disputed]
                  for c in report.customers if c.gross or c.credits]  # owing or owed
    totals = report.aging_total
    gross = sum(totals.values(), Decimal(0))
    credits = Decimal(report.summary["open_credit_notes"] or 0)
    aging_rows.append([*(("",) if tenant else ()), "", "Total", *(totals[b] for b in BUCKETS),
                       gross, credits, gross - credits, report.summary["disputed"]])
    aging = Table("aging", _cols(*tenant, "customer_id:text", "customer:text",
                                 *(f"{b}:money" for b in BUCKETS), "gross:money",
                                 "credits:money", "net:money", "disputed:money"), aging_rows)
    # The rate is over the judged items only (paid in time + unpaid), shown beside it with the
    # items whose window still runs: "100 % of 2 judged, 46 pending" reads as what it is.
    reminders = Table("reminders", _cols("level:text", "reminded:count", "paid:count",
                                         "unpaid:count", "pending:count", "credited:count",
                                         "judged:count", "rate:percent"),
                      [[lv.level, lv.reminded, lv.paid, lv.unpaid, lv.pending, lv.credited,
                        lv.paid + lv.unpaid, lv.rate] for lv in report.levels])
    payers = [c for c in report.customers if c.lateness.count or c.overdue > 0]
    payers.sort(key=lambda c: (-c.overdue, c.score.value if c.score.value is not None else 101,
                               c.name))
    payer_table = Table("payers", _cols(*tenant, "customer_id:text", "customer:text",
                                        "paid_items:count", "avg_days_late:days",
                                        "late_percent:percent", "spread:days", "score:count",
                                        "overdue:money", "open:count"),
                        [[*((c.key[0],) if tenant else ()), c.key[2], c.name, c.lateness.count,
                          c.score.avg_days_late, c.score.late_percent, _spread(c.lateness.spread),
                          c.score.value, c.overdue, c.open_invoices] for c in payers])
    forecast = Table("forecast", _cols("week:date", "expected:money", "low:money", "high:money"),
                     [[w.start, w.expected, w.low, w.high] for w in report.forecast.weeks])
    trend = Table("dso_trend", _cols("day:date", "receivables:money", "sales:money", "dso:days",
                                     "dso_countback:days"),
                  [[p.day, p.receivables, p.sales, p.dso, p.dso_countback] for p in report.trend])
    return [summary, aging, reminders, payer_table, forecast, trend]


def _spread(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(round(value, 1)))


def display(kind: str, value: Any, currency: str, language: str) -> str:
    """A value as a person reads it: `1 234,56 €`, `42,5 j`, `12,3 %`, `27 nov. 2026`."""
    words = labels(language)
    if value is None or value == "":
        return words["none"] if kind != "text" else ""
    locale = LOCALES.get(language, "fr_FR")
    if kind == "money":
        return formatting.money(value, currency, language)
    if kind == "days":
        return f"{format_decimal(value, format='#,##0.0', locale=locale)} {words['u_days']}"
    if kind == "percent":
        return f"{format_decimal(value, format='#,##0.0', locale=locale)} %"
    if kind == "count":
        return format_decimal(value, locale=locale)
    if kind == "date" and isinstance(value, dt.date):
        return format_date(value, format="medium", locale=locale)
    return str(value)


def cell(table: Table, row: list[Any], index: int, currency: str, language: str) -> str:
    column = table.columns[index]
    kind = row[table.keys.index("unit")] if column.kind == "unit" else column.kind
    return display(kind, row[index], currency, language)


def header(column: Column, language: str) -> str:
    """A column's heading: its short column label, else the indicator's name."""
    words = labels(language)
    return words.get(f"col_{column.key}", words.get(column.key, column.key))
