"""`kind = "spreadsheet"`: the invoice list a small company keeps in Excel or a CSV file.

The file (or a folder of them, e.g. a shared folder) is read again on each run; the columns are
named in `[source.columns]` (`relance import inspect FILE` proposes them). Dates and amounts
are read as French spreadsheets write them (15/01/2026, 1 234,56 €), ISO and English too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from pydantic import field_validator

from connector.adapters.base import (
    AdapterContext,
    BaseAdapter,
    Capabilities,
    Cursor,
    Page,
    SourceConfig,
    SourceInfo,
)
from connector.adapters.files import digest, increment, unchanged
from connector.adapters.spreadsheet.mapping import Columns, Sheet, customer_key, read_sheet
from connector.adapters.tables import Row, files_in, read_table
from connector.errors import ConfigError, TransientError
from connector.models import Customer, Invoice, check_currency
from connector.rules.terms import EndOfMonthRule, PaymentTerms

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")


class SpreadsheetConfig(SourceConfig):
    kind: str = "spreadsheet"
    path: Path
    """A CSV/XLSX file or a folder of them (relative to the configuration's folder)."""
    columns: Columns
    currency: str = "EUR"
    default_terms: str = "30 jours"
    end_of_month_rule: EndOfMonthRule = "add_then_end"
    customer_terms: dict[str, str] = {}

    @field_validator("default_terms")
    @classmethod
    def _terms(cls, value: str) -> str:
        PaymentTerms.parse(value)
        return value

    @field_validator("customer_terms")
    @classmethod
    def _each_terms(cls, value: dict[str, str]) -> dict[str, str]:
        for customer, text in value.items():
            try:
                PaymentTerms.parse(text)
            except ValueError as exc:
                raise ValueError(f"{customer}: {exc}") from None
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)


class SpreadsheetAdapter(BaseAdapter):
    kind: ClassVar[str] = "spreadsheet"
    config_model: ClassVar[type[SourceConfig]] = SpreadsheetConfig
    capabilities: Capabilities = Capabilities()

    def __init__(self, config: SpreadsheetConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.config: SpreadsheetConfig = config
        base = Path(context.state_dir)
        self.path = config.path if config.path.is_absolute() else base / config.path
        rule = config.end_of_month_rule
        self.default_terms = PaymentTerms.parse(config.default_terms, rule)
        self.terms = {customer_key(k): PaymentTerms.parse(v, rule)
                      for k, v in config.customer_terms.items()}
        self._cache: tuple[object, str, Sheet] | None = None
        self._digests: dict[str, object] = {}

    def _digest(self) -> tuple[list[Path], object, str]:
        """The inputs, their stamp and the digest of their content (nothing parsed)."""
        if not self.path.exists():
            raise TransientError(f"spreadsheet {self.path} not found (a shared folder not "
                                 f"mounted?)")
        inputs = list(files_in(self.path, SUFFIXES))
        if not inputs:
            raise TransientError(f"no CSV/XLSX file in {self.path}: nothing read, nothing "
                                 f"dropped")
        stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in inputs)
        if self._digests.get("stamp") != stamp:
            self._digests = {"stamp": stamp,
                             "digest": digest(inputs, self.config.model_dump_json())}
        return inputs, stamp, str(self._digests["digest"])

    def _read(self) -> tuple[str, Sheet]:
        inputs, stamp, source_digest = self._digest()
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1], self._cache[2]
        rows: list[Row] = []
        for path in inputs:
            headers, found = read_table(path)
            missing = [h for h in (self.config.columns.customer, self.config.columns.amount)
                       if h not in headers]
            if missing:
                raise ConfigError(f"{path}: no column {missing[0]!r} (headers: "
                                  f"{', '.join(headers)}); see `relance import inspect`",
                                  key="source.columns")
            rows.extend(found)
        sheet = read_sheet(rows, self.config.columns, self._terms_of, self.config.currency)
        self._cache = (stamp, source_digest, sheet)
        return source_digest, sheet

    def _terms_of(self, customer: str) -> PaymentTerms:
        return self.terms.get(customer_key(customer), self.default_terms)

    def check(self) -> SourceInfo:
        _, sheet = self._read()
        warnings = [f"{len(sheet.rejected)} row(s) rejected, first: {sheet.rejected[0][0]}: "
                    f"{sheet.rejected[0][1]}"] if sheet.rejected else []
        return SourceInfo(kind="spreadsheet", url=str(self.path), version=None,
                          user=f"{len(sheet.invoices)} invoices", warnings=warnings)

    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        if unchanged(since, self._digest()[2]):
            yield Page([], dict(since or {}))
            return
        source_digest, sheet = self._read()
        records = [sheet.customers[k] for k in sorted(sheet.customers)]
        yield from increment(records, since, source_digest)

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        if unchanged(since, self._digest()[2]):
            yield Page([], dict(since or {}))
            return
        source_digest, sheet = self._read()
        yield from increment(sheet.invoices, since, source_digest, sheet.rejected)

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        if not invoice_ids:
            return []
        _, sheet = self._read()
        wanted = set(invoice_ids)
        return [i for i in sheet.invoices if i.external_id in wanted]
