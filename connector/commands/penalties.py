"""`relance penalties`: the late-payment calculator, on the same code the reminders use.

It needs no store and no source: a config file, when there is one, gives the tenant's zone, its
[penalties] terms and its `rates_file`; otherwise the legal defaults apply.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from connector.clock import Clock
from connector.commands.words import env_language, say
from connector.config import Config, load_config
from connector.formatting import money, rate
from connector.rules.payload import DueItem
from connector.rules.penalties import (
    INDEMNITY_CURRENCY,
    KINDS,
    Movement,
    Penalty,
    PenaltyTerms,
    claim,
    notice_receipt,
    tables_for,
)


def _amount(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise click.BadParameter(say("pen.not_amount", env_language(), what=what,
                                     text=text)) from None
    if not value.is_finite() or value <= 0:
        raise click.BadParameter(say("pen.not_positive", env_language(), what=what, text=text))
    return value


def _movements(values: tuple[str, ...], kind: str, due: dt.date) -> list[Movement]:
    """DATE:AMOUNT pairs; a credit note written `linked:AMOUNT` corrects the invoice from issue."""
    found: list[Movement] = []
    for value in values:
        day_text, sep, amount_text = value.partition(":")
        if not sep:
            raise click.BadParameter(say("pen.not_pair", env_language(), text=value))
        amount = _amount(amount_text, f"--{'paid' if kind == 'payment' else 'credit'}")
        if kind == "credit" and day_text == "linked":
            found.append(Movement(due, amount, "credit", from_start=True))
            continue
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            raise click.BadParameter(say("pen.not_day", env_language(), text=day_text)) from None
        found.append(Movement(day, amount, "payment" if kind == "payment" else "credit"))
    return found


def as_json(penalty: Penalty) -> dict[str, Any]:
    """The issue's shape: amounts as decimal strings, the €40 in euros whatever the currency."""
    return {
        "periods": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days,
                     "base": str(p.base.quantize(Decimal("0.01"))), "rate": str(p.rate),
                     "interest": str(p.interest.quantize(Decimal("0.01"))),
                     "provisional": p.provisional, "floor_applied": p.floor_applied}
                    for p in penalty.periods],
        "interest": str(penalty.interest),
        "indemnity": str(penalty.indemnity),
        "indemnity_currency": INDEMNITY_CURRENCY,
        "total": str(penalty.total),
        "currency": penalty.currency,
        "provisional": penalty.provisional,
    }


def as_text(penalty: Penalty, amount: Decimal, due: dt.date, until: dt.date, kind: str,
            received: dt.date | None, language: str = "fr") -> list[str]:
    """For a person: one line per period, then the totals and what is provisional."""
    cur, lang = penalty.currency, language

    def cash(value: Decimal, currency: str = cur) -> str:
        return money(value, currency, lang)

    lines = [say("pen.head", lang, amount=cash(amount), due=due.isoformat(),
                 kind=say(f"pen.kind_{kind}", lang), until=until.isoformat())]
    if kind == "individual":
        lines.append(say("pen.received", lang, day=received.isoformat()) if received else
                     say("pen.no_notice", lang))
    for p in penalty.periods:
        mark = say("pen.provisional", lang) if p.provisional else ""
        mark += say("pen.floor", lang) if p.floor_applied else ""
        lines.append(say("pen.period", lang, start=p.start.isoformat(), end=p.end.isoformat(),
                         days=p.days, base=cash(p.base), rate=rate(p.rate, lang),
                         interest=cash(p.interest.quantize(Decimal("0.01"))), mark=mark))
    lines.append(say("pen.interest", lang, amount=cash(penalty.interest)))
    if penalty.indemnity:
        lines.append(say("pen.indemnity", lang,
                         amount=cash(penalty.indemnity, INDEMNITY_CURRENCY)))
    if penalty.indemnity_apart:
        lines.append(say("pen.total_apart", lang, total=cash(penalty.total),
                         indemnity=cash(penalty.indemnity, INDEMNITY_CURRENCY)))
    else:
        lines.append(say("pen.total", lang, total=cash(penalty.total)))
    provisional = sorted({p.half_year.label for p in penalty.periods if p.provisional})
    if provisional:
        lines.append(say("pen.provisional_rates", lang, labels=", ".join(provisional)))
    return lines


def _config(path: str) -> Config | None:
    return load_config(path) if Path(path).is_file() else None


def register(main: click.Group) -> None:
    from connector.commands.context import Obj, handle_errors, parse_day

    @main.command("penalties")
    @click.option("--amount", required=True, help="Amount due at the due date (invoice currency).")
    @click.option("--due", "due", required=True, callback=parse_day, metavar="YYYY-MM-DD")
    @click.option("--currency", default="EUR", show_default=True)
    @click.option("--kind", type=click.Choice(KINDS), default="company", show_default=True)
    @click.option("--paid", multiple=True, metavar="DATE:AMOUNT", help="A payment (repeatable).")
    @click.option("--credit", multiple=True, metavar="DATE:AMOUNT",
                  help="A credit note (repeatable); `linked:AMOUNT` for one issued with the "
                       "invoice (counts from the start).")
    @click.option("--notice", callback=parse_day, metavar="YYYY-MM-DD",
                  help="Consumer: day the formal notice was posted (receipt = + delivery days).")
    @click.option("--received", callback=parse_day, metavar="YYYY-MM-DD",
                  help="Consumer: recorded delivery date of the formal notice.")
    @click.option("--contract-rate", "contract_rate", help="Contractual annual rate, percent.")
    @click.option("--until", callback=parse_day, metavar="YYYY-MM-DD",
                  help="Count up to this day (default: today).")
    @click.option("--json", "as_json_flag", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    @handle_errors
    def penalties(obj: Obj, amount: str, due: dt.date, currency: str, kind: str,
                  paid: tuple[str, ...], credit: tuple[str, ...], notice: dt.date | None,
                  received: dt.date | None, contract_rate: str | None, until: dt.date | None,
                  as_json_flag: bool) -> None:
        """Late-payment interest by period, the €40 where due, and the total."""
        config = _config(obj.config_path)
        terms = config.penalties if config is not None else PenaltyTerms()
        if contract_rate is not None:
            terms = terms.model_copy(update={"contract_rate": _amount(contract_rate,
                                                                      "--contract-rate")})
        clock = Clock(config.timezone) if config is not None else Clock()
        until = until or obj.today or clock.today()
        principal = _amount(amount, "--amount")
        movements = _movements(paid, "payment", due) + _movements(credit, "credit", due)
        if sum((m.amount for m in movements), Decimal(0)) > principal:
            raise click.BadParameter(say("pen.exceed", obj.language))
        rates = tables_for(terms, config.base_dir if config is not None else None)
        receipt = notice_receipt(notice, received, terms)
        payments = [m for m in movements if m.kind == "payment"]
        # one item through claim(), the very function the reminders and letters call
        item = DueItem("calc", "calc", "calc", due, due, currency.upper(), principal,
                       principal - sum((m.amount for m in payments), Decimal(0)),
                       (until - due).days, notice_posted=notice, notice_received=received)
        penalty = claim([item], until, kind=kind, terms=terms, rates=rates,
                        history={"calc": payments},
                        credits={"calc": [m for m in movements if m.kind == "credit"]}
                        ).by_invoice["calc"]
        if as_json_flag:
            click.echo(json.dumps(as_json(penalty), indent=2, ensure_ascii=False))
            return
        language = config.language if config is not None else env_language()
        for line in as_text(penalty, principal, due, until, kind, receipt, language):
            click.echo(line)
