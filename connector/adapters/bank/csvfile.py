"""Bank CSV exports: the columns French banks use (Date, Libellé, Débit, Crédit, a decimal comma,
`;` between fields, often a few lines about the account before the header), mapped in the config.

A line has no bank reference: its reference is a hash of what it says (date, wording, amount) and
of how many identical lines came before it in the file, so that re-importing the same export, or
a later one that overlaps it, stores each credit once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from connector.adapters.bank.statement import Statement
from connector.errors import ConfigError
from connector.models import BankCredit


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what (names as in the file's header, compared without case)."""

    date: str = "Date"
    label: str = "Libellé"
    credit: str = "Crédit"
    debit: str = "Débit"
    amount: str = ""
    """A single signed amount column instead of Débit/Crédit (credits are positive)."""
    payer: str = ""
    value_date: str = ""
    date_format: str = "%d/%m/%Y"
    decimal: str = ","
    delimiter: str = ""
    """"" guesses among `;`, `,` and tab."""
    encoding: str = ""
    """"" reads UTF-8, else Windows-1252 (what most French bank exports use)."""
    currency: str = "EUR"
    account: str = ""
    """The account the export is for (shown with the match; CSV files rarely say)."""


def read_csv(data: bytes, mapping: CsvMapping, statement: Statement) -> None:
    text = _decode(data, mapping, statement.file)
    lines = text.splitlines()
    header_at = _header_line(lines, mapping)
    if header_at is None:
        raise ConfigError(f"no header line with the columns {mapping.date!r} and "
                          f"{mapping.label!r} (set [bank.csv] to the file's column names)",
                          file=statement.file)
    delimiter = mapping.delimiter or _guess_delimiter(lines[header_at])
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    seen: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(reader, start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        try:
            credit = _credit(cells, mapping)
        except (ValueError, ValidationError) as exc:
            statement.rejects.append(f"{statement.file}:{number}: {_reason(exc)}")
            continue
        if credit is None:
            continue
        day, label, amount = credit
        identity = (day.isoformat(), label, str(amount))
        seen[identity] = occurrence = seen.get(identity, 0) + 1
        digest = hashlib.sha256("\x1f".join((*identity, str(occurrence))).encode()).hexdigest()
        try:
            statement.credits.append(BankCredit(
                reference=f"csv:{mapping.account}:{digest[:40]}", account=mapping.account,
                date=day, value_date=_date(cells.get(mapping.value_date.lower(), ""), mapping)
                if mapping.value_date else None,
                amount=amount, currency=mapping.currency,
                payer=cells.get(mapping.payer.lower(), "") if mapping.payer else "", text=label))
        except (ValueError, ValidationError) as exc:
            statement.rejects.append(f"{statement.file}:{number}: {_reason(exc)}")


def _credit(cells: dict[str, str], mapping: CsvMapping) -> tuple[dt.date, str, Decimal] | None:
    """(date, wording, amount) for a credit line; None for a debit or an empty amount."""
    day = _date(cells.get(mapping.date.lower(), ""), mapping)
    label = " ".join(cells.get(mapping.label.lower(), "").split())
    if mapping.amount:
        amount = _amount(cells.get(mapping.amount.lower(), ""), mapping)
    else:
        amount = _amount(cells.get(mapping.credit.lower(), ""), mapping)
        if amount is None and _amount(cells.get(mapping.debit.lower(), ""), mapping) is None:
            raise ValueError("neither a debit nor a credit amount")
    if amount is None or amount <= 0:
        return None
    return day, label, amount


def _date(text: str, mapping: CsvMapping) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), mapping.date_format).date()
    except ValueError:
        raise ValueError(f"not a date as {mapping.date_format}: {text!r}") from None


def _amount(text: str, mapping: CsvMapping) -> Decimal | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text)
    if not cleaned:
        return None
    if mapping.decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def _decode(data: bytes, mapping: CsvMapping, file: str) -> str:
    if mapping.encoding:
        try:
            return data.decode(mapping.encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ConfigError(f"cannot read the file as {mapping.encoding}: {exc}",
                              file=file) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_line(lines: list[str], mapping: CsvMapping) -> int | None:
    wanted = (mapping.date.lower(), mapping.label.lower())
    for number, line in enumerate(lines[:30]):
        cells = [c.strip().strip('"').lower() for c in re.split(r"[;,\t]", line)]
        if all(name in cells for name in wanted):
            return number
    return None


def _guess_delimiter(header: str) -> str:
    return max(";,\t", key=header.count)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"])
    return str(exc)
