"""The report's tables written for machines: JSON, one CSV per table, one XLSX sheet per table.

CSV headers are the machine keys (stable across languages) with plain values: amounts as
`1234.56`, dates ISO, empty for "not meaningful". XLSX headers are in the report's language and
amounts are numbers with a money format, so a spreadsheet can sum them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.reports.build import Report
from connector.reports.labels import labels
from connector.reports.tables import Table, header, report_tables

MONEY_FORMAT = '#,##0.00'
DECIMAL_FORMAT = '0.0'


def plain(value: Any) -> Any:
    """JSON/CSV form of a value: Decimal → string (exact), date → ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def report_dict(report: Report, tables: list[Table] | None = None) -> dict[str, Any]:
    tables = tables or report_tables(report)
    result: dict[str, Any] = {
        "today": report.today.isoformat(), "period_days": report.period_days,
        "currency": report.currency, "reminder_window_days": report.window_days,
        "tenants": [{"tenant": t, "source": s} for t, s in report.tenants],
        "skipped_currencies": report.skipped_currencies,
        "prescription": report.prescription,
    }
    for table in tables:
        if table.name == "summary":
            result["summary"] = {row[0]: plain(row[1]) for row in table.rows}
        else:
            result[table.name] = [{k: plain(v) for k, v in rec.items()} for rec in table.records()]
    return result


def write_json(report: Report, path: Path | None = None) -> str:
    text = json.dumps(report_dict(report), indent=2, ensure_ascii=False)
    if path is not None:
        path.write_text(text + "\n", encoding="utf-8")
    return text


def write_csv(report: Report, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in report_tables(report):
        path = directory / f"{table.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.keys)
            writer.writerows([["" if v is None else plain(v) for v in row] for row in table.rows])
        written.append(path)
    return written


def write_xlsx(report: Report, path: Path, language: str = "fr") -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    words = labels(language)
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    for table in report_tables(report):
        sheet = book.create_sheet(table.name)
        sheet.append([header(c, language) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            if table.name == "summary":  # a person reads the sheet: the indicator's name
                row = [words.get(row[0], row[0]), *row[1:]]
            sheet.append(list(row))  # Decimal is written exactly (its text), dates as dates
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(header(column, language)) + 2)
            number = MONEY_FORMAT if column.kind == "money" else (
                DECIMAL_FORMAT if column.kind in ("days", "percent") else None)
            if column.kind == "date":
                number = "yyyy-mm-dd"
            if number:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
