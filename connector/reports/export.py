"""The report's tables written for machines: JSON, one CSV per table, one XLSX sheet per table.

CSV is written for the spreadsheet that opens it: by default French Excel (`;`, decimal comma,
UTF-8 BOM, French headers, dd/mm/yyyy), or `excel-en`, or `plain` (machine keys, `1234.56`, ISO
dates) for scripts. XLSX headers and sheet names are in the report's language and amounts are
numbers with a money format, so a spreadsheet can sum them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import get_currency_symbol

from connector.formatting import LOCALES, indented_json
from connector.reports.build import Report
from connector.reports.labels import labels
from connector.reports.tables import Table, display, header, report_tables

DECIMAL_FORMAT = '#,##0.0'
PERCENT_FORMAT = '0.0" %"'  # the values are percents already (59.0), not fractions


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
            keys = table.keys
            result[table.name] = [dict(zip(keys, map(plain, row), strict=True))
                                  for row in table.rows]
    return result


def write_json(report: Report, path: Path | None = None) -> str:
    """The report as indented JSON (`formatting.indented_json`), written to `path` if given."""
    text = indented_json(report_dict(report))
    if path is not None:
        path.write_text(text + "\n", encoding="utf-8")
    return text


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV is written for the program that opens it."""

    delimiter: str
    decimal: str
    language: str | None
    """Headers and indicator names in this language; None: the machine keys."""
    bom: bool
    """Excel reads a file without a UTF-8 BOM as ANSI ("BÃ¢timent")."""
    date_format: str | None
    """strftime format; None: ISO 8601."""


# French Excel splits on ";" (the comma is its decimal mark) and needs the BOM to read UTF-8.
CSV_DIALECTS = {
    "excel-fr": CsvDialect(";", ",", "fr", True, "%d/%m/%Y"),
    "excel-en": CsvDialect(",", ".", "en", True, None),
    "plain": CsvDialect(",", ".", None, False, None),
}
DEFAULT_CSV_DIALECT = "excel-fr"


def _csv_value(value: Any, dialect: CsvDialect) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return str(value).replace(".", dialect.decimal)
    if isinstance(value, dt.date) and dialect.date_format:
        return value.strftime(dialect.date_format)
    return plain(value)


def write_csv(report: Report, directory: Path, dialect: str = DEFAULT_CSV_DIALECT) -> list[Path]:
    """One CSV per table. `excel-fr` (default) opens as columns in French Excel; `plain` keeps
    machine keys, ISO dates and dot decimals for scripts."""
    spec = CSV_DIALECTS[dialect]
    words = labels(spec.language) if spec.language else {}
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in report_tables(report):
        path = directory / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig" if spec.bom else "utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=spec.delimiter)
            writer.writerow(_headers(table, spec.language) if spec.language else table.keys)
            for row in table.rows:
                if table.name == "summary" and spec.language:
                    row = [words.get(row[0], row[0]), row[1], words.get(f"u_{row[2]}", row[2])]
                writer.writerow([_csv_value(v, spec) for v in row])
        written.append(path)
    return written


def _headers(table: Table, language: str) -> list[str]:
    """Column headings a person reads; the summary's first column holds the indicators' names."""
    names = [header(c, language) for c in table.columns]
    if table.name == "summary":
        names[0] = labels(language)["indicator"]
    return names


def sheet_title(table: Table, language: str) -> str:
    """The table's title as a sheet name: at most 31 characters, none of []:*?/\\."""
    title = labels(language).get(f"t_{table.name}", table.name)
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31].strip()


def _number_format(kind: str, currency: str, language: str) -> str | None:
    if kind == "money":
        symbol = get_currency_symbol(currency, locale=LOCALES.get(language, "fr_FR"))
        return f'#,##0.00 "{symbol}"' if language == "fr" else f'"{symbol}"#,##0.00'
    return {"days": DECIMAL_FORMAT, "percent": PERCENT_FORMAT, "count": "0",
            "date": "dd/mm/yyyy" if language == "fr" else "yyyy-mm-dd"}.get(kind)


def write_xlsx(report: Report, path: Path, language: str = "fr") -> Path:
    """A workbook a person opens: sheets named in their language, a frozen header row with
    filters, amounts as numbers in a money format, columns as wide as their contents."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    words = labels(language)
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    for table in report_tables(report):
        sheet = book.create_sheet(sheet_title(table, language))
        sheet.append(_headers(table, language))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            if table.name == "summary":  # a person reads the sheet: the indicator's name
                row = [words.get(row[0], row[0]), row[1], words.get(f"u_{row[2]}", row[2])]
            sheet.append(list(row))  # Decimal is written exactly (its text), dates as dates
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            kinds = [column.kind] * len(table.rows)
            if column.kind == "unit":  # the summary's values: each row has its own unit
                kinds = [row[table.keys.index("unit")] for row in table.rows]
            widths = [len(header(column, language)) + 4]  # room for the filter button
            for (cell,), kind in zip(sheet.iter_rows(min_row=2, min_col=index, max_col=index),
                                     kinds, strict=True):
                number = _number_format(kind, report.currency, language)
                if number:
                    cell.number_format = number
                widths.append(len(display(kind if column.kind != "text" else "text",
                                          cell.value, report.currency, language)) + 2)
            sheet.column_dimensions[letter].width = min(max(10, *widths), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
