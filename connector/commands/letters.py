"""`relance letters [list|batch DATE|posted KEY|received KEY]`: the registered letters to print,
post, and record (posting, then the avis de réception).

A formal notice is only sent once it is in the post: the letter channel writes the PDF (to post),
a person prints the day's batch, posts it, and records the date and tracking number here. Until
then the accompanying email says the registered letter is being sent, not that it was.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from connector.app import letters as batches
from connector.store import letters as letter_store


def register(main: click.Group) -> None:
    from connector.commands.context import EXIT_USAGE, Obj, fail, handle_errors, parse_day
    from connector.commands.views import day as in_words
    from connector.commands.words import label, say

    @main.group(invoke_without_command=True)
    @click.option("--all", "show_all", is_flag=True, help="Posted letters too.")
    @click.pass_context
    def letters(ctx: click.Context, show_all: bool) -> None:
        """Formal notices to post (the default), or batch / posted / received."""
        if ctx.invoked_subcommand is not None:
            return
        _list(ctx.obj, show_all)

    @handle_errors
    def _list(obj: Obj, show_all: bool) -> None:
        tenant = obj.tenant()
        rows = letter_store.listing(tenant.store, tenant.name,
                                    status=None if show_all else "to_post")
        language = obj.language
        waiting = letter_store.waiting_for_address(tenant.store, tenant.name)
        if not rows and not waiting:
            click.echo(say("letters.none", language))
            return
        for w in waiting:  # not written yet: a task asks for the address; no attempt is used
            click.echo(f"{w.key[:12]}  {w.planned_for.isoformat()}  "
                       f"{say('letters.waiting', language)}  "
                       f"{w.customer_name} ({w.customer_id}, {w.level})")
        for x in rows:
            posted = f" {x.posted_on.isoformat()}" if x.posted_on else ""
            if x.received_on:
                posted += say("letters.received_on", language, day=x.received_on.isoformat())
            tracking = say("letters.tracking", language, number=x.tracking) if x.tracking else ""
            click.echo(f"{x.key[:12]}  {x.planned_for.isoformat()}  "
                       f"{label('letter', x.status, language)}{posted}{tracking}  "
                       f"{Path(x.file).name}")

    @letters.command("batch")
    @click.argument("day", metavar="DATE", callback=parse_day)
    @click.option("--output", type=click.Path(dir_okay=False),
                  help="Where to write the PDF (default: letters/DATE_a-poster.pdf).")
    @click.pass_obj
    @handle_errors
    def batch(obj: Obj, day: dt.date, output: str | None) -> None:
        """One printable PDF of DATE's letters to post, with a cover list."""
        tenant = obj.tenant()
        todo = letter_store.listing(tenant.store, tenant.name, status="to_post", day=day)
        if not todo:
            click.echo(say("letters.none_on", obj.language, day=in_words(day, obj.language)))
            return
        names = {}
        for letter in todo:
            customer = tenant.store.customer(tenant.name, tenant.source, letter.customer_id)
            names[letter.customer_id] = customer.name if customer else letter.customer_id
        made = batches.batch(tenant.store, tenant.name, day, names, tenant.config.language)
        target = Path(output) if output else \
            tenant.config.letters_dir / f"{day.isoformat()}_a-poster.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(made.pdf)
        click.echo(say("letters.batch", obj.language, file=target, n=len(made.letters)))
        for letter in made.missing:
            click.echo(say("error", obj.language,
                           text=say("letters.missing", obj.language, file=letter.file)),
                       err=True)
        if made.missing:
            sys.exit(EXIT_USAGE)

    @letters.command("posted")
    @click.argument("key")
    @click.option("--date", "day", required=True, callback=parse_day, metavar="YYYY-MM-DD",
                  help="The day it was posted.")
    @click.option("--tracking", help="The registered-mail number (n° de recommandé).")
    @click.pass_obj
    @handle_errors
    def posted(obj: Obj, key: str, day: dt.date, tracking: str | None) -> None:
        """Record that the letter KEY (or the start of it) went by registered mail."""
        tenant = obj.tenant()
        letter = letter_store.find(tenant.store, tenant.name, key)
        if letter is None:
            fail(obj.language, say("letters.no_letter", obj.language, key=key))
        if day > tenant.today:
            fail(obj.language, say("letters.future", obj.language, day=day.isoformat()))
        if tracking is not None and not (tracking.strip() and len(tracking) <= 64):
            fail(obj.language, say("letters.bad_tracking", obj.language))
        letter_store.mark_posted(tenant.store, tenant.name, letter.key, on=day,
                                 tracking=tracking.strip() if tracking else None,
                                 now=tenant.clock.now())
        click.echo(say("letters.posted_on", obj.language, file=Path(letter.file).name,
                       day=in_words(day, obj.language))
                   + (say("letters.tracking_sent", obj.language, number=tracking)
                      if tracking else ""))
        late = (day - letter.planned_for).days
        if late > 0:  # its deadline was counted from a receipt expected `late` days earlier
            config = tenant.config
            deadline = letter.planned_for + dt.timedelta(
                days=config.penalties.notice_delivery_days + config.letter.deadline_days)
            click.echo(say("warning", obj.language, text=say(
                "letters.late", obj.language, late=late,
                deadline=in_words(deadline, obj.language),
                days=config.letter.deadline_days)), err=True)

    @letters.command("received")
    @click.argument("key")
    @click.option("--date", "day", required=True, callback=parse_day, metavar="YYYY-MM-DD",
                  help="The day on the avis de réception (first presentation).")
    @click.pass_obj
    @handle_errors
    def received(obj: Obj, key: str, day: dt.date) -> None:
        """Record the day the posted letter KEY was received: a consumer's interest runs from
        then (without it: the posting day + penalties.notice_delivery_days)."""
        tenant = obj.tenant()
        letter = letter_store.find(tenant.store, tenant.name, key)
        if letter is None or letter.posted_on is None:
            fail(obj.language, say("letters.no_posted", obj.language, key=key))
        if day > tenant.today or day < letter.posted_on:
            fail(obj.language, say("letters.bad_received", obj.language, day=day.isoformat(),
                                   posted=letter.posted_on.isoformat()))
        letter_store.mark_received(tenant.store, tenant.name, letter.key, on=day,
                                   now=tenant.clock.now())
        click.echo(say("letters.received_done", obj.language, file=Path(letter.file).name,
                       day=in_words(day, obj.language)))
