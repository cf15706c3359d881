"""Bank credits and their matches in the store; the holds they put on invoices.

A credit is stored once per (tenant, reference): importing a statement again, or one that overlaps
it, adds nothing. Each credit gets one match row when it is first matched. A match that holds
(`held` by the matcher's confidence, or `confirmed` by a person) keeps its invoices out of the
reminders until `hold_until`; a person may reject it (`relance bank reject`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select, update

from connector.models import BankCredit, from_minor, to_minor
from connector.rules.bank import Match
from connector.store import tables as t
from connector.store.store import Store

HOLDING = ("held", "confirmed")
STATUSES = ("held", "review", "unmatched", "confirmed", "rejected")


def save_credits(conn: Connection, tenant: str, credits: Sequence[BankCredit], file: str,
                 now: dt.datetime) -> int:
    """Store the credits not yet known; returns how many were new."""
    if not credits:
        return 0
    refs = [c.reference for c in credits]
    known = set(conn.execute(select(t.bank_credits.c.reference).where(
        t.bank_credits.c.tenant == tenant, t.bank_credits.c.reference.in_(refs))).scalars())
    new = {c.reference: c for c in credits if c.reference not in known}  # once per file too
    for credit in new.values():
        conn.execute(t.bank_credits.insert().values(
            tenant=tenant, reference=credit.reference, account=credit.account[:64],
            booked_on=credit.date, value_on=credit.value_date,
            amount_minor=to_minor(credit.amount, credit.currency), currency=credit.currency,
            payer=credit.payer, text=credit.text, file=file, imported_at=now))
    return len(new)


def unmatched(conn: Connection, tenant: str) -> list[tuple[int, BankCredit]]:
    """Credits that have no match row yet, oldest first."""
    c = t.bank_credits.c
    query = (select(t.bank_credits).where(c.tenant == tenant, ~c.id.in_(
        select(t.bank_matches.c.credit_id).where(t.bank_matches.c.tenant == tenant)))
        .order_by(c.booked_on, c.id))
    return [(int(row["id"]), _credit(row)) for row in conn.execute(query).mappings()]


def record_match(conn: Connection, tenant: str, source: str, credit_id: int, found: Match,
                 *, hold_until: dt.date | None, now: dt.datetime) -> int:
    best = found.best
    status = "held" if found.verdict == "confident" else \
        "unmatched" if found.verdict == "none" else "review"
    return int(conn.execute(t.bank_matches.insert().values(
        tenant=tenant, source=source, credit_id=credit_id,
        customer_id=best.customer_id if best else None,
        invoice_ids=json.dumps(list(best.invoice_ids) if best else []),
        numbers=json.dumps(list(best.numbers) if best else []),
        score=best.score if best else 0, verdict=found.verdict, explanation=found.explain(),
        status=status, hold_until=hold_until if status == "held" else None,
        created_at=now)).inserted_primary_key[0])  # type: ignore[index]


def _holds_query(on_day: bool) -> Select[Any]:
    m, c = t.bank_matches.c, t.bank_credits.c
    query = (select(m.id, m.invoice_ids, m.hold_until, m.status, c.booked_on, c.amount_minor,
                    c.currency, c.payer)
             .select_from(t.bank_matches.join(t.bank_credits, c.id == m.credit_id))
             .where(m.tenant == bindparam("b_tenant"), m.source == bindparam("b_source"),
                    m.status.in_(HOLDING))
             .order_by(m.id))
    return query.where(m.hold_until >= bindparam("b_today")) if on_day else query


# Built once: the freshness gate asks for the holds before every claim of a delivery run
_HOLDS, _HOLDS_ON = _holds_query(False), _holds_query(True)


def holds(conn: Connection, tenant: str, source: str,
          today: dt.date | None = None) -> list[dict[str, Any]]:
    """Matches that hold their invoices (on `today` when given), with their credit."""
    values: dict[str, Any] = {"b_tenant": tenant, "b_source": source}
    if today is not None:
        values["b_today"] = today
    return [{**row, "invoice_ids": json.loads(row["invoice_ids"]),
             "amount": from_minor(row["amount_minor"], row["currency"])}
            for row in conn.execute(_HOLDS if today is None else _HOLDS_ON, values).mappings()]


def held_invoices(store: Store, tenant: str, source: str, invoice_ids: Sequence[str],
                  today: dt.date, *, reader: Connection | None = None,
                  ) -> dict[str, dict[str, Any]]:
    """Which of these invoices a bank credit pays (held on `today`), with that hold; `reader`:
    `Store.reader`'s connection, or None for a connection of its own."""
    wanted = set(invoice_ids)
    with store.reading(reader) as conn:
        return {invoice_id: hold for hold in holds(conn, tenant, source, today)
                for invoice_id in hold["invoice_ids"] if invoice_id in wanted}


def listing(store: Store, tenant: str, source: str, *, every: bool = False,
            ) -> list[dict[str, Any]]:
    """Matches with their credit, newest credit first; without `every` only those a person may
    want to look at (held, to review)."""
    m, c = t.bank_matches.c, t.bank_credits.c
    query = (select(m.id, m.customer_id, m.invoice_ids, m.numbers, m.score, m.verdict,
                    m.explanation, m.status, m.hold_until, m.decided_by, c.booked_on,
                    c.amount_minor, c.currency, c.payer, c.text, c.reference)
             .select_from(t.bank_matches.join(t.bank_credits, c.id == m.credit_id))
             .where(m.tenant == tenant, m.source == source)
             .order_by(c.booked_on.desc(), m.id.desc()))
    if not every:
        query = query.where(m.status.in_(("held", "review")))
    with store.engine.connect() as conn:
        return [{**row, "invoice_ids": json.loads(row["invoice_ids"]),
                 "numbers": json.loads(row["numbers"]),
                 "amount": from_minor(row["amount_minor"], row["currency"])}
                for row in conn.execute(query).mappings()]


def get(conn: Connection, tenant: str, match_id: int) -> dict[str, Any] | None:
    m, c = t.bank_matches.c, t.bank_credits.c
    row = conn.execute(select(t.bank_matches, c.booked_on, c.amount_minor, c.currency, c.payer,
                              c.reference)
                       .select_from(t.bank_matches.join(t.bank_credits, c.id == m.credit_id))
                       .where(m.tenant == tenant, m.id == match_id)).mappings().first()
    if row is None:
        return None
    return {**row, "invoice_ids": json.loads(row["invoice_ids"]),
            "numbers": json.loads(row["numbers"]),
            "amount": from_minor(row["amount_minor"], row["currency"])}


def decide(conn: Connection, tenant: str, match_id: int, status: str, *, by: str,
           now: dt.datetime, hold_until: dt.date | None) -> None:
    if status not in STATUSES:
        raise ValueError(status)
    conn.execute(update(t.bank_matches).where(
        t.bank_matches.c.tenant == tenant, t.bank_matches.c.id == match_id).values(
        status=status, decided_by=by, decided_at=now, hold_until=hold_until))


def _credit(row: Any) -> BankCredit:
    return BankCredit(reference=row["reference"], account=row["account"], date=row["booked_on"],
                      value_date=row["value_on"],
                      amount=from_minor(row["amount_minor"], row["currency"]),
                      currency=row["currency"], payer=row["payer"], text=row["text"])
