"""A quarter of daily runs on the demo ledger, checked the way an accountant would audit it.

Each simulated day runs `sync + plan + deliver` with the clock set to 09:00 in Paris. Afterwards:
no customer got two messages within the minimum gap, nothing was planned or sent on a weekend or a
French public holiday, nothing went out for a disputed invoice or one under a payment promise, and
each formal notice states the penalty figures computed from its own invoices.
`benchmarks/simulate_quarter.py` runs the same on the full demo ledger and prints the figures.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pypdf

from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.commands.views import money
from connector.config import load_config
from connector.rules.calendar import BusinessCalendar
from connector.rules.payload import ReminderPayload
from connector.rules.penalties import claim
from connector.store import outbox
from connector.store import pauses as pause_store
from tests.helpers import BASE_CONFIG

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = dt.date(2026, 11, 27)
CONFIG = Path(__file__).resolve().parents[2] / "connector" / "config_example.toml"


@dataclass
class Quarter:
    days: int = 0
    messages: int = 0
    letters: int = 0
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
        open_tenant(config, store=first.store,
                    clock=Clock.frozen(morning, config.timezone)).run()
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
