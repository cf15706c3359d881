"""A quarter of daily runs on the demo ledger, checked the way an accountant would audit it.

Each simulated day runs `sync + plan + deliver` with the clock set to 09:00 in Paris. Afterwards:
no customer got two messages within the minimum gap, nothing was planned or sent on a weekend or a
French public holiday, nothing went out for a disputed invoice or one under a payment promise, and
each formal notice states the penalty figures computed from its own invoices. The ladder (issue 13):
every invoice's levels strictly increase across the messages that list it, no formal notice for an
invoice that never had an overdue reminder, no courtesy note to a customer with overdue invoices, and
the first day's messages are first-level reminders. A person approves the formal notices each day.
`benchmarks/simulate_quarter.py` runs the same on the full demo ledger and prints the figures.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pypdf
from sqlalchemy import select

from connector.app import review
from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.commands.views import money
from connector.config import load_config
from connector.rules.calendar import BusinessCalendar
from connector.rules.payload import ReminderPayload
from connector.rules.penalties import claim
from connector.store import outbox
from connector.store import pauses as pause_store
from connector.store import tables as t
from connector.store.store import invoice_from_row
from tests.helpers import BASE_CONFIG

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = dt.date(2026, 11, 27)
CONFIG = Path(__file__).resolve().parents[2] / "connector" / "config_example.toml"


@dataclass
class Quarter:
    days: int = 0
    messages: int = 0
    letters: int = 0
    ladder_messages: int = 0
    problems: list[str] = field(default_factory=list)


def simulate(workdir: Path, *, days: int = 90, customers: int = 50, invoices: int = 720,
             start: dt.date = START) -> Quarter:
    """Play `days` daily runs from `start` with the example policy; return what went wrong."""
    workdir.mkdir(parents=True, exist_ok=True)
    text = CONFIG.read_text(encoding="utf-8")
    sender = BASE_CONFIG.split("[sender]", 1)[1].split("[email]", 1)[0]
    text = text.replace('anchor = "2026-11-27"', f'anchor = "{start.isoformat()}"\n'
                        f'customers = {customers}\ninvoices = {invoices}')
    text = text.replace(text.split("[sender]", 1)[1].split("[email]", 1)[0], sender)
    (workdir / "relance.toml").write_text(text, encoding="utf-8")
    config = load_config(workdir / "relance.toml")
    first = open_tenant(config, today=start)
    first.sync()
    disputed, promised = _pick_two(first.plan())
    pause_store.add(first.store, config.tenant, "demo", scope="invoice", target_id=disputed,
                    kind="dispute", until=None, reason="simulation", by="sim",
                    now=first.clock.now())
    promise_until = start + dt.timedelta(days=20)
    pause_store.add(first.store, config.tenant, "demo", scope="invoice", target_id=promised,
                    kind="promise", until=promise_until, reason="simulation", by="sim",
                    now=first.clock.now())
    result = Quarter()
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        morning = dt.datetime.combine(day, dt.time(9, 0), PARIS).astimezone(dt.UTC)
        clock = Clock.frozen(morning, config.timezone)
        open_tenant(config, store=first.store, clock=clock).run()
        if review.approve(first.store, config.tenant, every=True, by="sim", now=clock.now()):
            open_tenant(config, store=first.store, clock=clock).run(do_sync=False)
        result.days += 1
    _audit(first, config, result, disputed, promised, start, promise_until)
    return result


def _pick_two(intents: list) -> tuple[str, str]:
    """Two late invoices of two different customers planned on the first day."""
    seen: dict[str, str] = {}
    for intent in intents:
        if intent.channel == "email" and intent.customer_id not in seen:
            seen[intent.customer_id] = intent.items[0].invoice_id
    picked = list(seen.values())
    return picked[0], picked[1]


def _audit(tenant, config, result: Quarter, disputed: str, promised: str, start: dt.date,
           promise_until: dt.date) -> None:
    calendar = BusinessCalendar(config.policy.calendar)
    gap = max(config.policy.min_gap_days, 1)
    rows = outbox.rows(tenant.store, config.tenant, limit=1_000_000)
    contact_days: dict[str, set[dt.date]] = defaultdict(set)
    for row in rows:
        planned = row["planned_for"]
        payload = json.loads(row["payload"])
        invoice_ids = {i["invoice_id"] for i in payload["items"]}
        if not calendar.is_business_day(planned):
            result.problems.append(f"{row['key']} planned on {planned} ({calendar.why_not(planned)})")
        if disputed in invoice_ids:
            result.problems.append(f"{row['key']} names the disputed invoice {disputed}")
        if promised in invoice_ids and start <= planned <= promise_until:
            result.problems.append(f"{row['key']} names {promised} during its payment promise")
        if row["status"] != "sent" or row["channel"] == "note":
            continue
        sent_day = row["sent_at"].replace(tzinfo=dt.UTC).astimezone(PARIS).date() \
            if row["sent_at"].tzinfo is None else row["sent_at"].astimezone(PARIS).date()
        if not calendar.is_business_day(sent_day):
            result.problems.append(f"{row['key']} sent on {sent_day}")
        contact_days[row["customer_id"]].add(sent_day)
        result.messages += row["channel"] in ("email", "letter")
        if row["channel"] == "letter":
            result.letters += 1
            _check_letter(tenant, config, row, payload, result)
    for customer, days in contact_days.items():
        ordered = sorted(days)
        for before, after in zip(ordered, ordered[1:]):
            if (after - before).days < gap:
                result.problems.append(f"{customer} contacted on {before} and {after}")
    _audit_ladder(config, rows, start, result, _item_due_dates(tenant))


def _item_due_dates(tenant) -> dict[str, dt.date]:
    """Each chased item's due date, whatever the invoice's status now (statement lines are
    stored as references since issue 18)."""
    with tenant.store.engine.connect() as conn:
        invoices = [invoice_from_row(r) for r in conn.execute(select(t.invoices)).mappings()]
    due = {}
    for invoice in invoices:
        due[invoice.external_id] = invoice.due_date
        for number, instalment in enumerate(invoice.instalments, start=1):
            due[f"{invoice.external_id}#{number}"] = instalment.due_date
    return due


def _audit_ladder(config, rows, start: dt.date, result: Quarter,
                  due: dict[str, dt.date]) -> None:
    """The customer's ladder, read back from every message planned over the quarter."""
    policy = config.policy
    rank = {level.name: n for n, level in enumerate(policy.levels)}
    overdue = {level.name for level in policy.levels if level.overdue}
    letters = {level.name for level in policy.levels if "letter" in level.channel}
    listed: dict[str, set[tuple[dt.date, str]]] = defaultdict(set)  # invoice → (day, level)
    for row in rows:
        if row["channel"] == "note":
            continue
        payload = json.loads(row["payload"])
        for item in payload["items"]:
            listed[item["item_id"]].add((row["planned_for"], row["level"]))
        if row["level"] == "courtesy" and any((row["planned_for"] - due[item]).days > 0
                                              for _invoice, item in payload["statement_refs"]):
            result.problems.append(f"{row['key']}: courtesy note to {row['customer_id']} who "
                                   "has overdue invoices")
        if row["planned_for"] == start and row["level"] not in ("courtesy", "first"):
            result.problems.append(f"{row['key']}: {row['level']} on the first day")
        result.ladder_messages += 1
    for item_id, messages in listed.items():
        ordered = sorted(messages, key=lambda m: (m[0], rank[m[1]]))
        ranks = [rank[level] for _day, level in ordered]
        if any(b <= a for a, b in pairwise(ranks)) or len({d for d, _ in ordered}) \
                != len(ordered):
            result.problems.append(f"{item_id}: levels not strictly increasing: {ordered}")
        for day, level in ordered:
            if level in letters and not any(other in overdue and other not in letters
                                            and when < day for when, other in ordered):
                result.problems.append(f"{item_id}: {level} on {day} without an earlier "
                                       "overdue reminder")


def _check_letter(tenant, config, row, payload, result: Quarter) -> None:
    pdf = Path(row["remote_id"]).read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    typed = ReminderPayload.from_dict(payload)
    items = list(typed.items)
    # the interest follows each invoice's balance history as known when the letter was written
    history = tenant.store.balance_history(config.tenant, config.source.kind,
                                           [i.invoice_id for i in items], as_of=row["sent_at"])
    figures = claim(items, row["planned_for"], kind=payload["customer_kind"],
                    terms=config.penalties, history=history)
    language = payload["language"]
    expected = []
    if figures.interest or payload["customer_kind"] == "company":  # B2C: shown once accrued
        expected.append(" ".join(money(figures.interest, "EUR", language).split()))
    if payload["customer_kind"] == "company":
        expected.append(" ".join(money(figures.indemnity, "EUR", language).split()))
    total = typed.amount_to_pay + figures.total  # "Total réclamé": principal + interest + indemnity
    expected.append(" ".join(money(total, "EUR", language).split()))
    missing = [figure for figure in expected if figure not in text]
    if missing:
        result.problems.append(f"letter {row['key']} lacks {missing}")


def test_a_quarter_of_daily_runs(tmp_path: Path) -> None:
    quarter = simulate(tmp_path, days=90, customers=12, invoices=170)
    assert quarter.days == 90
    assert quarter.messages > 20 and quarter.letters > 0
    assert quarter.problems == []
