"""Reading the files people keep (CSV and XLSX tables, FEC text files) the way French software
writes them: encodings detected, French numbers ("1 234,56 €") and dates ("15/01/2026").

Shared by the file sources (fec/, spreadsheet/) and `relance import inspect`. Every row keeps
its line number so a rejected one is named as `file:line`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from connector.errors import ConfigError

_MONTHS = {"janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5,
           "juin": 6, "juillet": 7, "aout": 8, "août": 8, "septembre": 9, "octobre": 10,
           "novembre": 11, "decembre": 12, "décembre": 12}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_WORD_DATE = re.compile(r"^(\d{1,2})(?:er)?\s+([a-zéû]+)\.?\s+(\d{4})$")


@dataclass(frozen=True)
class Row:
    """One data row of a table: its cells by header, and where it came from."""

    file: str
    line: int
    cells: dict[str, str]

    @property
    def where(self) -> str:
        """`name:line`, as rejections are stored (the store keeps 128 characters)."""
        return f"{Path(self.file).name}:{self.line}"


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was written in. UTF-8 (with or without BOM)
    fails loudly on Latin bytes, so a file that decodes as UTF-8 is UTF-8. Otherwise bytes
    0x80-0x9F are printable only in Windows-1252 (€, œ, ’ as Excel and Windows packages write
    them) and control characters in ISO 8859-15 (the FEC's own encoding, € at 0xA4): their
    presence picks Windows-1252, their absence ISO 8859-15."""
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    if any(0x80 <= byte <= 0x9F for byte in data):
        return data.decode("cp1252", errors="replace"), "cp1252"
    return data.decode("iso-8859-15"), "iso-8859-15"


def read_table(path: Path) -> tuple[list[str], list[Row]]:
    """Headers and rows of a CSV (`;`, `,`, tab or `|`, sniffed) or XLSX file (first sheet)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    text, _ = decode(path.read_bytes())
    return read_delimited(text, str(path))


def read_delimited(text: str, name: str, delimiter: str | None = None) -> tuple[list[str],
                                                                                list[Row]]:
    lines = text.splitlines()
    if not lines:
        return [], []
    if delimiter is None:
        delimiter = sniff_delimiter(lines[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows: list[Row] = []
    for values in reader:
        if not headers:
            headers = [h.strip() for h in values]
            continue
        if not any(v.strip() for v in values):
            continue
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(headers)}
        rows.append(Row(name, reader.line_num, cells))
    return headers, rows


def sniff_delimiter(header: str) -> str:
    """The separator of a header line: the most frequent of `;` `\\t` `|` `,`."""
    counts = {sep: header.count(sep) for sep in (";", "\t", "|", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


def _read_xlsx(path: Path) -> tuple[list[str], list[Row]]:
    import openpyxl  # imported here: only XLSX needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise ConfigError(f"not a readable XLSX workbook: {exc}", file=str(path)) from exc
    try:
        sheet = book.worksheets[0]
        headers: list[str] = []
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [_cell_text(v) for v in values]
            if not headers:
                headers = [h.strip() for h in texts]
                continue
            if not any(texts):
                continue
            cells = {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(headers)}
            rows.append(Row(str(path), number, cells))
        return headers, rows
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return str(value).strip()


def parse_amount(text: str) -> Decimal:
    """'1 234,56 €', '1.234,56', '-12,5', '1234.56', '(12,00)' → Decimal; else ValueError."""
    raw = text.strip()
    negative = raw.startswith("(") and raw.endswith(")")
    raw = re.sub(r"(\d)\s*€\s*(\d)", r"\1,\2", raw)  # "12€50" is how people write 12,50 €
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", raw.strip("()"))
    cleaned = re.sub(r"^(?:[€$£]|EUR|USD|GBP|CHF)|(?:[€$£]|EUR|USD|GBP|CHF)$", "", cleaned)
    if cleaned.endswith("-"):  # some packages write the sign last
        cleaned = "-" + cleaned[:-1]
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        if cleaned.count(",") > 1:
            raise ValueError(f"not an amount: {text!r}")
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern above lets none through
        raise ValueError(f"not an amount: {text!r}") from None
    return -amount if negative else amount


def parse_date(text: str) -> dt.date:
    """'15/01/2026', '15/01/26', '15.01.2026', '2026-01-15', '20260115', '15 janvier 2026'."""
    raw = text.strip().lower()
    try:
        if re.fullmatch(r"\d{8}", raw):
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ t].*)?", raw):
            return dt.date.fromisoformat(raw[:10])
        match = _NUMERIC_DATE.match(raw)
        if match:
            year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
            return dt.date(year, int(match[2]), int(match[1]))
        match = _WORD_DATE.match(raw)
        if match and match[2] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except ValueError:
        pass
    raise ValueError(f"not a date: {text!r} (expected e.g. 15/01/2026 or 2026-01-15)")


def files_in(path: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """A file, or the files of a folder with one of `suffixes`, in name order; files being
    written by a copy (hidden, `~$` Office locks, `.part`, `.tmp`) are left for the next run."""
    if path.is_file():
        yield path
        return
    for child in sorted(path.iterdir()):
        name = child.name
        if not child.is_file() or name.startswith((".", "~$")) \
                or name.endswith((".part", ".tmp", ".crdownload")):
            continue
        if child.suffix.lower() in suffixes:
            yield child


def fold(text: str) -> str:
    """A header as compared: lower case, no accents, words separated by one space."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def guess_columns(headers: list[str], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """field → header, from French or English header names: an exact synonym first, then a
    header that contains one; each header is used once, fields in the order of `synonyms`."""
    folded = {h: fold(h) for h in headers if h}
    found: dict[str, str] = {}
    for exact in (True, False):
        for name, words in synonyms.items():
            if name in found:
                continue
            for header, plain in folded.items():
                if header in found.values():
                    continue
                if any(plain == w if exact else f" {w} " in f" {plain} " for w in words):
                    found[name] = header
                    break
    return found
