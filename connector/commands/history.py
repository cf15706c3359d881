"""`relance history [CUSTOMER]`: one customer's story in order (every customer without one).

The logic lives in app/history.py; this command only parses and prints.
"""

from __future__ import annotations

import json

import click

from connector.app import history as history_app
from connector.commands.context import Obj, fail, handle_errors
from connector.commands.words import label, say


def register(main: click.Group) -> None:
    @main.command("history")
    @click.argument("customer", required=False)
    @click.option("--json", "as_json", is_flag=True, help="A list of events.")
    @click.pass_obj
    @handle_errors
    def history(obj: Obj, customer: str | None, as_json: bool) -> None:
        """Messages, notes, tasks, pauses and payments of CUSTOMER (name, id or invoice number)."""
        tenant = obj.tenant()
        customer_id = None
        if customer is not None:
            found = history_app.find_customer(tenant.store, tenant.name, tenant.source, customer)
            if found.customer_id is None:
                language = obj.language
                hint = say("history.did_you_mean", language,
                           names=", ".join(found.suggestions)) if found.suggestions else ""
                fail(language, say("history.no_customer", language, customer=customer, hint=hint))
            customer_id = found.customer_id
        events = history_app.events(tenant.store, tenant.name, tenant.source, customer_id)
        if as_json:
            click.echo(json.dumps(events, indent=2, default=str, ensure_ascii=False))
            return
        if not events:
            click.echo(say("history.none", obj.language))
        for e in events:
            what = " · ".join(str(x) for x in (e["level"], e["channel"], e["status"]) if x)
            invoices = ", ".join(e["invoices"])
            who = "" if customer_id else f"{e['customer']}  "
            extra = f"  {e['text']}" if e.get("text") else ""
            kind = label("event", e["kind"], obj.language)
            click.echo(f"{e['date']}  {who}{kind:<12} {what}"
                       f"{'  ' + invoices if invoices else ''}{extra}")
