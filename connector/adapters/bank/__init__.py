"""Bank statements as files: CAMT.053 (ISO 20022), OFX and bank CSV exports, read into the credits
they report (`BankCredit`). Not an accounting source: any source's tenant can add statements.

A malformed entry is reported with its place in the file and skipped; the rest is read.
"""

from __future__ import annotations

from pathlib import Path

from connector.adapters.bank.csvfile import CsvMapping, read_csv
from connector.adapters.bank.statement import Statement
from connector.errors import ConfigError

SUFFIXES = (".xml", ".camt", ".053", ".ofx", ".qfx", ".csv", ".txt")
__all__ = ["SUFFIXES", "CsvMapping", "Statement", "read_statement", "sniff"]


def sniff(data: bytes) -> str:
    """camt, ofx or csv, from the content (banks name their files freely)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"ofxheader" in head or b"<ofx>" in head:
        return "ofx"
    if head.startswith(b"<"):
        return "camt"
    return "csv"


def read_statement(path: Path, mapping: CsvMapping | None = None) -> Statement:
    """Every credit of one file; ConfigError when the file as a whole cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the bank statement: {exc}", file=str(path)) from None
    kind = sniff(data)
    statement = Statement(str(path), kind)
    if kind == "camt":
        from connector.adapters.bank.camt import read_camt
        read_camt(data, statement)
    elif kind == "ofx":
        from connector.adapters.bank.ofx import read_ofx
        read_ofx(data, statement)
    else:
        read_csv(data, mapping or CsvMapping(), statement)
    return statement
