"""`relance import inspect FILE`: propose the `[source]` block that reads a spreadsheet of
invoices (the logic lives in connector/adapters/spreadsheet/inspect.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from connector.commands.context import EXIT_USAGE, handle_errors
from connector.commands.words import env_language, label, say


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
    @click.option("--lang", type=click.Choice(["fr", "en"]), default=None,
                  help="Language of the output (default: RELANCE_LANG or the locale, else fr).")
    @handle_errors
    def inspect_command(file: Path, rows: int, terms: str, write_to: Path | None,
                        lang: str | None) -> None:
        """Guess the column mapping of FILE (CSV/XLSX), show its first rows, write [source]."""
        from connector.adapters.spreadsheet.inspect import inspect
        from connector.commands.views import day
        from connector.formatting import money

        lang = lang or env_language()
        result = inspect(file, rows=rows, terms=terms)
        click.echo(say("import.columns", lang))
        for name, header in result.mapping.items():
            click.echo(f"  {label('field', name, lang):<16} ← {header}")
        if result.unused:
            click.echo(say("import.unused", lang, names=", ".join(result.unused)))
        if result.missing:
            click.echo(say("import.missing", lang, fields=", ".join(
                label("field", f, lang) for f in result.missing)), err=True)
        if result.rows:
            click.echo("")
            click.echo(say("import.rows", lang, n=len(result.rows), total=result.total_rows))
        for where, invoice, reason in result.rows:
            line = where.rsplit(":", 1)[-1]
            if invoice is None:
                click.echo(say("import.refused", lang, line=line, reason=reason))
                continue
            click.echo(say("import.row", lang, line=line, number=invoice.number, reason=reason,
                           issued=day(invoice.issue_date, lang), due=day(invoice.due_date, lang),
                           total=money(invoice.total, invoice.currency, lang),
                           left=money(invoice.residual, invoice.currency, lang),
                           status=label("invoice", invoice.status, lang)))
        # a relative path in the configuration starts at the configuration's folder
        where = os.path.relpath(file.resolve(), (write_to or Path("x")).resolve().parent)
        block = result.source_block(where, terms)
        click.echo("")
        click.echo(say("import.block", lang))
        click.echo(block)
        if write_to is not None:
            existing = write_to.read_text(encoding="utf-8") if write_to.exists() else ""
            if any(line.strip() == "[source]" for line in existing.splitlines()):
                click.echo(say("import.has_source", lang, file=write_to), err=True)
                raise SystemExit(EXIT_USAGE)
            separator = "\n" if existing and not existing.endswith("\n\n") else ""
            write_to.write_text(existing + separator + block, encoding="utf-8")
            click.echo(say("import.written", lang, file=write_to))
        if result.missing:
            raise SystemExit(EXIT_USAGE)
