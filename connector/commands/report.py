"""`relance report`: where the money is, for one tenant, on screen and in files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from connector.commands.context import Obj, fail, handle_errors, one_pass
from connector.commands.words import say
from connector.reports import build_report
from connector.reports.export import (
    CSV_DIALECTS,
    DEFAULT_CSV_DIALECT,
    write_csv,
    write_json,
    write_xlsx,
)
from connector.reports.render_html import write_html
from connector.reports.terminal import print_report


def register(main: click.Group) -> None:
    main.add_command(report)


@click.command("report")
@click.option("--period", default=90, show_default=True, type=click.IntRange(7, 730),
              help="Days of sales behind DSO and CEI.")
@click.option("--weeks", default=13, show_default=True, type=click.IntRange(1, 26),
              help="Weeks of cash-in forecast.")
@click.option("--window", default=14, show_default=True, type=click.IntRange(1, 120),
              help="Days after a reminder within which a payment counts as its success.")
@click.option("--currency", default="EUR", show_default=True,
              help="Currency reported (documents in others are counted apart).")
@click.option("--lang", type=click.Choice(["fr", "en"]),
              help="Language of the labels (default: the configuration's).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write one CSV per table into DIR.")
@click.option("--csv-dialect", type=click.Choice(sorted(CSV_DIALECTS)), default=DEFAULT_CSV_DIALECT,
              show_default=True, help="excel-fr: ';', decimal comma, BOM, French headers; "
              "excel-en: ',', English headers; plain: machine keys for scripts.")
@click.option("--xlsx", "xlsx_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write a workbook, one sheet per table.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write a self-contained HTML dashboard (opens offline).")
@click.pass_obj
@handle_errors
@one_pass
def report(obj: Obj, period: int, weeks: int, window: int, currency: str, lang: str | None,
           as_json: bool, csv_dir: str | None, csv_dialect: str, xlsx_file: str | None,
           html_file: str | None) -> None:
    """Aged balance, DSO, CEI, reminder success, payment behaviour, cash-in forecast."""
    if obj.firm is not None and obj.client is None:  # the firm's portfolio, one line a client
        print_portfolio(obj, currency.upper(), lang, as_json)
        return
    tenant = obj.tenant()
    language = lang or obj.config.language
    result = build_report(tenant.store, [(tenant.name, tenant.source)], tenant.today,
                          period_days=period, window_days=window, weeks=weeks,
                          currency=currency.upper())
    if as_json:
        click.echo(write_json(result))
    else:
        print_report(result, language)
    written: list[Path] = []
    try:
        if csv_dir:
            written += write_csv(result, Path(csv_dir), csv_dialect)
        if xlsx_file:
            written.append(write_xlsx(result, Path(xlsx_file), language))
        if html_file:
            written.append(write_html(result, Path(html_file), language))
    except OSError as exc:
        fail(language, say("cannot_write", language,
                           path=exc.filename or say("report.output", language), why=exc.strerror))
    for path in written:
        click.echo(say("report.wrote", language, path=path), err=as_json)


def print_portfolio(obj: Obj, currency: str, lang: str | None, as_json: bool) -> None:
    """`--firm DIR report`: each client's outstanding, overdue, DSO, pending approvals, problems
    (reports/portfolio.py, the same lines as the web cockpit's portfolio page)."""
    import json

    from connector.app.firm import Firm
    from connector.clock import Clock
    from connector.formatting import money
    from connector.reports.portfolio import ClientLine, broken, client_line
    from connector.secrets import redact
    from connector.store.store import Store

    lines: list[ClientLine] = []
    stores: dict[str, Store] = {}
    firm = Firm(obj.firm or ".")
    language = lang or str(firm.defaults.get("language", "fr"))
    try:
        for slug, loaded in firm.clients():
            if isinstance(loaded, Exception):
                lines.append(broken(slug, redact(str(loaded))))
                continue
            config = loaded.config
            store = stores.setdefault(config.state_url, Store(config.state_url))
            today = obj.today or Clock(config.timezone).today()
            lines.append(client_line(store, slug, config.source.kind, today, currency))
    finally:
        for store in stores.values():
            store.close()
    if as_json:
        click.echo(json.dumps([{"client": x.client, "outstanding": x.outstanding,
                                "overdue": x.overdue, "dso": x.dso,
                                "pending_approval": x.pending_approval,
                                "problems": x.problems} for x in lines],
                              indent=2, default=str, ensure_ascii=False))
        return
    fr = language != "en"
    heads = [say(f"portfolio.{c}", language)
             for c in ("client", "outstanding", "overdue", "dso", "pending", "problems")]
    click.echo(f"{heads[0]:<22} {heads[1]:>16} {heads[2]:>16} {heads[3]:>8} {heads[4]:>9}  "
               f"{heads[5]}")
    for x in lines:
        amount = [money(v, currency, language) if v is not None else "-"
                  for v in (x.outstanding, x.overdue)]
        days = say("portfolio.days", language, n=str(x.dso).replace(".", "," if fr else ".")) \
            if x.dso is not None else "-"
        click.echo(f"{x.client[:22]:<22} {amount[0]:>16} {amount[1]:>16} {days:>8} "
                   f"{x.pending_approval:>9}  {'; '.join(x.problems) or '-'}")
    if any(x.failing for x in lines):
        sys.exit(1)
