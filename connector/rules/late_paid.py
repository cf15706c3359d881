"""Late-paid invoices keep their claim: a "facture de pénalités" for invoices paid after their
due date (C. com. art. L. 441-10: interest and the €40 are due as of right, even once the principal
is paid). Off by default (`penalties.late_paid`); never for a consumer, never once time-barred,
once per invoice (the intent's key is deterministic: the outbox refuses it a second time).

Interest is counted over the stored balance history only: an invoice first seen already paid has
none, so nothing is claimed for it (we do not know when it was paid).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from connector.models import Customer, Invoice
from connector.rules.engine import DueItem, ReminderIntent, reminder_key
from connector.rules.penalties import Movement, PenaltyTerms, claim
from connector.rules.prescription import time_barred
from connector.rules.rates import RateTables

LEVEL = "penalties"
TEMPLATE = "penalties"


def late_paid_intents(paid: Iterable[tuple[Customer, Sequence[Invoice]]],
                      history: Mapping[str, Sequence[Movement]], today: dt.date, *,
                      tenant: str, source: str, channel: str, terms: PenaltyTerms,
                      rates: RateTables | None = None) -> list[ReminderIntent]:
    intents: list[ReminderIntent] = []
    for customer, invoices in paid:
        if customer.kind == "individual":
            continue  # a consumer owes interest only after a formal notice, never the €40
        recipients = tuple(customer.billing_emails())
        use = channel if recipients or channel != "email" else "task"
        for invoice in invoices:
            if (invoice.kind != "invoice" or invoice.residual != 0 or invoice.paid_date is None
                    or invoice.paid_date <= invoice.due_date
                    or time_barred(invoice.due_date, today, customer.kind)):
                continue
            item = DueItem(invoice.external_id, invoice.external_id, invoice.number,
                           invoice.issue_date, invoice.due_date, invoice.currency, invoice.total,
                           Decimal("0.00"), (invoice.paid_date - invoice.due_date).days,
                           level=LEVEL)
            figures = claim([item], today, kind=customer.kind, terms=terms, rates=rates,
                            history=history)
            if figures.interest <= 0:
                continue
            intents.append(ReminderIntent(
                key=reminder_key(tenant, source, customer.external_id, use, (item,)),
                tenant=tenant, source=source, customer_id=customer.external_id,
                customer_name=customer.name, customer_kind=customer.kind,
                language=customer.language, level=LEVEL, channel=use, template=TEMPLATE,
                recipients=recipients if use == "email" else (), currency=invoice.currency,
                items=(item,), credit_notes=(), planned_for=today, level_channels=(use,),
                task_title=f"Facture de pénalités : {invoice.number} payée avec "
                           f"{item.days_late} jours de retard" if use == "task" else None))
    return intents
