"""The report in a terminal: rich tables, the same rows as every other output."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table as RichTable

from connector.reports.build import Report
from connector.reports.labels import labels
from connector.reports.tables import Table, cell, header, report_tables

TOP = 15  # customer tables are cut to their first rows here (files carry them all)
# Columns shown on screen where a table is too wide for it (files carry them all).
SCREEN = {"aging": ("tenant", "customer", "not_due", "d1_30", "d31_60", "d61_90", "d91_plus",
                    "credits", "net"),
          "payers": ("tenant", "customer", "paid_items", "avg_days_late", "late_percent", "score",
                     "overdue")}


def print_report(report: Report, language: str = "fr", console: Console | None = None) -> None:
    if console is None:
        # Piped output (a file, a mail) is not cut to 80 columns.
        console = Console() if sys.stdout.isatty() else Console(width=170)
    words = labels(language)
    console.print(f"[bold]{words['title']}[/bold] — {words['as_of']} {report.today.isoformat()}, "
                  f"{words['period']} {report.period_days} {words['days']}, "
                  f"{', '.join(t for t, _ in report.tenants)}")
    for table in report_tables(report):
        console.print(_rich(table, report, language))
    if report.skipped_currencies:
        console.print(f"{words['skipped']}: " + ", ".join(
            f"{c} {n}" for c, n in report.skipped_currencies.items()))
    for line in report.prescription:
        console.print(f"[yellow]prescription[/yellow]: {line}")
    console.print(words["formulas"])


def _rich(table: Table, report: Report, language: str) -> RichTable:
    words = labels(language)
    out = RichTable(title=words[f"t_{table.name}"], title_justify="left")
    rows = table.rows
    if table.name == "summary":
        out.add_column(words["indicator"])
        out.add_column(words["value"], justify="right")
        for row in rows:
            out.add_row(words[row[0]], cell(table, row, 1, report.currency, language))
        return out
    shown = [i for i, c in enumerate(table.columns)
             if c.key in SCREEN.get(table.name, table.keys)]
    for i in shown:
        column = table.columns[i]
        text = column.kind in ("text", "date")
        out.add_column(header(column, language), justify="left" if text else "right",
                       no_wrap=True, overflow="ellipsis", max_width=32 if text else None)
    if table.name in ("aging", "payers") and len(rows) > TOP + 1:
        keep = rows[:TOP] + ([rows[-1]] if table.name == "aging" else [])
        hidden = len(rows) - len(keep)
        rows = keep
        out.caption = f"+ {hidden} … (--csv, --xlsx, --html)"
    for row in rows:
        out.add_row(*(cell(table, row, i, report.currency, language) for i in shown))
    return out
