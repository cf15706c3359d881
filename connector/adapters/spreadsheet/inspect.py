"""What `relance import inspect FILE` shows: the column mapping guessed from the headers, the
first rows as relance reads them with it, and the `[source]` block that reads the file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from connector.adapters.spreadsheet.mapping import FIELDS, Columns, guess, read_row
from connector.adapters.tables import read_table
from connector.models import Invoice
from connector.rules.terms import PaymentTerms

REQUIRED = ("customer", "amount", "issue_date")


@dataclass
class Inspection:
    path: Path
    headers: list[str]
    mapping: dict[str, str]
    rows: list[tuple[str, Invoice | None, str]] = field(default_factory=list)
    """(file:line, the invoice read and its customer's name, or None and the reason)."""
    total_rows: int = 0

    @property
    def missing(self) -> list[str]:
        return [f for f in REQUIRED if f not in self.mapping]

    @property
    def unused(self) -> list[str]:
        return [h for h in self.headers if h and h not in self.mapping.values()]

    def source_block(self, path_text: str | None = None, terms: str = "30 jours") -> str:
        """The TOML a user pastes into relance.toml (strings written as JSON, which TOML reads
        the same for these values)."""
        lines = ["[source]", 'kind = "spreadsheet"',
                 f"path = {json.dumps(path_text or str(self.path), ensure_ascii=False)}",
                 f"default_terms = {json.dumps(terms, ensure_ascii=False)}", "",
                 "[source.columns]"]
        for name in FIELDS:
            if name in self.mapping:
                lines.append(f"{name} = {json.dumps(self.mapping[name], ensure_ascii=False)}")
        return "\n".join(lines) + "\n"


def inspect(path: Path, rows: int = 5, terms: str = "30 jours") -> Inspection:
    headers, found = read_table(path)
    found_mapping = guess(headers)
    result = Inspection(path, headers, found_mapping, total_rows=len(found))
    if "customer" not in found_mapping or "amount" not in found_mapping:
        return result
    columns = Columns(**found_mapping)
    parsed_terms = PaymentTerms.parse(terms)
    for row in found[:rows]:
        try:
            invoice, customer, _ = read_row(row, columns, parsed_terms, "EUR")
        except (ValidationError, ValueError, ArithmeticError) as exc:
            result.rows.append((row.where, None, str(exc).splitlines()[0][:200]))
            continue
        result.rows.append((row.where, invoice, customer.name))
    return result
