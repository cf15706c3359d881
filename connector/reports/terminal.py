"""The report in a terminal: rich tables, the same rows as every other output."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.table import Table as RichTable

from connector.reports.build import Report
from connector.reports.labels import labels
from connector.reports.tables import Column, Table, cell, header, report_tables

TOP = 15  # customer tables are cut to their first rows here (files carry them all)
# Columns shown on screen where a table is too wide for it (files carry them all).
SCREEN = {"aging": ("tenant", "customer", "not_due", "d1_30", "d31_60", "d61_90", "d91_plus",
                    "credits", "net"),
          "payers": ("tenant", "customer", "paid_items", "avg_days_late", "late_percent", "score",
                     "overdue")}


def print_report(report: Report, language: str = "fr", console: Console | None = None) -> None:
    if console is None:
        # Piped output (a file, a mail) is not cut to 80 columns.
        console = Console() if sys.stdout.isatty() or os.environ.get("COLUMNS") \
            else Console(width=170)
    words = labels(language)
    console.print(f"[bold]{words['title']}[/bold] — {words['as_of']} {report.today.isoformat()}, "
                  f"{words['period']} {report.period_days} {words['days']}, "
                  f"{', '.join(t for t, _ in report.tenants)}")
    for table in report_tables(report):
        console.print(_rich(table, report, language, console.width))
    if report.skipped_currencies:
        console.print(f"{words['skipped']}: " + ", ".join(
            f"{c} {n}" for c, n in report.skipped_currencies.items()))
    for line in report.prescription:
        console.print(f"[yellow]prescription[/yellow]: {line}")
    console.print(words["formulas"])


def _rich(table: Table, report: Report, language: str, width: int = 80) -> RichTable:
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
    if table.name in ("aging", "payers") and len(rows) > TOP + 1:
        rows = rows[:TOP] + ([rows[-1]] if table.name == "aging" else [])
    cells = {i: [cell(table, row, i, report.currency, language) for row in rows] for i in shown}
    least = {i: _least(table.columns[i], cells[i], language) for i in shown}
    shown, hidden = fit(table, shown, least, width)
    widths = layout(table, shown, cells, least, width, language)
    for i in shown:
        column = table.columns[i]
        # Amounts (and dates, counts) are never cut: their column is at least as wide as its
        # widest value, and only its heading may wrap. Names give way: elided to what is left.
        text = column.kind == "text"
        out.add_column(header(column, language), justify="left" if column.kind in (
            "text", "date") else "right", width=widths[i], no_wrap=text,
            overflow="ellipsis" if text else "fold")
    if hidden:
        out.caption = (f"{words['hidden']} : " if language == "fr" else f"{words['hidden']}: ") \
            + ", ".join(header(table.columns[i], language) for i in hidden) \
            + " (--csv, --xlsx, --html)"
    if len(rows) < len(table.rows):
        more = f"+ {len(table.rows) - len(rows)} … (--csv, --xlsx, --html)"
        out.caption = f"{out.caption}\n{more}" if out.caption else more
    for n in range(len(rows)):
        out.add_row(*(cells[i][n] for i in shown))
    return out


# Which columns go first when a screen is too narrow for all (least needed first).
GIVE_WAY = ("customer_id", "tenant", "credits", "gross", "disputed", "spread", "open",
            "paid_items", "not_due", "d1_30", "low", "high", "dso_countback", "sales")
NAME_ROOM = 14  # what a customer's name keeps, at least, on a narrow screen


def _least(column: Column, values: list[str], language: str) -> int:
    """The narrowest a column may be: a name, NAME_ROOM; anything else, its widest value and
    its heading's longest word (headings wrap between words, never inside one)."""
    if column.kind == "text":
        return NAME_ROOM
    words = header(column, language).split()
    return max([len(v) for v in values] + [len(w) for w in words] + [1])


def layout(table: Table, shown: list[int], cells: dict[int, list[str]], least: dict[int, int],
           width: int, language: str) -> dict[int, int]:
    """Each column's width: all at their natural width when the screen allows, else at least
    their `least`, the room left going to names first, then to headings."""
    natural = {i: max([len(header(table.columns[i], language))] + [len(v) for v in cells[i]])
               for i in shown}
    for i in shown:
        if table.columns[i].kind == "text":
            natural[i] = min(natural[i], 32)
    room = width - 1 - 3 * len(shown)
    if sum(natural.values()) <= room:
        return natural
    widths = {i: min(least[i], natural[i]) for i in shown}
    left = room - sum(widths.values())
    for i in sorted(shown, key=lambda i: table.columns[i].kind != "text"):
        extra = max(0, min(left, natural[i] - widths[i]))
        widths[i] += extra
        left -= extra
    return widths


def fit(table: Table, shown: list[int], least: dict[int, int],
        width: int) -> tuple[list[int], list[int]]:
    """The columns that fit in `width` without cutting an amount, and those left out."""
    def need(columns: list[int]) -> int:
        return 1 + sum(least[i] + 3 for i in columns)  # padding and the rule between columns
    kept = list(shown)
    hidden: list[int] = []
    for key in GIVE_WAY:
        if need(kept) <= width:
            break
        for i in list(kept):
            if table.columns[i].key == key:
                kept.remove(i)
                hidden.append(i)
    return kept, sorted(hidden)
