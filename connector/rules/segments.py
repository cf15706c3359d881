"""Which policy applies to a customer: per-customer overrides first, then segments, then default.

The `Rulebook` gathers the default `[policy]`, the named `[policies.<name>]`, the `[[policy.segments]]`
routing between them and the `[customers."<id>"]` overrides. Pure: it looks only at what it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from connector.models import Customer, Invoice
from connector.rules.policy import CustomerOverride, Policy, Segment


@dataclass(frozen=True)
class Choice:
    policy: Policy
    why: str


@dataclass(frozen=True)
class Rulebook:
    default: Policy
    named: Mapping[str, Policy] = field(default_factory=dict)
    overrides: Mapping[str, CustomerOverride] = field(default_factory=dict)

    def policy(self, name: str) -> Policy:
        if name in ("", self.default.name, "default"):
            return self.named.get(name) or self.default
        return self.named[name]

    def customer(self, customer: Customer) -> Customer:
        """The customer as the reminders see it, with the config's overrides applied."""
        override = self.overrides.get(customer.external_id)
        if override is None:
            return customer
        changes: dict[str, object] = {}
        if override.email:
            changes.update(email=override.email, contacts=())
        if override.language:
            changes["language"] = override.language
        if override.do_not_dun is not None:
            changes["do_not_dun"] = override.do_not_dun
        return customer.model_copy(update=changes) if changes else customer

    def cc(self, customer_id: str) -> tuple[str, ...]:
        override = self.overrides.get(customer_id)
        return tuple(override.cc) if override else ()

    def address(self, customer_id: str) -> str | None:
        override = self.overrides.get(customer_id)
        return override.address if override else None

    def choose(self, customer: Customer, invoices: list[Invoice], today: dt.date,
               score: float | None = None) -> Choice:
        override = self.overrides.get(customer.external_id)
        if override is not None and override.policy:
            return Choice(self.policy(override.policy),
                          f"policy {override.policy!r} set for this customer in [customers]")
        if not self.default.segments:
            return Choice(self.default, f"default policy {self.default.name!r}")
        due, late = _exposure(invoices, today)
        for number, segment in enumerate(self.default.segments, start=1):
            if matches(segment, customer, due, late, score):
                return Choice(self.policy(segment.policy),
                              f"segment #{number} → policy {segment.policy!r}")
        return Choice(self.default, f"no segment matched: default policy {self.default.name!r}")


def _exposure(invoices: list[Invoice], today: dt.date) -> tuple[Decimal, int]:
    """Amount still due on open invoices (credit notes deducted) and the most days late."""
    due, late = Decimal(0), 0
    for invoice in invoices:
        if not invoice.is_open:
            continue
        if invoice.kind == "credit_note":
            due -= invoice.residual
            continue
        due += invoice.residual
        for _item, due_date, _residual in invoice.due_items():
            late = max(late, (today - due_date).days)
    return due, late


def matches(segment: Segment, customer: Customer, amount_due: Decimal, days_late: int,
            score: float | None) -> bool:
    """Every condition the segment states must hold."""
    checks = [
        segment.tag is None or segment.tag in customer.tags,
        segment.kind is None or segment.kind == customer.kind,
        segment.language is None or segment.language == customer.language,
        segment.min_amount_due is None or amount_due >= segment.min_amount_due,
        segment.max_amount_due is None or amount_due <= segment.max_amount_due,
        segment.min_days_late is None or days_late >= segment.min_days_late,
    ]
    if segment.min_score is not None or segment.max_score is not None:
        checks.append(score is not None
                      and (segment.min_score is None or score >= segment.min_score)
                      and (segment.max_score is None or score <= segment.max_score))
    return all(checks)
