"""Bank statements into holds: read the files, store their credits once, match the new ones to
the open invoices, hold the confidently paid ones and open a task "rapprocher le paiement".

The books often learn of a payment days after the bank: a credit matched with confidence keeps
its invoices out of the reminders (rules and freshness gate alike) for `bank.hold_days`, so that a
customer who paid is not reminded meanwhile. Anything less than confident waits for a person
(`relance bank matches`, then `confirm` or `reject`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.exc import IntegrityError

from connector.adapters.bank import SUFFIXES, read_statement
from connector.config import BankConfig, Config
from connector.errors import ConfigError
from connector.formatting import money
from connector.rules.bank import Match, match
from connector.store import bank as bank_store
from connector.store import tables as t
from connector.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class BankReport:
    files: int = 0
    new_credits: int = 0
    held: int = 0
    """Credits matched with confidence: their invoices' reminders are held."""
    review: int = 0
    """Credits matched partly, ambiguously or weakly: for a person to decide."""
    unmatched: int = 0
    rejects: list[str] = field(default_factory=list)
    """Entries or whole files that could not be read (file:place: reason)."""


def settings(config: Config) -> BankConfig:
    return config.bank or BankConfig()


def folder_files(config: Config) -> list[Path]:
    """The statements in `bank.folder` (created when missing), by name; temporary files of a
    copy in progress (.part, ~, hidden) are left for the next run."""
    folder = settings(config).folder_path(config.base_dir)
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in SUFFIXES)


def import_files(store: Store, config: Config, paths: list[Path], *, now: dt.datetime,
                 today: dt.date) -> BankReport:
    """Read each file (one transaction per file: a crash leaves it wholly in or out), then
    match every credit not matched yet."""
    report = BankReport()
    mapping = settings(config).csv.mapping()
    for path in paths:
        try:
            statement = read_statement(path, mapping)
        except ConfigError as exc:
            log.warning("bank statement skipped: %s", exc)
            report.rejects.append(str(exc))
            continue
        for reject in statement.rejects:
            log.warning("bank statement entry skipped: %s", reject)
        report.rejects += statement.rejects
        with store.transaction() as conn:
            report.new_credits += bank_store.save_credits(conn, config.tenant, statement.credits,
                                                          str(path), now)
        report.files += 1
    match_new(store, config, now=now, today=today, report=report)
    return report


def match_new(store: Store, config: Config, *, now: dt.datetime, today: dt.date,
              report: BankReport | None = None) -> BankReport:
    """Match the credits that have none yet, in one transaction (all or nothing)."""
    report = report or BankReport()
    tenant, source = config.tenant, config.source.kind
    rules = settings(config)
    with store.engine.connect() as conn:
        pending = bank_store.unmatched(conn, tenant)
        taken = {i for hold in bank_store.holds(conn, tenant, source, today)
                 for i in hold["invoice_ids"]}
    if not pending:
        return report
    ledger = [(c, [i for i in invs if i.external_id not in taken])
              for c, invs in store.open_ledger(tenant, source)]
    with store.transaction() as conn:
        for credit_id, credit in pending:
            found = match(credit, ledger, rules.min_score)
            until = credit.date + dt.timedelta(days=rules.hold_days)
            match_id = bank_store.record_match(conn, tenant, source, credit_id, found,
                                               hold_until=until, now=now)
            if found.verdict == "confident" and found.best is not None:
                report.held += 1
                paid = set(found.best.invoice_ids)  # one credit per invoice
                ledger = [(c, [i for i in invs if i.external_id not in paid])
                          for c, invs in ledger]
                _task(conn, config, match_id, found, until, now, today)
                log.info("bank credit %s matched to %s: reminders held until %s",
                         credit.reference, ", ".join(found.best.numbers), until)
            elif found.verdict == "none":
                report.unmatched += 1
            else:
                report.review += 1
    return report


def confirm(store: Store, config: Config, match_id: int, *, by: str, now: dt.datetime,
            today: dt.date) -> dict[str, Any]:
    """A person says this credit pays these invoices: they are held, and a task opened."""
    with store.transaction() as conn:
        row = _found(conn, config, match_id)
        if not row["invoice_ids"]:
            raise ConfigError(f"match {match_id} names no invoice: nothing to confirm")
        until = max(row["booked_on"], today) + dt.timedelta(days=settings(config).hold_days)
        bank_store.decide(conn, config.tenant, match_id, "confirmed", by=by, now=now,
                          hold_until=until)
        _task(conn, config, match_id, None, until, now, today, row=row)
    return {**row, "hold_until": until}


def reject(store: Store, config: Config, match_id: int, *, by: str,
           now: dt.datetime) -> dict[str, Any]:
    """Not this payment: the hold ends at once (reminders resume) and its task is closed."""
    with store.transaction() as conn:
        row = _found(conn, config, match_id)
        bank_store.decide(conn, config.tenant, match_id, "rejected", by=by, now=now,
                          hold_until=None)
        conn.execute(update(t.tasks).where(
            t.tasks.c.tenant == config.tenant, t.tasks.c.key == _task_key(config, row),
            t.tasks.c.status == "open").values(status="done", done_at=now, done_by=by,
                                               note="rapprochement rejeté"))
    return row


def _found(conn: Connection, config: Config, match_id: int) -> dict[str, Any]:
    row = bank_store.get(conn, config.tenant, match_id)
    if row is None:
        raise ConfigError(f"no bank match {match_id} (see `relance bank matches --all`)")
    return row


def _task_key(config: Config, row: dict[str, Any]) -> str:
    return hashlib.sha256(f"{config.tenant}\x1fbank\x1f{row['reference']}".encode()
                          ).hexdigest()[:64]


def _task(conn: Connection, config: Config, match_id: int, found: Match | None,
          until: dt.date, now: dt.datetime, today: dt.date,
          row: dict[str, Any] | None = None) -> None:
    """The collector's task to reconcile the payment in the books; once per credit."""
    if found is not None and found.best is not None:
        credit = found.credit
        row = {"reference": credit.reference, "customer_id": found.best.customer_id,
               "numbers": list(found.best.numbers), "amount": credit.amount,
               "currency": credit.currency, "booked_on": credit.date, "payer": credit.payer,
               "explanation": found.explain()}
    assert row is not None
    amount = money(row["amount"], row["currency"], config.language)
    day = row["booked_on"].strftime("%d/%m/%Y")
    numbers = ", ".join(row["numbers"])
    if config.language == "en":
        title = f"Reconcile the payment: {amount} received on {day} ({numbers})"
        body = (f"{title}\n{row.get('explanation', '')}\nReminders of these invoices are held "
                f"until {until.isoformat()}; `relance bank reject {match_id}` if this is not "
                f"the right match.")
    else:
        title = f"Rapprocher le paiement : {amount} reçus le {day} ({numbers})"
        body = (f"{title}\n{row.get('explanation', '')}\nLes relances de ces factures sont "
                f"suspendues jusqu'au {until.strftime('%d/%m/%Y')} ; `relance bank reject "
                f"{match_id}` si ce n'est pas le bon rapprochement.")
    try:
        with conn.begin_nested():
            conn.execute(t.tasks.insert().values(
                key=_task_key(config, row), tenant=config.tenant, source=config.source.kind,
                customer_id=row["customer_id"] or "", title=title, body=body, due_date=today,
                status="open", created_at=now, owner=config.task_owner(row["customer_id"] or "")))
    except IntegrityError:
        pass  # already opened for this credit

