"""What a reminder says: the template context, and the short texts left as tasks and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connector import formatting
from connector.config import Config
from connector.delivery.render import environment, pick_language
from connector.rules.legal import court_for, french_half_year
from connector.rules.payload import CreditLine, DueItem, ReminderPayload
from connector.rules.penalties import DAY_COUNT, Claim, Movement, b2b_rate, claim, tables_for
from connector.rules.words import STAGE_WORDS

TASK_TITLES = {
    "fr": "Relancer {customer} : {amount} dû ({stage})",
    "en": "Chase {customer}: {amount} due ({stage})",
}
# What a person reads instead of the internal level names; other levels read as "relance".
NOTE_TITLES = {
    "fr": "Relance « {level} » envoyée par {channel} à {recipients} : {amount}",
    "en": "Reminder '{level}' sent by {channel} to {recipients}: {amount}",
}


def template_context(payload: ReminderPayload, config: Config,
                     history: Mapping[str, Sequence[Movement]] | None = None) -> dict[str, Any]:
    """Everything a template may use. `history`: each invoice's amount-due changes (the store's
    balance history), so that interest follows the balance; without it, today's balance."""
    if not payload.statement_ready:  # a stored row: its "other open invoices" are re-read first
        raise ValueError(f"reminder {payload.key}: statement lines not built (with_statement)")
    items = list(payload.items)
    reminded = {i.item_id for i in items}
    statement = [i for i in payload.statement if i.item_id not in reminded and i.residual > 0]
    today = payload.planned_for
    kind = payload.customer_kind
    rates = tables_for(config.penalties, config.base_dir)
    numbers = {i.invoice_id: i.number for i in items}
    # one credit note is deducted once per customer: only the share used here is shown (issue 13)
    credits = _share(list(payload.credit_notes), payload.credits)
    figures = claim(items, today, kind=kind, terms=config.penalties, rates=rates,
                    history=history, credits=linked_credits(credits, numbers))
    to_pay = payload.amount_to_pay
    letter = config.letter
    receipt = today + dt.timedelta(days=config.penalties.notice_delivery_days)
    return {
        "sender": config.sender.model_dump(),
        "customer_id": payload.customer_id,
        "customer_kind": kind,
        # B2B-only wording (art. L. 441-10, the €40) is shown only when this is true
        "professional": kind != "individual",
        "customer_address": payload.customer_address,
        "customer_name": payload.customer_name,
        "contact_name": None,
        "level": payload.level,
        # whether this customer already had an overdue reminder: "despite our reminders" only then
        "previous_reminders": payload.previous_reminders,
        "currency": payload.currency,
        "items": items,
        "invoice_count": len({i.invoice_id for i in items}),
        # the words of a courtesy note: all still to come, due today, or already past
        "due_when": _due_when(items),
        "credit_notes": credits,
        # credit notes on an invoice of this message are shown with it; the others are credits
        # on the account, deducted from the total
        "invoice_numbers": numbers,
        "linked_credits": [c for c in credits if c.credited_invoice_id in numbers],
        "account_credits": [c for c in credits if c.credited_invoice_id not in numbers],
        "other_open": statement,
        "amount_due": payload.amount_due,
        "credits": payload.credits,
        "amount_to_pay": to_pay,
        "today": today.isoformat(),
        # late-payment figures (rules/penalties.py): B2B interest + €40 per invoice; B2C interest
        # from receipt of the formal notice only
        "penalties": figures.interest,
        "indemnity": figures.indemnity,
        # a €40 never joins a total in another currency: "+ 40 € d'indemnité forfaitaire"
        "indemnity_apart": figures.indemnity_apart,
        "interest_rate": figures.rate if figures.rate is not None else
        _rate_in_force(kind, today, config),
        "legal_rate": rates.legal_on(today, individual=config.penalties.creditor_individual),
        "claim_total": to_pay + figures.total,
        "rates_provisional": figures.provisional,
        "provisional_half_years": [french_half_year(h) for h in figures.provisional_half_years],
        "rates_used": [{"half_year": french_half_year(label), "rate": rate,
                        "provisional": provisional}
                       for label, rate, provisional in figures.rates_used],
        "breakdown": breakdown(items, figures),
        "day_count": DAY_COUNT,
        "deadline_days": letter.deadline_days,
        "deadline": receipt + dt.timedelta(days=letter.deadline_days),
        "court": court_for(kind, payload.customer_address, letter.courts, letter.court),
        "payment_links": payment_links(config.sender.payment_link, items, credits, payload,
                                       to_pay),
        # the customer's other currencies in this message: a section each, never summed
        "sections": [_section(other) for other in payload.others],
        # the registered letter of the same level: mentioned as sent only once posted
        "letter_posted": False,
        "letter_posted_on": None,
        "letter_tracking": None,
    }


def _section(other: ReminderPayload) -> dict[str, Any]:
    """What the text shows of another currency: its items, credits and total, in that currency."""
    return {"currency": other.currency, "lines": list(other.items), "level": other.level,
            "credit_notes": _share(list(other.credit_notes), other.credits),
            "amount_to_pay": other.amount_to_pay}


def _due_when(items: list[DueItem]) -> str:
    """"soon" when every item is still to come, "today" when the latest falls due today, "past"
    when one is already late (a courtesy note sent after a weekend or holiday)."""
    latest = max((i.days_late for i in items), default=-1)
    return "soon" if latest < 0 else "today" if latest == 0 else "past"


def _share(credits: list[CreditLine], used: Decimal) -> list[CreditLine]:
    """The credit notes as deducted in this message, oldest first, the last one only in part: the
    rest of them went against the customer's other late invoices (rules/engine.py)."""
    shown: list[CreditLine] = []
    for credit in sorted(credits, key=lambda c: (c.issue_date, c.number)):
        if used <= 0:
            break
        part = min(credit.residual, used)
        shown.append(replace(credit, residual=part))
        used -= part
    return shown


def linked_credits(credits: list[CreditLine], invoices: Mapping[str, str]
                   ) -> dict[str, list[Movement]]:
    """The credit notes deducted from an invoice of the message, as reductions of its interest
    base from their own date (rules/imputation.py); a credit on the account is linked to no
    invoice and leaves every interest base alone."""
    found: dict[str, list[Movement]] = {}
    for credit in credits:
        target = credit.credited_invoice_id
        if target is not None and target in invoices and credit.residual > 0:
            found.setdefault(target, []).append(
                Movement(credit.issue_date, credit.residual, "credit"))
    return found


def breakdown(items: list[Any], figures: Claim) -> list[dict[str, Any]]:
    """Per item: principal, periods (days, base, rate, interest), interest, €40 (CPC art. 1407
    asks for "le décompte des différents éléments de la créance")."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        penalty = figures.by_invoice.get(item.item_id)
        if penalty is None:
            continue
        first = item.invoice_id not in seen
        seen.add(item.invoice_id)
        rows.append({
            "number": item.number, "due_date": item.due_date, "principal": item.residual,
            "periods": [{"start": p.start, "end": p.end, "days": p.days, "base": p.base,
                         "rate": p.rate, "interest": p.interest.quantize(Decimal("0.01")),
                         "provisional": p.provisional} for p in penalty.periods],
            "interest": penalty.interest,
            "indemnity": penalty.indemnity if first else Decimal("0.00"),
        })
    return rows


def payment_links(template: str | None, items: list[DueItem], credits: list[CreditLine],
                  payload: ReminderPayload, to_pay: Decimal) -> list[dict[str, Any]]:
    """One link per invoice when the template names `{number}` or `{amount}`, each at what is
    left to pay on it (its own credit notes deducted), else one link for the whole; a credit on
    the account (linked to no invoice) makes it one link for the total. Values are URL-quoted."""
    if not template:
        return []
    currency = payload.currency
    customer = quote(payload.customer_id, safe="")

    def link(number: str | None, label: str, amount: Decimal) -> dict[str, Any]:
        return {"number": number, "amount": amount, "url": template.format(
            number=quote(label, safe=""), amount=f"{amount:.2f}", currency=currency,
            customer=customer)}
    owed: dict[str, tuple[str, Decimal]] = {}
    for item in items:
        number, amount = owed.get(item.invoice_id, (item.number, Decimal(0)))
        owed[item.invoice_id] = (number, amount + item.residual)
    per_invoice = any(f"{{{name}}}" in template for name in ("number", "amount"))
    if not per_invoice or not owed or any(c.credited_invoice_id is None for c in credits):
        return [link(None, "-".join(n for n, _ in owed.values()), to_pay)]
    for credit in credits:
        number, amount = owed[credit.credited_invoice_id or ""]
        owed[credit.credited_invoice_id or ""] = (number, amount - credit.residual)
    return [link(number, number, amount) for number, amount in owed.values() if amount > 0]


def _rate_in_force(kind: str, today: dt.date, config: Config) -> Decimal:
    """The rate a template quotes when nothing has accrued yet (not late, or B2C before notice)."""
    rates = tables_for(config.penalties, config.base_dir)
    if kind == "individual":
        return rates.legal_on(today, individual=config.penalties.creditor_individual)
    return b2b_rate(today, config.penalties, rates)


def _money(payload: ReminderPayload, config: Config, amount: Decimal) -> str:
    """Tasks and notes are read by the collector: in the firm's language, not the customer's."""
    language = pick_language(config.language)
    return str(environment(language).filters["money"](amount, payload.currency))


def task_text(payload: ReminderPayload, config: Config) -> str:
    """First line is the title; then the invoices, so whoever calls has the figures at hand."""
    language = pick_language(config.language)
    title = payload.task_title or TASK_TITLES[language]
    stage = STAGE_WORDS[language].get(payload.level, "relance" if language == "fr"
                                      else "reminder")
    title = title.format(customer=payload.customer_name, level=stage, stage=stage,
                         amount=_money(payload, config, payload.amount_to_pay))
    if payload.task_title:
        title = f"{title} – {payload.customer_name}"
    lines = [title]
    for item in payload.items:
        share = f" {item.instalment}/{item.instalments}" if item.instalment else ""
        amount = _money(payload, config, item.residual)
        if language == "fr":
            late = formatting.ngettext("jour", "jours", item.days_late, language)
            lines.append(f"{item.number}{share} (échéance {item.due_date.isoformat()}, "
                         f"{item.days_late} {late} de retard) : {amount}")
        else:
            late = formatting.ngettext("day", "days", item.days_late, language)
            lines.append(f"{item.number}{share} (due {item.due_date.isoformat()}, "
                         f"{item.days_late} {late} late): {amount}")
    return "\n".join(lines)


def note_text(payload: ReminderPayload, config: Config) -> str:
    """The trace left in the source's chatter/notes: what was sent, to whom, how much (the
    source stamps our key itself, once)."""
    language = pick_language(config.language)
    recipients = ", ".join(payload.recipients) or "-"
    head = NOTE_TITLES[language].format(
        level=payload.level, channel=payload.channel, recipients=recipients,
        amount=_money(payload, config, payload.amount_to_pay))
    numbers = ", ".join(i.number for i in payload.items)
    return f"{head}\n{numbers}"
