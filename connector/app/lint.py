"""`relance rules check`: what an accountant would object to, found before a customer sees it.

Each finding is an error (exit 2: fix before running) or a warning. Checks: levels that overlap
or can never be reached, templates missing for a language or using variables the context does not
have (Jinja's meta analysis, then a StrictUndefined render on a sample), recovery fees charged to
consumers, a contractual rate under the legal floor, payment terms beyond the legal maximum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jinja2 import TemplateError, TemplateNotFound, meta, nodes

from connector.app.lint_words import LINT
from connector.config import Config
from connector.delivery.messages import template_context
from connector.delivery.render import LANGUAGES, environment, render
from connector.errors import ConfigError
from connector.models import Customer, Invoice
from connector.rules.calendar import BusinessCalendar
from connector.rules.engine import ReminderIntent
from connector.rules.ladder import level_date, reached_index
from connector.rules.legal import latest_lawful_due_date
from connector.rules.payload import CreditLine, DueItem, ReminderPayload, item_share
from connector.rules.penalties import contract_floors, tables_for
from connector.rules.policy import Policy
from connector.rules.prescription import prescription_findings
from connector.rules.rates import provisional_text

Part = tuple[str, dict[str, Any]]
"""A piece of a finding's text: a key of lint_words.LINT and its values."""


@dataclass(frozen=True)
class Finding:
    severity: str  # error | warning
    where: str
    text: str
    """In English (logs, callers that read it); `parts` say it in any language."""
    parts: tuple[Part, ...] = field(default=(), compare=False, hash=False)
    """The text as catalogue parts, joined; none for a text worded elsewhere (a prescription,
    a rates file), shown as it is."""

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.text}"


def finding(severity: str, where: str, *parts: Part) -> Finding:
    """A finding worded from the catalogue: its English text, and its parts for `rules check`."""
    return Finding(severity, where, "".join(LINT[key][1].format(**values)
                                            for key, values in parts), parts)


def policies(config: Config) -> list[tuple[str, Policy]]:
    book = config.rulebook
    return [("policy", book.default)] + [(f"policies.{n}", p) for n, p in book.named.items()]


def check(config: Config, today: dt.date, invoices: Iterable[Invoice] = (),
          kinds: dict[str, str] | None = None) -> list[Finding]:
    findings = check_money(config, today)
    for where, policy in policies(config):
        findings += check_levels(where, policy, today)
        findings += check_ladder(where, policy, today)
        findings += check_templates(where, policy, config, today)
    findings += check_segments(config)
    findings += check_sender(config)
    invoices = list(invoices)
    findings += check_terms(invoices, config.penalties.periodic_invoices)
    findings += [Finding("warning", "ledger", text)
                 for text in prescription_findings(invoices, today, kinds=kinds)]
    return findings


def check_sender(config: Config) -> list[Finding]:
    """A formal notice must say who writes (C. com. R123-237: name, SIREN, RCS city, legal form,
    address) and be signed: an error as soon as one level writes letters."""
    letters = [f"{where}.levels.{level.name}" for where, policy in policies(config)
               for level in policy.levels if "letter" in level.channel]
    missing = config.sender.missing_for_letters()
    if not letters or not missing:
        return []
    return [finding("error", "sender", ("lint.sender", {"missing": ", ".join(missing),
                                                        "level": letters[0]}))]


def check_levels(where: str, policy: Policy, today: dt.date) -> list[Finding]:
    """Play the levels on a sample invoice, each sent the day it is reached (next business day)."""
    calendar = BusinessCalendar(policy.calendar)
    due = today
    sent: dict[str, dt.date] = {}
    previous: tuple[str, dt.date] | None = None
    found: list[Finding] = []
    for index, level in enumerate(policy.levels):
        when = level_date(policy, index, due, sent, calendar)
        if when is None:
            found.append(finding("error", f"{where}.levels.{level.name}",
                                 ("lint.unreachable", {})))
            continue
        when = calendar.next_business_day(when)
        if previous is not None and when <= previous[1]:
            found.append(finding("error", f"{where}.levels.{level.name}", (
                "lint.overlap", {"when": when, "previous": previous[0],
                                 "previous_day": previous[1], "due": due})))
        sent[level.name] = when
        previous = (level.name, when)
        if level.days > 0 and level.basis == "due_date" and index == 0 and level.days > 365:
            found.append(finding("warning", f"{where}.levels.{level.name}",
                                 ("lint.late_first", {})))
    return found


def check_ladder(where: str, policy: Policy, today: dt.date) -> list[Finding]:
    """Climb the ladder day by day for one invoice, each level planned the first day it is the
    highest reached (what evaluate() does): the order it really goes out in must be the written one.
    A level overtaken by a later one (a formal notice counted from the second reminder that comes
    before the final one) is never sent: an error, not a detail."""
    calendar = BusinessCalendar(policy.calendar)
    due = today
    dates: dict[str, dt.date] = {}
    order: list[str] = []
    top = -1
    day = due - dt.timedelta(days=100)
    while day <= due + dt.timedelta(days=800) and top < len(policy.levels) - 1:
        index = reached_index(policy, due, dates, day, calendar)
        if index > top:
            order.append(policy.levels[index].name)
            dates[policy.levels[index].name] = day
            top = index
        day += dt.timedelta(days=1)
    written = [level.name for level in policy.levels]
    found = [finding("error", f"{where}.levels.{level.name}", ("lint.letter_first", {}))
             for index, level in enumerate(policy.levels) if "letter" in level.channel
             and not any(lv.overdue for lv in policy.levels[:index])]
    if order == written:
        return found
    skipped = [name for name in written if name not in order]
    parts: list[Part] = [("lint.order", {"order": " → ".join(order),
                                         "written": " → ".join(written)}) if order
                         else ("lint.order_none", {"written": " → ".join(written)})]
    if skipped:
        parts.append(("lint.skipped", {"skipped": ", ".join(skipped), "first": skipped[0]}))
    return found + [finding("error", f"{where}.levels", *parts)]


def sample_payload(config: Config, template: str, *, kind: str = "company", language: str = "fr",
                   channels: tuple[str, ...] = ("email",), today: dt.date | None = None
                   ) -> ReminderPayload:
    """A realistic reminder to render: two late invoices, a credit note, another open invoice."""
    today = today or dt.date(2026, 3, 2)

    def item(number: str, days_late: int, amount: str, level: str | None) -> DueItem:
        due = today - dt.timedelta(days=days_late)
        return DueItem(number, number, number, due - dt.timedelta(days=30), due, "EUR",
                       Decimal(amount), Decimal(amount), days_late, level=level,
                       notice_posted=today - dt.timedelta(days=10) if kind == "individual" else None)
    items = (item("F2026-0012", 35, "1440.00", "sample"), item("F2026-0031", 12, "380.50", "sample"))
    intent = ReminderIntent(
        key="0" * 32, tenant=config.tenant, source=config.source.kind, customer_id="C00042",
        customer_name="Boulangerie Lefèvre & Fils" if kind == "company" else "Camille Martin",
        customer_kind=kind, language=language, level="sample", channel="email", template=template,
        recipients=("compta@client.fr",), currency="EUR", items=items,
        credit_notes=(CreditLine("AV-7", "AV-7", today - dt.timedelta(days=20), "EUR",
                                 Decimal("120.00")),),
        statement=items + (item("F2026-0077", -10, "96.00", None),),
        task_title=None, planned_for=today, level_channels=channels,
        customer_address="12 rue des Lilas\n69003 Lyon")
    return intent


def customer_payload(config: Config, template: str, customer: Customer,
                     invoices: list[Invoice], today: dt.date) -> ReminderPayload:
    """A reminder to render with a real customer of the store: its late items (all its open ones
    when none is late), its open credit notes, its other open invoices."""
    customer = config.rulebook.customer(customer)
    items = [DueItem(item_id, inv.external_id, inv.number, inv.issue_date, due, inv.currency,
                     share, residual, (today - due).days, level="preview", instalment=number,
                     instalments=len(inv.instalments) if number else 0)
             for inv in invoices if inv.kind == "invoice" and inv.is_open
             for item_id, due, residual in inv.due_items()
             for number, share in [item_share(inv, item_id)]]
    late = [i for i in items if i.days_late > 0] or items
    if not late:
        raise ConfigError(f"customer {customer.external_id} has no open invoice to remind")
    currency = late[0].currency
    credits = tuple(CreditLine(c.external_id, c.number, c.issue_date, c.currency, c.residual)
                    for c in invoices if c.kind == "credit_note" and c.is_open
                    and c.currency == currency)
    intent = ReminderIntent(
        key="0" * 32, tenant=config.tenant, source=config.source.kind,
        customer_id=customer.external_id, customer_name=customer.name,
        customer_kind=customer.kind, language=customer.language, level="preview",
        channel="email", template=template, recipients=tuple(customer.billing_emails()),
        currency=currency, items=tuple(i for i in late if i.currency == currency),
        credit_notes=credits, statement=tuple(i for i in items if i.currency == currency),
        planned_for=today, customer_address=config.rulebook.address(customer.external_id))
    return intent


def check_templates(where: str, policy: Policy, config: Config, today: dt.date) -> list[Finding]:
    found: list[Finding] = []
    missing = [d for d in config.template_dirs if not d.is_dir()]
    if missing and where == "policy":
        found.append(finding("error", "templates_dir",
                             ("lint.templates_dir", {"path": str(missing[0])})))
    for level in policy.levels:
        if set(level.channel) <= {"task"}:
            continue  # a task's text is built in code, not from the level template
        for language in LANGUAGES:
            names = [level.template] + (["_letter"] if "letter" in level.channel else [])
            for name in names:
                found += _check_template(f"{where}.levels.{level.name}", name, language, config,
                                         level.channel, today)
    return found


def _check_template(where: str, name: str, language: str, config: Config,
                    channels: tuple[str, ...], today: dt.date) -> list[Finding]:
    env = environment(language, config.template_dirs)
    path = f"{language}/{name}.j2"
    try:
        source = env.loader.get_source(env, path)[0]  # type: ignore[union-attr]
    except TemplateNotFound:
        return [finding("error", where, ("lint.no_template", {"path": path,
                                                               "language": language}))]
    known = set(template_context(sample_payload(config, name, today=today), config)) | {"layout"}
    tree = env.parse(source)
    # gettext's callables, and the macros a template imports (which Jinja's meta analysis reports
    # as undeclared inside blocks), are known too
    known |= set(env.globals) | {n if isinstance(n, str) else n[1]
                                 for node in tree.find_all(nodes.FromImport) for n in node.names}
    unknown = meta.find_undeclared_variables(tree) - known
    if unknown:
        return [finding("error", where, ("lint.unknown_variables", {
            "path": path, "names": ", ".join(sorted(unknown))}))]
    for kind in ("company", "individual", "public"):
        payload = sample_payload(config, name, kind=kind, language=language, channels=channels,
                                 today=today)
        try:
            if name == "_letter":
                env.get_template(path).render(template_context(payload, config))
            else:
                render(name, template_context(payload, config), language, config.template_dirs)
        except (TemplateError, ConfigError, TypeError, ValueError) as exc:
            return [finding("error", where, ("lint.sample_fails", {"path": path, "kind": kind,
                                                                   "error": str(exc)}))]
    return []


def check_segments(config: Config) -> list[Finding]:
    found: list[Finding] = []
    for number, segment in enumerate(config.policy.segments):
        conditions = segment.model_dump(exclude={"policy"}, exclude_none=True)
        if not conditions and number < len(config.policy.segments) - 1:
            found.append(finding("warning", f"policy.segments[{number}]",
                                 ("lint.segment_catches_all", {})))
    return found


def check_money(config: Config, today: dt.date) -> list[Finding]:
    found: list[Finding] = []
    terms = config.penalties
    if terms.individual_fee > 0:
        found.append(finding("error", "penalties.individual_fee", ("lint.individual_fee", {})))
    try:
        rates = tables_for(terms, config.base_dir)
    except ConfigError as exc:
        return found + [Finding("error", "penalties.rates_file", str(exc))]
    # a claim lives 5 years (C. com. L. 110-4): look at every half-year it may still cover
    start = dt.date(today.year - 5, today.month, 1)
    floors = contract_floors(terms, start, today, rates)
    if floors:
        listed = ", ".join(f"{half.label} ({floor} %)" for half, floor in floors)
        found.append(finding("warning", "penalties.contract_rate", (
            "lint.contract_floor", {"rate": terms.contract_rate, "listed": listed})))
    provisional = rates.provisional_half_years(start, today)
    if provisional:
        found.append(Finding("warning", "rates", provisional_text(provisional, rates)))
    return found


def check_terms(invoices: Iterable[Invoice], periodic: bool = False) -> list[Finding]:
    """Payment terms beyond the legal maximum (art. L. 441-10 I C. com.): 60 days from the invoice
    date or 45 days end of month; 45 days for periodic invoices. Warn with examples."""
    long = [i for i in invoices if i.kind == "invoice" and not i.instalments
            and i.due_date > latest_lawful_due_date(i.issue_date, periodic=periodic)]
    if not long:
        return []
    examples = ", ".join(f"{i.number} ({(i.due_date - i.issue_date).days} d)" for i in long[:5])
    key = "lint.long_terms_periodic" if periodic else "lint.long_terms"
    return [finding("warning", "ledger", (key, {"n": len(long), "examples": examples}))]