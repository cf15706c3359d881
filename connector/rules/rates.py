"""Dated rate tables: the ECB main refinancing rate and both legal interest rates, per half-year.

The built-in table (rules/data/rates.toml) can be completed by a firm's own file (`rates_file` in
[penalties]), validated the same way, so a newly published arrêté needs no upgrade. A half-year
whose official value is not in either file is *provisional*: it reuses the last known value and
says so (letters write "taux provisoire"; `status` and `rules check` name the half-year). Lookups
never raise: a missing value is a provisional one, never an exception at render time.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connector.errors import ConfigError

RATES_FILE = Path(__file__).with_name("data") / "rates.toml"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: dt.date = Field(alias="from")
    source: str = Field(min_length=3)
    """Where the figure comes from (arrêté with its date and JO reference, ECB decision)."""


class EcbRow(_Row):
    rate: Decimal = Field(ge=-2, le=25)


class LegalRow(_Row):
    individual: Decimal = Field(ge=0, le=30)
    other: Decimal = Field(ge=0, le=30)
    provisional: bool = False

    @field_validator("start")
    @classmethod
    def _half_year(cls, value: dt.date) -> dt.date:
        if (value.month, value.day) not in ((1, 1), (7, 1)):
            raise ValueError("a legal rate starts on 1 January or 1 July")
        return value


class RatesDocument(BaseModel):
    """One rates file: extra keys are refused, like the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ecb_checked_until: dt.date | None = None
    ecb: list[EcbRow] = []
    legal: list[LegalRow] = []


@dataclass(frozen=True)
class HalfYear:
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, day: dt.date) -> HalfYear:
        if day.month <= 6:
            return cls(dt.date(day.year, 1, 1), dt.date(day.year, 6, 30))
        return cls(dt.date(day.year, 7, 1), dt.date(day.year, 12, 31))

    @property
    def label(self) -> str:
        """"2026-S2" (semestre): short, the same in French and English messages."""
        return f"{self.start.year}-S{1 if self.start.month == 1 else 2}"

    @property
    def label_fr(self) -> str:
        return f"{'1er' if self.start.month == 1 else '2nd'} semestre {self.start.year}"

    def next(self) -> HalfYear:
        return HalfYear.of(self.end + dt.timedelta(days=1))


@dataclass(frozen=True)
class Rate:
    value: Decimal  # percent a year
    provisional: bool
    source: str


@dataclass(frozen=True)
class RateTables:
    ecb: tuple[EcbRow, ...]  # sorted by start
    legal: tuple[LegalRow, ...]  # sorted by start, one per half-year
    ecb_checked_until: dt.date
    files: tuple[str, ...]

    def ecb_for(self, half: HalfYear) -> Rate:
        """The ECB rate in force on the first day of the half-year (L. 441-10 II C. com.)."""
        rows = [r for r in self.ecb if r.start <= half.start] or list(self.ecb[:1])
        row = rows[-1]
        provisional = half.start > self.ecb_checked_until or row.start > half.start
        return Rate(row.rate, provisional, row.source)

    def legal_for(self, half: HalfYear, *, individual: bool = False) -> Rate:
        rows = [r for r in self.legal if r.start <= half.start] or list(self.legal[:1])
        row = rows[-1]
        provisional = row.provisional or row.start != half.start
        return Rate(row.individual if individual else row.other, provisional, row.source)

    # the older, day-based accessors (templates quote "the rate in force today")
    def ecb_on(self, day: dt.date) -> Decimal:
        rows = [r for r in self.ecb if r.start <= day] or list(self.ecb[:1])
        return rows[-1].rate

    def legal_on(self, day: dt.date, *, individual: bool = False) -> Decimal:
        return self.legal_for(HalfYear.of(day), individual=individual).value

    def provisional_half_years(self, start: dt.date, end: dt.date) -> list[HalfYear]:
        """Half-years of [start, end] for which the ECB or a legal rate is provisional."""
        found: list[HalfYear] = []
        half = HalfYear.of(start)
        while half.start <= end:
            if self.ecb_for(half).provisional or self.legal_for(half).provisional:
                found.append(half)
            half = half.next()
        return found

    def provisional(self, day: dt.date) -> bool:
        return bool(self.provisional_half_years(day, day))

    @property
    def first_day(self) -> dt.date:
        return max(self.ecb[0].start, self.legal[0].start)


def provisional_text(halves: list[HalfYear], rates: RateTables) -> str:
    """The warning `status` and `rules check` print, naming the provisional half-years."""
    listed = ", ".join(h.label for h in halves)
    return (f"provisional rates for {listed} (official value not in {', '.join(rates.files)}): "
            f"messages say \"taux provisoire\"; add the published rate with its source, or name "
            f"a file with `penalties.rates_file`")


def _parse(path: Path) -> RatesDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the rates file: {exc.strerror}", file=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None
    try:
        return RatesDocument.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        key = ".".join(loc)
        line = _line_of(text, loc)
        raise ConfigError(f"{error['msg']}", file=str(path), key=key, line=line) from None


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line of the n-th [[table]] (and its key) named by a validation location."""
    if len(loc) < 2 or not loc[1].isdigit():
        return None
    seen, index = -1, int(loc[1])
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*\[\[{re.escape(loc[0])}\]\]", line):
            seen += 1
        elif seen == index and len(loc) > 2 and re.match(rf"\s*{re.escape(loc[2])}\s*=", line):
            return number
        elif seen > index:
            return number - 1
    return None


def _merge(base: RatesDocument, extra: RatesDocument, name: str) -> RatesDocument:
    """`extra` adds rows, and replaces the built-in row of the same date (a provisional one)."""
    ecb = {r.start: r for r in base.ecb} | {r.start: r for r in extra.ecb}
    legal = {r.start: r for r in base.legal} | {r.start: r for r in extra.legal}
    checked = max(d for d in (base.ecb_checked_until, extra.ecb_checked_until) if d is not None)
    return RatesDocument(ecb_checked_until=checked, ecb=[ecb[k] for k in sorted(ecb)],
                         legal=[legal[k] for k in sorted(legal)])


@lru_cache(maxsize=8)
def load_rates(path: Path = RATES_FILE, extra: Path | None = None) -> RateTables:
    """The built-in tables, completed by `extra` (the firm's `rates_file`) when given."""
    document = _parse(path)
    files = [str(path)]
    if extra is not None:
        document = _merge(document, _parse(extra), str(extra))
        files.append(str(extra))
    if not document.ecb or not document.legal or document.ecb_checked_until is None:
        raise ConfigError("the rates file needs [[ecb]], [[legal]] rows and ecb_checked_until",
                          file=str(path))
    return RateTables(ecb=tuple(sorted(document.ecb, key=lambda r: r.start)),
                      legal=tuple(sorted(document.legal, key=lambda r: r.start)),
                      ecb_checked_until=document.ecb_checked_until, files=tuple(files))
