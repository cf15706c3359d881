"""`kind = "fec"`: the books of any French accounting package, read from its FEC export.

Format: art. A47 A-1 LPF, https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000027804775
(and BOI-CF-IOR-60-40-20). A FEC file or a folder of them (one per fiscal year, or re-exported
each month into a shared folder) plus a contacts file; each run re-reads them and hands over
what changed (connector.adapters.files). Nothing is written back: the FEC is an export.
"""

from __future__ import annotations

import re
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
from connector.adapters.fec.contacts import Contacts, read_contacts
from connector.adapters.fec.ledger import Ledger, active_files, build
from connector.adapters.fec.parse import FecFile, read_fec
from connector.adapters.files import digest, increment, unchanged
from connector.adapters.tables import files_in
from connector.errors import ConfigError, TransientError
from connector.models import Customer, Invoice, Payment
from connector.rules.terms import EndOfMonthRule, PaymentTerms

SUFFIXES = (".txt", ".csv", ".tsv", ".fec", "")


class FecConfig(SourceConfig):
    kind: str = "fec"
    path: Path
    """A FEC file, or a folder of them (relative paths start at the configuration's folder)."""
    contacts: Path | None = None
    customer_accounts: list[str] = ["411"]
    default_terms: str = "30 jours"
    end_of_month_rule: EndOfMonthRule = "add_then_end"
    customer_terms: dict[str, str] = {}
    due_date_pattern: str | None = None
    opening_journals: list[str] = ["AN", "RAN", "ANO"]

    @field_validator("default_terms")
    @classmethod
    def _terms(cls, value: str) -> str:
        PaymentTerms.parse(value)
        return value

    @field_validator("customer_terms")
    @classmethod
    def _each_terms(cls, value: dict[str, str]) -> dict[str, str]:
        for account, text in value.items():
            try:
                PaymentTerms.parse(text)
            except ValueError as exc:
                raise ValueError(f"{account}: {exc}") from None
        return value

    @field_validator("due_date_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compiled = re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
            if compiled.groups < 1:
                raise ValueError("the pattern needs a group around the date, e.g. "
                                 "'[ée]ch[.:]? *(\\d{2}/\\d{2}/\\d{4})'")
        return value


class FecAdapter(BaseAdapter):
    kind: ClassVar[str] = "fec"
    config_model: ClassVar[type[SourceConfig]] = FecConfig
    capabilities: Capabilities = Capabilities(payments=True)

    def __init__(self, config: FecConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.config: FecConfig = config
        base = Path(context.state_dir)
        self.path = config.path if config.path.is_absolute() else base / config.path
        self.contacts_path = None if config.contacts is None else (
            config.contacts if config.contacts.is_absolute() else base / config.contacts)
        self._cache: tuple[object, str, Ledger, Contacts] | None = None
        self._digests: dict[str, object] = {}

    # -- reading --------------------------------------------------------------------------
    def _inputs(self) -> list[Path]:
        if not self.path.exists():
            raise TransientError(f"FEC path {self.path} not found (a shared folder not "
                                 f"mounted?)")
        contacts = self.contacts_path.resolve() if self.contacts_path else None
        # the contacts file may sit in the FEC folder: it is not a FEC
        found = [p for p in files_in(self.path, SUFFIXES) if p.resolve() != contacts]
        if not found:
            raise TransientError(f"no FEC file in {self.path}: nothing read, nothing dropped")
        if self.contacts_path is not None:
            if not self.contacts_path.is_file():
                raise ConfigError(f"contacts file {self.contacts_path} not found",
                                  key="source.contacts")
            found.append(self.contacts_path)
        return found

    def _digest(self) -> tuple[list[Path], object, str]:
        """The inputs, their stamp (size, modification time) and the digest of their content:
        what tells a cursor that nothing changed, without parsing anything."""
        inputs = self._inputs()
        stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in inputs)
        if self._digests.get("stamp") != stamp:
            self._digests = {"stamp": stamp,
                             "digest": digest(inputs, self.config.model_dump_json())}
        return inputs, stamp, str(self._digests["digest"])

    def _read(self) -> tuple[str, Ledger, Contacts]:
        inputs, stamp, source_digest = self._digest()
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1], self._cache[2], self._cache[3]
        # an older export of a period is not read, so its lines are neither used nor reported
        files = active_files([read_fec(p, tuple(self.config.customer_accounts))
                              for p in inputs if p != self.contacts_path])
        for fec in files:
            _whole_or_wait(fec)
        names: dict[str, str] = {}
        for fec in files:
            for line in fec.lines:
                names.setdefault(line.aux or line.account, line.aux_lib or line.account_lib)
        contacts = Contacts() if self.contacts_path is None else read_contacts(
            self.contacts_path, names)
        ledger = build(files, opening_journals=tuple(j.upper() for j in
                                                     self.config.opening_journals),
                       terms_of=self._terms_resolver(contacts),
                       due_pattern=re.compile(self.config.due_date_pattern)
                       if self.config.due_date_pattern else None)
        ledger.rejected[:0] = [r for fec in files for r in fec.rejected]
        self._cache = (stamp, source_digest, ledger, contacts)
        return source_digest, ledger, contacts

    def _terms_resolver(self, contacts: Contacts) -> _Terms:
        return _Terms(self.config, contacts)

    # -- the protocol ---------------------------------------------------------------------
    def check(self) -> SourceInfo:
        _, ledger, contacts = self._read()
        files = [p for p in files_in(self.path, SUFFIXES)]
        warnings = []
        if ledger.rejected:
            warnings.append(f"{len(ledger.rejected)} FEC line(s) rejected, first: "
                            f"{ledger.rejected[0][0]}: {ledger.rejected[0][1]}")
        if self.contacts_path is None:
            warnings.append("no contacts file: customers have no e-mail address")
        return SourceInfo(kind="fec", url=str(self.path), version=f"{len(files)} file(s)",
                          user=f"{len(ledger.invoices)} invoices, "
                               f"{len(contacts.customers)} contacts", warnings=warnings)

    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        if unchanged(since, self._digest()[2]):
            yield Page([], dict(since or {}))
            return
        source_digest, ledger, contacts = self._read()
        merged = dict(contacts.customers)
        for account, name in ledger.names.items():
            if account not in merged:
                merged[account] = Customer(external_id=account, name=name or account)
        records = [merged[k] for k in sorted(merged)]
        yield from increment(records, since, source_digest, contacts.rejected)

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        if unchanged(since, self._digest()[2]):
            yield Page([], dict(since or {}))
            return
        source_digest, ledger, _ = self._read()
        yield from increment(ledger.invoices, since, source_digest, ledger.rejected)

    def payments(self, since: Cursor | None) -> Iterator[Page[Payment]]:
        if unchanged(since, self._digest()[2]):
            yield Page([], dict(since or {}))
            return
        source_digest, ledger, _ = self._read()
        yield from increment(ledger.payments, since, source_digest)

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        if not invoice_ids:
            return []
        _, ledger, _ = self._read()
        wanted = set(invoice_ids)
        return [i for i in ledger.invoices if i.external_id in wanted]


class _Terms:
    """The payment terms of a customer: the configuration's, the contacts file's, the default."""

    def __init__(self, config: FecConfig, contacts: Contacts) -> None:
        rule = config.end_of_month_rule
        self.default = PaymentTerms.parse(config.default_terms, rule)
        self.by_customer: dict[str, PaymentTerms] = {}
        for account, text in contacts.terms.items():  # read_contacts checked them
            self.by_customer[account] = PaymentTerms.parse(text, rule)
        for account, text in config.customer_terms.items():
            self.by_customer[account] = PaymentTerms.parse(text, rule)

    def __call__(self, customer: str) -> PaymentTerms:
        return self.by_customer.get(customer, self.default)


def _whole_or_wait(fec: FecFile) -> None:
    """A file still being written (empty, no header yet, or a last line cut short) is not an
    export: reading it would drop its period's invoices. The run fails and the next one reads
    the finished file."""
    header_bad = any(where == f"{fec.path.name}:1" for where, _ in fec.rejected)
    if header_bad or fec.cut:
        raise TransientError(f"{fec.path} is not a whole FEC yet ("
                             f"{'no header' if header_bad else 'its last line is cut'}); "
                             f"nothing read this run")
