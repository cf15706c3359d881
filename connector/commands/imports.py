"""`relance import inspect FILE`: propose the `[source]` block that reads a spreadsheet of
invoices (the logic lives in connector/adapters/spreadsheet/inspect.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from connector.commands.context import EXIT_USAGE, handle_errors

_TEXT = {
    "fr": {"columns": "Colonnes reconnues :", "unused": "Colonnes non utilisées : ",
           "missing": "Introuvable : {fields}. Renommez la colonne ou complétez "
                      "[source.columns] à la main.",
           "rows": "Les {n} premières lignes (sur {total}) telles que relance les comprend :",
           "refused": "refusée : ", "due": "échéance", "left": "reste", "block":
           "Bloc [source] à mettre dans relance.toml :", "written": "Bloc ajouté à {file}.",
           "has_source": "{file} a déjà une table [source] : rien n'est écrit.",
           "fields": {"number": "numéro", "customer_id": "code client", "customer": "client",
                      "email": "e-mail", "issue_date": "date de facture",
                      "due_date": "échéance", "amount": "montant", "paid": "payé",
                      "remaining": "reste à payer", "status": "statut",
                      "currency": "devise"},
           "status": {"open": "à payer", "partial": "partiellement payée", "paid": "payée",
                      "cancelled": "annulée", "disputed": "en litige"}},
    "en": {"columns": "Columns recognised:", "unused": "Columns not used: ",
           "missing": "Not found: {fields}. Rename the column or fill in [source.columns] "
                      "by hand.",
           "rows": "The first {n} rows (of {total}) as relance reads them:",
           "refused": "refused: ", "due": "due", "left": "left", "block":
           "[source] block for relance.toml:", "written": "Block added to {file}.",
           "has_source": "{file} already has a [source] table: nothing written.",
           "fields": {}, "status": {}},
}


def register(main: click.Group) -> None:
    @main.group("import")
    def import_group() -> None:
        """Read invoices from a file: look at a spreadsheet before using it as the source."""

    @import_group.command("inspect")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--rows", default=5, show_default=True, help="How many rows to show.")
    @click.option("--terms", default="30 jours", show_default=True,
                  help="Payment terms for rows without a due date.")
    @click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path),
                  help="Append the [source] block to this configuration file.")
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
    @handle_errors
    def inspect_command(file: Path, rows: int, terms: str, write_to: Path | None,
                        lang: str) -> None:
        """Guess the column mapping of FILE (CSV/XLSX), show its first rows, write [source]."""
        from connector.adapters.spreadsheet.inspect import inspect
        from connector.formatting import money

        text = _TEXT[lang]
        names: dict[str, str] = text["fields"]  # type: ignore[assignment]
        statuses: dict[str, str] = text["status"]  # type: ignore[assignment]
        result = inspect(file, rows=rows, terms=terms)
        click.echo(str(text["columns"]))
        for name, header in result.mapping.items():
            click.echo(f"  {names.get(name, name):<16} ← {header}")
        if result.unused:
            click.echo(f"{text['unused']}{', '.join(result.unused)}")
        if result.missing:
            click.echo(str(text["missing"]).format(
                fields=", ".join(names.get(f, f) for f in result.missing)), err=True)
        if result.rows:
            click.echo("")
            click.echo(str(text["rows"]).format(n=len(result.rows), total=result.total_rows))
        for where, invoice, reason in result.rows:
            line = where.rsplit(":", 1)[-1]
            if invoice is None:
                click.echo(f"  {line:>4}  {text['refused']}{reason}")
                continue
            click.echo(f"  {line:>4}  {invoice.number} · {reason} · "
                       f"{invoice.issue_date:%d/%m/%Y} · {text['due']} "
                       f"{invoice.due_date:%d/%m/%Y} · "
                       f"{money(invoice.total, invoice.currency, lang)} · {text['left']} "
                       f"{money(invoice.residual, invoice.currency, lang)} · "
                       f"{statuses.get(invoice.status, invoice.status)}")
        # a relative path in the configuration starts at the configuration's folder
        where = os.path.relpath(file.resolve(), (write_to or Path("x")).resolve().parent)
        block = result.source_block(where, terms)
        click.echo("")
        click.echo(str(text["block"]))
        click.echo(block)
        if write_to is not None:
            existing = write_to.read_text(encoding="utf-8") if write_to.exists() else ""
            if any(line.strip() == "[source]" for line in existing.splitlines()):
                click.echo(str(text["has_source"]).format(file=write_to), err=True)
                raise SystemExit(EXIT_USAGE)
            separator = "\n" if existing and not existing.endswith("\n\n") else ""
            write_to.write_text(existing + separator + block, encoding="utf-8")
            click.echo(str(text["written"]).format(file=write_to))
        if result.missing:
            raise SystemExit(EXIT_USAGE)
