"""The FEC file format (fichier des écritures comptables, art. A47 A-1 of the Livre des
procédures fiscales; BOI-CF-IOR-60-40-20): one accounting line per record.

What the format says, and what this reader does with it:
- a flat file, records separated by CR and/or LF, the first record naming the 18 fields;
  the field separator is a tab or `|`, unique in the file (so lines are split, never "quoted");
- the 18 fields in order: JournalCode JournalLib EcritureNum EcritureDate CompteNum CompteLib
  CompAuxNum CompAuxLib PieceRef PieceDate EcritureLib Debit Credit EcritureLet DateLet
  ValidDate Montantdevise Idevise; the format allows `Montant` + `Sens` (D/C, or +1/-1) in place
  of Debit/Credit, which is read too; headers are matched without regard to case;
- dates AAAAMMJJ (some packages add a time, which is ignored); amounts with a decimal comma and
  no thousands separator (a decimal point is accepted too);
- encoding: ISO 8859-15 or ASCII in the text, UTF-8 in practice for recent packages: detected
  (connector.adapters.tables.decode);
- the file name SIRENFECAAAAMMJJ, AAAAMMJJ being the closing date of the fiscal year: two exports
  of one period have the same SIREN and date, which is how a re-export replaces an older one.

A line that cannot be read is returned as a rejection naming `file:line` and the reason; the
other lines go on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from connector.adapters.tables import decode, parse_amount

FIELDS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
          "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
          "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")
_REQUIRED = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum")
_NAME = re.compile(r"^(?P<siren>\d{9})FEC(?P<closing>\d{8})", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True)
class FecLine:
    """One accounting line; `debit`/`credit` in the books' currency (EUR)."""

    file: str
    line: int
    journal: str
    journal_lib: str
    entry: str
    entry_date: dt.date
    account: str
    account_lib: str
    aux: str
    aux_lib: str
    piece_ref: str
    piece_date: dt.date | None
    label: str
    debit: Decimal
    credit: Decimal
    letter: str
    letter_date: dt.date | None
    currency_amount: Decimal | None
    currency: str

    @property
    def where(self) -> str:
        return f"{Path(self.file).name}:{self.line}"


@dataclass
class FecFile:
    """What one file holds: its customer-relevant lines, every entry's accounts, rejections."""

    path: Path
    siren: str | None
    closing: dt.date | None
    encoding: str
    lines: list[FecLine] = field(default_factory=list)
    accounts: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(journal, entry) → the account numbers of all its lines: tells a sale from a payment."""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(file:line, reason)."""
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    cut: bool = False
    """The last line is malformed and has no line end: the file is still being written."""

    @property
    def period(self) -> tuple[str, str]:
        """Two exports with the same period: the newer is the truth."""
        if self.siren and self.closing:
            return self.siren, self.closing.isoformat()
        return "", self.path.name


def fec_date(text: str) -> dt.date:
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(f"date {text.strip()!r} is not AAAAMMJJ")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValueError(f"date {text.strip()!r} is not AAAAMMJJ ({exc})") from None


def _optional_date(text: str) -> dt.date | None:
    return fec_date(text) if text.strip() else None


def _amount(text: str, name: str) -> Decimal:
    if not text.strip():
        return Decimal(0)
    try:
        return parse_amount(text)
    except ValueError:
        raise ValueError(f"{name} {text.strip()!r} is not an amount") from None


def read_fec(path: Path, keep: tuple[str, ...]) -> FecFile:
    """Read one FEC; lines on accounts starting with one of `keep` are kept in full."""
    text, encoding = decode(path.read_bytes())
    name = path.name  # rejections name the file as `name:line` (the store keeps 128 characters)
    named = _NAME.match(path.name)
    closing = None
    if named:
        try:
            closing = fec_date(named["closing"])
        except ValueError:
            closing = None
    fec = FecFile(path, named["siren"] if named else None, closing, encoding)
    records = text.splitlines()
    if not records:
        fec.rejected.append((f"{name}:1", "empty file"))
        return fec
    header = records[0]
    separator = "\t" if header.count("\t") >= header.count("|") else "|"
    names = [h.strip().lower() for h in header.split(separator)]
    index = {n: i for i, n in enumerate(names)}
    missing = [f for f in _REQUIRED if f.lower() not in index]
    amounts = ("debit" in index and "credit" in index) or ("montant" in index
                                                            and "sens" in index)
    if missing or not amounts:
        what = ", ".join(missing) if missing else "Debit/Credit (or Montant/Sens)"
        fec.rejected.append((f"{name}:1", f"not a FEC header (tab or | separated): "
                             f"missing {what}"))
        return fec
    for number, record in enumerate(records[1:], start=2):
        if not record.strip():
            continue
        values = record.split(separator)
        if len(values) != len(names):
            fec.rejected.append((f"{name}:{number}", f"{len(values)} fields where the header "
                                 f"has {len(names)}"))
            continue
        cells = {n: values[i].strip() for n, i in index.items()}
        try:
            _take(fec, cells, number, keep)
        except ValueError as exc:
            fec.rejected.append((f"{name}:{number}", str(exc)))
    last = f"{name}:{len(records)}"
    fec.cut = not text.endswith(("\n", "\r")) and any(w == last for w, _ in fec.rejected)
    return fec


def _take(fec: FecFile, cells: dict[str, str], number: int, keep: tuple[str, ...]) -> None:
    def get(name: str) -> str:
        return cells.get(name.lower(), "")

    journal, entry, account = get("JournalCode"), get("EcritureNum"), get("CompteNum")
    if not journal or not entry or not account:
        raise ValueError("JournalCode, EcritureNum and CompteNum are required")
    if not account[:3].isdigit():
        raise ValueError(f"CompteNum {account!r} does not start with three digits")
    day = fec_date(get("EcritureDate"))
    fec.first_date = min(fec.first_date or day, day)
    fec.last_date = max(fec.last_date or day, day)
    fec.accounts.setdefault((journal, entry), set()).add(account)
    if not account.startswith(keep):
        return
    if "montant" in cells and "sens" in cells and "debit" not in cells:
        amount = _amount(get("Montant"), "Montant")
        sense = get("Sens").upper()
        if sense not in ("D", "C", "+1", "-1", "1"):
            raise ValueError(f"Sens {get('Sens')!r} is neither D nor C")
        debit, credit = (amount, Decimal(0)) if sense in ("D", "+1", "1") else (Decimal(0),
                                                                                  amount)
    else:
        debit, credit = _amount(get("Debit"), "Debit"), _amount(get("Credit"), "Credit")
    currency_text = get("Montantdevise")
    currency_amount = _amount(currency_text, "Montantdevise") if currency_text else None
    currency = get("Idevise").upper()
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise ValueError(f"Idevise {currency!r} is not an ISO 4217 code")
    fec.lines.append(FecLine(
        file=str(fec.path), line=number, journal=journal, journal_lib=get("JournalLib"),
        entry=entry, entry_date=day, account=account, account_lib=get("CompteLib"),
        aux=get("CompAuxNum"), aux_lib=get("CompAuxLib"), piece_ref=get("PieceRef"),
        piece_date=_optional_date(get("PieceDate")), label=get("EcritureLib"), debit=debit,
        credit=credit, letter=get("EcritureLet"), letter_date=_optional_date(get("DateLet")),
        currency_amount=currency_amount, currency=currency))
