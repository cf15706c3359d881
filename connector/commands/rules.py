"""`relance rules check|explain` and `relance templates preview`: trust the rules before they run."""

from __future__ import annotations

import sys

import click

from connector.app import lint
from connector.clock import Clock
from connector.delivery.letter import letter_text
from connector.delivery.messages import template_context
from connector.delivery.render import LANGUAGES, render
from connector.rules.engine import Decision, evaluate
from connector.store import outbox
from connector.store import pauses as pause_store


def register(main: click.Group) -> None:
    from connector.commands.context import EXIT_OK, EXIT_USAGE, Obj, handle_errors

    @main.group("rules")
    def rules_group() -> None:
        """Check the reminder rules and explain their decisions."""

    @rules_group.command("check")
    @click.pass_obj
    @handle_errors
    def rules_check(obj: Obj) -> None:
        """Overlapping levels, unknown template variables, fees and rates beyond the law."""
        tenant = obj.tenant()
        ledger = list(tenant.store.open_ledger(tenant.name, tenant.source))
        invoices = [i for _c, invs in ledger for i in invs]
        kinds = {c.external_id: str(c.kind) for c, _invs in ledger}
        findings = lint.check(obj.config, tenant.today, invoices, kinds)
        for finding in findings:
            click.echo(str(finding))
        errors = sum(f.severity == "error" for f in findings)
        click.echo(f"{errors} error(s), {len(findings) - errors} warning(s)")
        sys.exit(EXIT_USAGE if errors else EXIT_OK)

    @rules_group.command("explain")
    @click.argument("invoice")
    @click.pass_obj
    @handle_errors
    def rules_explain(obj: Obj, invoice: str) -> None:
        """Why INVOICE (number or id) gets, or does not get, a reminder today."""
        tenant = obj.tenant()
        found = pause_store.find_invoice(tenant.store, tenant.name, tenant.source, invoice)
        click.echo(f"invoice {found['number']} (id {found['external_id']}), customer "
                   f"{found['customer_id']}, today {tenant.today.isoformat()}")
        ledger = [(c, invs) for c, invs in tenant.store.open_ledger(tenant.name, tenant.source)
                  if c.external_id == found["customer_id"]]
        if not any(i.external_id == found["external_id"] for _c, invs in ledger for i in invs):
            click.echo("not open in the local state (paid, cancelled or credited): nothing to ask")
            return
        history = outbox.history(tenant.store, tenant.name, tenant.source, obj.config.timezone)
        trace: list[Decision] = []
        intents = list(evaluate(obj.config.rulebook, ledger, history, tenant.today,
                                tenant=tenant.name, source=tenant.source,
                                pauses=pause_store.unresolved(tenant.store, tenant.name,
                                                              tenant.source), trace=trace))
        prefix = found["external_id"]
        for item_id, levels in sorted(history.dates.items()):
            if item_id == prefix or item_id.startswith(prefix + "#"):
                done = ", ".join(f"{lv} on {day.isoformat()}" for lv, day in
                                 sorted(levels.items(), key=lambda kv: kv[1]))
                click.echo(f"  history {item_id}: {done}")
        for decision in trace:
            if decision.item_id is None or decision.item_id == prefix \
                    or decision.item_id.startswith(prefix + "#"):
                click.echo(f"  {decision.topic:<8} {decision.text}")
        mine = [i for i in intents if any(x.invoice_id == prefix for x in i.items)]
        click.echo("→ " + ("; ".join(f"{i.level} by {i.channel}" for i in mine) if mine
                           else "no reminder today for this invoice"))

    @main.group("templates")
    def templates_group() -> None:
        """Look at the reminder texts."""

    @templates_group.command("preview")
    @click.argument("template")
    @click.option("--lang", type=click.Choice(LANGUAGES), default="fr", show_default=True)
    @click.option("--kind", type=click.Choice(["company", "individual", "public"]),
                  default="company", show_default=True)
    @click.pass_obj
    @handle_errors
    def templates_preview(obj: Obj, template: str, lang: str, kind: str) -> None:
        """Print TEMPLATE (e.g. first, final, formal_notice, _letter) rendered on a sample."""
        config = obj.config
        payload = lint.sample_payload(config, template, kind=kind, language=lang,
                                      today=obj.today or Clock(config.timezone).today())
        context = template_context(payload, config)
        if template == "_letter":
            click.echo(letter_text(context, lang))
            return
        rendered = render(template, context, lang)
        click.echo(f"Subject: {rendered.subject}\n\n{rendered.text}")
