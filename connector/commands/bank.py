"""`relance bank import|matches|confirm|reject`: bank statements whose credits hold the reminders
of the invoices they pay, and the review of what was matched (connector/app/bank.py)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connector.commands.words import label, say

if TYPE_CHECKING:
    from connector.app.bank import BankReport

def report_line(report: BankReport, language: str) -> str:
    text = say("bank.report", language, files=report.files, credits=report.new_credits,
               held=report.held, review=report.review)
    if report.rejects:
        text += say("bank.rejects", language, n=len(report.rejects),
                    lines="\n  ".join(report.rejects[:10]))
    return text


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _line(row: dict[str, Any], language: str) -> str:
    from connector.formatting import money
    numbers = ", ".join(row["numbers"]) or "-"
    until = f" → {row['hold_until'].isoformat()}" if row["hold_until"] else ""
    return (f"{row['id']:>5}  {row['booked_on'].isoformat()}  "
            f"{money(row['amount'], row['currency'], language):>14}  {numbers:<28} "
            f"{row['score']:>3}  {label('verdict', row['verdict'], language):<9} "
            f"{label('match', row['status'], language)}{until}\n       {row['payer'] or ''} {row['text'][:70]}"
            f"\n       {row['explanation']}")


def register(main: click.Group) -> None:
    from connector.commands.context import Obj, handle_errors
    from connector.commands.views import day

    @main.group()
    def bank() -> None:
        """Bank statements: import a file, review the payments matched to invoices."""

    @bank.command("import")
    @click.argument("files", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_obj
    @handle_errors
    def import_(obj: Obj, files: tuple[Path, ...]) -> None:
        """Read CAMT.053, OFX or CSV statements and match their credits to open invoices."""
        from connector.app.bank import import_files
        tenant = obj.tenant()
        report = import_files(tenant.store, tenant.config, list(files),
                              now=tenant.clock.now(), today=tenant.today)
        click.echo(report_line(report, tenant.config.language))

    @bank.command()
    @click.option("--all", "every", is_flag=True, help="Every match, decided or not.")
    @click.pass_obj
    @handle_errors
    def matches(obj: Obj, every: bool) -> None:
        """List the credits matched to invoices (held, to review) for a person to check."""
        from connector.store import bank as bank_store
        tenant = obj.tenant()
        rows = bank_store.listing(tenant.store, tenant.name, tenant.source, every=every)
        language = tenant.config.language
        if not rows:
            click.echo(say("bank.nothing", language))
            return
        for row in rows:
            click.echo(_line(row, language))

    @bank.command()
    @click.argument("match_id", type=int)
    @click.option("--by", help="Who decides (default: the OS user).")
    @click.pass_obj
    @handle_errors
    def confirm(obj: Obj, match_id: int, by: str | None) -> None:
        """This credit pays these invoices: hold their reminders until the books say so."""
        from connector.app.bank import confirm as do_confirm
        tenant = obj.tenant()
        row = do_confirm(tenant.store, tenant.config, match_id, by=_who(by),
                         now=tenant.clock.now(), today=tenant.today)
        numbers = ", ".join(row["numbers"])
        click.echo(say("bank.confirmed", obj.language, id=match_id, numbers=numbers,
                       day=day(row["hold_until"], obj.language)))

    @bank.command()
    @click.argument("match_id", type=int)
    @click.option("--by", help="Who decides (default: the OS user).")
    @click.pass_obj
    @handle_errors
    def reject(obj: Obj, match_id: int, by: str | None) -> None:
        """This credit does not pay these invoices: their reminders resume."""
        from connector.app.bank import reject as do_reject
        tenant = obj.tenant()
        row = do_reject(tenant.store, tenant.config, match_id, by=_who(by),
                        now=tenant.clock.now())
        numbers = ", ".join(row["numbers"]) or "-"
        click.echo(say("bank.rejected", obj.language, id=match_id, numbers=numbers))
