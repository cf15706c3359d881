"""`relance rules check|explain`, `relance templates preview|copy`: trust the rules and the words
before they reach a customer."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connector.app import lint
from connector.clock import Clock
from connector.commands.views import finding_text
from connector.commands.words import say
from connector.delivery.letter import letter_text
from connector.delivery.messages import template_context
from connector.delivery.render import LANGUAGES, TEMPLATES, pick_language, render
from connector.errors import ConfigError
from connector.models import Customer, Invoice

if TYPE_CHECKING:
    from connector.app.tenant import Tenant


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
            click.echo(finding_text(finding, obj.language))
        errors = sum(f.severity == "error" for f in findings)
        click.echo(say("rules.count", obj.language, errors=errors,
                       warnings=len(findings) - errors))
        sys.exit(EXIT_USAGE if errors else EXIT_OK)

    @rules_group.command("explain")
    @click.argument("invoice")
    @click.pass_obj
    @handle_errors
    def rules_explain(obj: Obj, invoice: str) -> None:
        """Why INVOICE (number or id) gets, or does not get, a reminder today."""
        from connector.app.explain import explain
        tenant = obj.tenant()
        found = explain(tenant, invoice)
        language = obj.language
        click.echo(say("explain.head", language, number=found.number, id=found.external_id,
                       customer=found.customer_id, today=tenant.today.isoformat()))
        if not found.is_open:
            click.echo(say("explain.not_open", language))
            return
        for item_id, done in found.history:
            click.echo(say("explain.history", language, item=item_id, done=done))
        for topic, text in found.decisions:
            click.echo(f"  {topic:<8} {text}")
        click.echo("→ " + ("; ".join(say("explain.by", language, level=level, channel=channel)
                                     for level, channel in found.outcome)
                           if found.outcome else say("explain.nothing", language)))

    @main.group("templates")
    def templates_group() -> None:
        """Look at the reminder texts."""

    @templates_group.command("preview")
    @click.argument("template")
    @click.option("--lang", type=click.Choice(LANGUAGES), default=None,
                  help="Language (default: the customer's with --customer, else fr).")
    @click.option("--kind", type=click.Choice(["company", "individual", "public"]),
                  default="company", show_default=True,
                  help="The sample customer's kind (without --customer).")
    @click.option("--customer", "customer_id", metavar="ID",
                  help="Render with this customer of the store (id or exact name) and its "
                  "open invoices instead of the sample.")
    @click.pass_obj
    @handle_errors
    def templates_preview(obj: Obj, template: str, lang: str | None, kind: str,
                          customer_id: str | None) -> None:
        """Print TEMPLATE (e.g. first, final, formal_notice, _letter) rendered on a sample or on a
        real customer; your templates_dir is used first."""
        config = obj.config
        if customer_id is not None:
            tenant = obj.tenant()
            found = _customer(tenant, customer_id)
            payload = lint.customer_payload(config, template, found[0], found[1], tenant.today)
        else:
            payload = lint.sample_payload(config, template, kind=kind, language=lang or "fr",
                                          today=obj.today or Clock(config.timezone).today())
        language = lang or pick_language(payload.language, config.language)
        context = template_context(payload, config)
        if template == "_letter":
            click.echo(letter_text(context, language, config.template_dirs))
            return
        rendered = render(template, context, language, config.template_dirs)
        click.echo(say("preview.subject", obj.language, subject=rendered.subject,
                       text=rendered.text))

    @templates_group.command("copy")
    @click.option("--dir", "directory", type=click.Path(file_okay=False),
                  help="Where to write (default: templates_dir of the config).")
    @click.option("--force", is_flag=True, help="Overwrite files that are already there.")
    @click.pass_obj
    @handle_errors
    def templates_copy(obj: Obj, directory: str | None, force: bool) -> None:
        """Write the default templates where you can edit them (templates_dir): an upgrade never
        overwrites them, and each file there overrides the packaged one of the same name."""
        config = obj.config
        target = Path(directory).resolve() if directory else (
            config.template_dirs[0] if config.template_dirs else None)
        if target is None:
            raise ConfigError(say("templates.no_dir", obj.language), key="templates_dir",
                              file=config.file)
        written, kept = [], []
        for source in sorted(TEMPLATES.rglob("*.j2")):
            destination = target / source.relative_to(TEMPLATES)
            if destination.exists() and not force:
                kept.append(destination)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            written.append(destination)
        click.echo(say("templates.wrote", obj.language, n=len(written), target=target)
                   + (say("templates.kept", obj.language, n=len(kept)) if kept else ""))
        if directory and Path(directory).resolve() not in config.template_dirs:
            click.echo(say("templates.use", obj.language, file=config.file, dir=directory))


def _customer(tenant: Tenant, wanted: str) -> tuple[Customer, list[Invoice]]:
    """The customer (id, or exact name) and its open invoices and credit notes."""
    for customer, invoices in tenant.store.open_ledger(tenant.name, tenant.source):
        if wanted in (customer.external_id, customer.name):
            return customer, invoices
    raise ConfigError(say("templates.no_customer", tenant.config.language, customer=wanted),
                      key="--customer")
