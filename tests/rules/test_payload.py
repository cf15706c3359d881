"""The reminder payload: its amounts, and the JSON outbox rows have always held."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest

from connector.rules.payload import CreditLine, DueItem, ReminderPayload
from tests.helpers import invoice

DAY = dt.date(2026, 11, 27)


def item(invoice: str, residual: str, item_id: str | None = None) -> DueItem:
    return DueItem(item_id or invoice, invoice, f"F-{invoice}", DAY - dt.timedelta(days=60),
                   DAY - dt.timedelta(days=30), "EUR", Decimal("500.00"), Decimal(residual), 30,
                   level="first")


def payload(*items: DueItem, credits: tuple[CreditLine, ...] = ()) -> ReminderPayload:
    return ReminderPayload(
        key="k" * 32, tenant="acme", source="odoo", customer_id="7", customer_name="Alpha",
        customer_kind="company", language="fr", level="first", channel="email",
        template="first", recipients=("a@alpha.example",), currency="EUR", items=items,
        credit_notes=credits, statement=items, planned_for=DAY)


def credit(residual: str) -> CreditLine:
    return CreditLine("99", "AV-1", DAY, "EUR", Decimal(residual))


def test_amount_to_pay_is_the_items_less_the_open_credit_notes() -> None:
    asked = payload(item("61", "300.00"), item("190", "450.50"), credits=(credit("100.00"),))
    assert asked.amount_due == Decimal("750.50") and asked.credits == Decimal("100.00")
    assert asked.amount_to_pay == Decimal("650.50")
    assert payload(item("61", "80.00"), credits=(credit("100.00"),)).amount_to_pay == 0


def test_invoice_ids_compare_as_numbers_and_each_invoice_keeps_its_amount() -> None:
    asked = payload(item("190", "450.50"), item("61", "200.00", "61-1"),
                    item("61", "100.00", "61-2"))
    assert asked.invoice_ids == ["61", "190"]  # not "190" before "61"
    assert asked.invoice_amounts() == {"61": Decimal("300.00"), "190": Decimal("450.50")}


def test_json_round_trip_keeps_every_field() -> None:
    asked = dataclasses.replace(payload(item("61", "300.00"), credits=(credit("10.00"),)),
                                cc=("dg@alpha.example",), level_channels=("email", "letter"),
                                customer_address="1 rue de la Paix\n75002 Paris")
    stored = ReminderPayload.from_json(asked.to_json())
    # every field comes back, the statement as references to rebuild from the invoices
    assert stored.statement == () and stored.statement_refs == (("61", "61"),)
    assert not stored.statement_ready and stored.referenced_ids == asked.referenced_ids
    open_invoice = invoice("61", DAY - dt.timedelta(days=30), "500.00", residual="300.00",
                           customer_id="7")
    planned = dataclasses.replace(asked, statement=tuple(  # as the engine lists them: no level
        dataclasses.replace(i, level=None) for i in asked.statement))
    assert stored.with_statement({"61": open_invoice}) == planned
    assert ReminderPayload.from_json(stored.to_json()) == stored


def test_a_statement_line_paid_since_is_not_listed_and_a_part_paid_one_is_up_to_date() -> None:
    asked = payload(item("61", "300.00"), item("62", "500.00"))
    stored = ReminderPayload.from_json(asked.to_json())
    due = DAY - dt.timedelta(days=30)
    lines = stored.with_statement({
        "61": invoice("61", due, "500.00", residual="120.00", customer_id="7"),
        "62": invoice("62", due, "500.00", residual="0.00", status="paid", customer_id="7")})
    assert [(i.invoice_id, i.residual, i.days_late) for i in lines.statement] == \
        [("61", Decimal("120.00"), 30)]


def test_a_stored_payload_is_never_rendered_before_its_statement_is_built() -> None:
    from connector.config import Config
    from connector.delivery.messages import template_context

    config = Config.model_validate({"tenant": "t", "source": {"kind": "demo"},
                                    "sender": {"name": "A", "email": "a@exemple.fr"}})
    stored = ReminderPayload.from_json(payload(item("61", "300.00")).to_json())
    with pytest.raises(ValueError, match="statement lines not built"):
        template_context(stored, config)
    assert template_context(stored.with_statement({}), config)["other_open"] == []


def test_a_row_written_before_the_model_reads_and_writes_back_the_same_json() -> None:
    """What `json.dumps(asdict(intent), default=str)` stored, before newer fields existed."""
    old = {"key": "0" * 32, "tenant": "acme", "source": "demo", "customer_id": "C1",
           "customer_name": "Client C1", "customer_kind": "company", "language": "fr",
           "level": "first", "channel": "email", "template": "first",
           "recipients": ["c1@exemple.fr"], "currency": "EUR",
           "items": [{"item_id": "I1", "invoice_id": "I1", "number": "F-I1",
                      "issue_date": "2026-09-28", "due_date": "2026-10-28", "currency": "EUR",
                      "total": "100.00", "residual": "100.00", "days_late": 30,
                      "level": "first", "noticed_on": None}],
           "credit_notes": [], "statement": [], "task_title": None, "planned_for": "2026-11-27",
           "cc": [], "level_channels": ["email"]}
    typed = ReminderPayload.from_json(json.dumps(old))
    assert typed.amount_to_pay == Decimal("100.00") and typed.planned_for == DAY
    assert typed.policy == "standard" and typed.customer_address is None  # defaults
    again = json.loads(typed.to_json())
    # what was stored comes back unchanged (fields added since, at their defaults, come along;
    # the statement as references since issue 18)
    items = [{k: item[k] for k in old["items"][0]} for item in again["items"]]
    assert again["statement_refs"] == [] and "statement" not in again
    assert {**{k: again[k] for k in old if k != "statement"}, "items": items} == \
        {k: v for k, v in old.items() if k != "statement"}
    assert again["items"][0]["instalment"] == 0  # a whole invoice
    assert ReminderPayload.from_dict({**old, "added_later": 1}) == typed  # forward-compatible


