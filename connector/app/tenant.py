"""One tenant's whole loop, as plain functions: sync, plan, run, status.

The CLI calls these; so does `relance serve`, and so could a queue worker (one tenant = one job).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from connector.adapters.base import AdapterContext, BaseAdapter, SourceInfo, adapter_class
from connector.clock import Clock
from connector.config import Config
from connector.errors import ConnectorError
from connector.rules.channels import CHANNELS
from connector.rules.engine import Decision, ReminderIntent, evaluate, limit_messages
from connector.rules.late_paid import late_paid_intents
from connector.rules.pauses import Pause
from connector.rules.penalties import tables_for
from connector.rules.prescription import (
    defused,
    near_horizon,
    prescription_findings,
)
from connector.rules.rates import provisional_text
from connector.secrets import SecretStore
from connector.store import identity, outbox
from connector.store import letters as letter_store
from connector.store import pauses as pause_store
from connector.store import tables as t
from connector.store.budgets import StoreBudgets
from connector.store.candidates import candidate_customers
from connector.store.journal import StoreJournal
from connector.store.store import Store

if TYPE_CHECKING:  # delivery, sync and the bank load when a command needs them: plan, status don't
    from connector.app.bank import BankReport
    from connector.delivery.dispatch import DeliveryReport
    from connector.delivery.email import Transport
    from connector.sync.engine import SyncResult

log = logging.getLogger(__name__)
NARROW_LIMIT = 2000  # candidate customers above which plan scans the whole open ledger


@dataclass(frozen=True)
class SourceCheck:
    info: SourceInfo
    missing: list[tuple[str, str]]
    """(what needs it: "sync" or the channels, the missing right) that the config needs."""
    unused: list[str]
    """Missing rights no configured channel needs."""


def build_transport(config: Config, secrets: SecretStore) -> Transport:
    from connector.delivery.email import FileTransport, SmtpTransport

    if config.email.transport == "file":
        return FileTransport(config.outbox_dir)
    password = None
    if config.email.username:
        password = secrets.get("smtp", env=config.email.secret_env)
    return SmtpTransport(config.email, password)


@dataclass
class RunResult:
    sync: SyncResult | None
    planned: list[ReminderIntent]
    enqueued: int
    delivery: DeliveryReport | None
    dry_run: bool = False
    waiting: int = 0
    """Messages due today held back by `max_messages_per_run`."""
    previews: list[Path] = field(default_factory=list)
    """`--dry-run`: the files written into the preview folder, one per message."""
    bank: BankReport | None = None
    """`[bank] folder`: the statements read before planning, and what their credits hold."""


@dataclass
class Tenant:
    config: Config
    store: Store
    clock: Clock
    """The tenant's time; `today` is read from it once, when the tenant is opened."""
    secrets: SecretStore
    _adapter: BaseAdapter | None = field(default=None, repr=False)
    today: dt.date = field(init=False)
    waiting: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.today = self.clock.today()

    @property
    def name(self) -> str:
        return self.config.tenant

    @property
    def source(self) -> str:
        return self.config.source.kind

    @property
    def adapter(self) -> BaseAdapter:
        """Built on first use: `plan` and `status` never need the source's credentials."""
        if self._adapter is None:
            journal = StoreJournal(self.store, self.name, self.source, self.clock)
            context = AdapterContext(tenant=self.name, secrets=self.secrets, today=self.today,
                                     state_dir=state_dir(self.config), now=self.clock,
                                     journal=journal, budgets=StoreBudgets(self.store.engine))
            self._adapter = adapter_class(self.source)(self.config.source, context)
        return self._adapter

    def check_source(self) -> SourceCheck:
        """Ask the source who we are there and which rights are missing; split them into those
        the configured channels need (the check fails) and the others (warnings)."""
        info = self.adapter.check()
        channels: dict[str, list[str]] = {"read": ["sync"]}
        for policy in (self.config.policy, *self.config.policies.values()):
            for level in policy.levels:
                for name in level.channel:
                    need = CHANNELS[name].needs
                    if need and name not in channels.setdefault(need, []):
                        channels[need].append(name)
        if not info.rights:  # the source cannot tell needs apart: every right is needed
            return SourceCheck(info, [("source", r) for r in info.missing_rights], [])
        needed = [(", ".join(channels[need]), right) for need in channels
                  for right in info.rights.get(need, [])]
        taken = {right for _, right in needed}
        return SourceCheck(info, needed, [r for r in info.missing_rights if r not in taken])

    def sync(self) -> SyncResult:
        """Read the source, then close the tasks its books or its users say are over."""
        from connector.app import tasks as tasks_app
        from connector.sync.engine import sync

        self.bind()
        result = sync(self.store, self.adapter, self.name, self.source, now=self.clock)
        result.tasks_closed = tasks_app.settle(self.store, self.name, self.source, self.adapter,
                                               now=self.clock.now())
        return result

    def bind(self) -> None:
        """Refuse to act when these books are another tenant's (a renamed client file)."""
        identity.ensure_bound(self.store, self.name, self.source, self.config.source,
                              self.clock.now())

    def plan(self, trace: list[Decision] | None = None, *, narrow: bool = True,
             capped: bool = True) -> list[ReminderIntent]:
        """What is due today, from the store alone. Writes nothing.

        `narrow` lets SQL skip customers that certainly have nothing new (candidates.py); the
        result is the same either way, only faster. `capped`: at most `max_messages_per_run`
        messages; how many more wait is left in `self.waiting`.
        """
        intents = self._plan(trace, narrow=narrow)
        limit = self.config.rulebook.default.max_messages_per_run if capped else None
        kept, self.waiting = limit_messages(intents, limit)
        return kept

    def plan_stream(self) -> Iterator[ReminderIntent]:
        """`plan()` one reminder at a time, memory-flat (`plan --json` at 100k invoices); a cap
        (`max_messages_per_run`) needs the whole plan to rank it, so it is planned first."""
        if self.config.rulebook.default.max_messages_per_run is not None:
            yield from self.plan()
            return
        self.waiting = 0
        yield from self._planned(None, narrow=True)
        yield from self._late_paid()

    def _plan(self, trace: list[Decision] | None, *, narrow: bool) -> list[ReminderIntent]:
        return list(self._planned(trace, narrow=narrow)) + self._late_paid()

    def _planned(self, trace: list[Decision] | None, *, narrow: bool
                 ) -> Iterator[ReminderIntent]:
        held = pause_store.unresolved(self.store, self.name, self.source)
        only = self._candidates(held) if narrow and trace is None else None
        done = outbox.history(self.store, self.name, self.source, self.config.timezone, only=only)
        ledger = self.store.open_ledger(self.name, self.source, only=only)
        return defused(evaluate(self.config.rulebook, ledger, done, self.today,
                                tenant=self.name, source=self.source, pauses=held, trace=trace),
                       self.today)

    def _late_paid(self) -> list[ReminderIntent]:
        """`penalties.late_paid`: a "facture de pénalités" for each invoice paid late."""
        terms = self.config.penalties
        if terms.late_paid == "off":
            return []
        paid = self.store.paid_late(self.name, self.source,
                                    dt.date(self.today.year - 5, self.today.month, 1))
        ids = [i.external_id for _c, invs in paid for i in invs]
        return late_paid_intents(paid, self.store.balance_history(self.name, self.source, ids),
                                 self.today, tenant=self.name, source=self.source,
                                 channel=terms.late_paid, terms=terms,
                                 rates=tables_for(terms, self.config.base_dir))

    def _candidates(self, held: list[Any]) -> list[str] | None:
        """Customers that may have something new today, or None to read the whole open ledger.

        Only for a single policy (segments and per-customer overrides may pick other levels), and
        always including every customer a pause or promise names (a broken promise resumes).
        """
        rulebook = self.config.rulebook
        if rulebook.named or rulebook.overrides:
            return None
        # one past the limit is enough to know the narrowing is off (a first plan: every
        # customer is a candidate, and reading them all would be thrown away)
        ids = set(self.store.scalars(candidate_customers(
            rulebook.default, self.name, self.source, self.today).limit(NARROW_LIMIT + 1)))
        if len(ids) > NARROW_LIMIT:
            return None
        invoice_ids = [p.target_id for p in held if p.scope == "invoice"]
        ids.update(p.target_id for p in held if p.scope == "customer")
        ids.update(i.customer_id for i in self.store.invoices_by_id(
            self.name, self.source, invoice_ids).values())
        return sorted(ids) if len(ids) <= NARROW_LIMIT else None

    def run(self, *, dry_run: bool = False, do_sync: bool = True,
            stop: Callable[[], bool] = lambda: False) -> RunResult:
        """Sync, plan, enqueue and deliver, every moment read from the tenant's clock."""
        from connector.delivery.budget import FailureBudget
        from connector.delivery.dispatch import Dispatcher
        from connector.delivery.preview import write_previews

        synced = self.sync() if do_sync else None
        if not do_sync:
            self.bind()
        banked = self.read_bank()
        planned = self.plan()
        if dry_run:
            folder = preview_dir(self.config)
            written = write_previews(planned, self.config, folder, now=self.clock.now())
            return RunResult(synced, planned, 0, None, dry_run=True, waiting=self.waiting,
                             previews=written, bank=banked)
        enqueued = outbox.enqueue(self.store, planned, now=self.clock.now())
        transport = build_transport(self.config, self.secrets)
        limits = self.config.delivery
        budget = FailureBudget(limits.max_failures,
                               dt.timedelta(minutes=limits.max_failing_minutes))
        report = Dispatcher(self.store, self.adapter, self.config, transport,
                            now=self.clock, exclusive=True, budget=budget).run(stop=stop)
        return RunResult(synced, planned, enqueued, report, waiting=self.waiting, bank=banked)

    def read_bank(self) -> BankReport | None:
        """The statements dropped in `[bank] folder`, after the sync (the freshest ledger to
        match against) and before planning (what they pay is held)."""
        if self.config.bank is None or not self.config.bank.folder:
            return None
        from connector.app.bank import folder_files, import_files

        return import_files(self.store, self.config, folder_files(self.config),
                            now=self.clock.now(), today=self.today)

    def status(self, held: list[tuple[Pause, str]] | None = None) -> dict[str, Any]:
        """What `relance status` shows; `held` is `holds()` when the caller has read it already
        (the text screen words the same pauses in its language)."""
        return {
            "tenant": self.name,
            "source": self.source,
            "today": self.today.isoformat(),
            "last_sync": _jsonable(self.store.last_sync(self.name)),
            "cursors": [_jsonable(c) for c in self.store.cursors(self.name)],
            "records": {name: self.store.count(table, self.name) for name, table in
                        (("customers", t.customers), ("invoices", t.invoices),
                         ("payments", t.payments))},
            "outbox": outbox.counts(self.store, self.name),
            "waiting_for_cap": self._waiting_for_cap(),
            "letters": letter_store.counts(self.store, self.name),
            "open_tasks": [_jsonable(r) for r in open_tasks(self.store, self.name)],
            "open_tasks_total": self.store.scalars(select(func.count()).select_from(t.tasks).where(
                t.tasks.c.tenant == self.name, t.tasks.c.status == "open"))[0],
            "pauses": self.paused(held),
            "recent_rejects": [_jsonable(r) for r in self.store.recent_rejects(self.name, 10)],
            "warnings": self._source_warnings(),
            "law_warnings": self.law_warnings(),
        }

    def _waiting_for_cap(self) -> int:
        """Messages due today beyond `max_messages_per_run` (0 without a cap)."""
        if self.config.rulebook.default.max_messages_per_run is None:
            return 0
        self.plan()
        return self.waiting

    def law_warnings(self) -> list[str]:
        """Provisional rates over the last five years, and invoices near or past prescription."""
        rates = tables_for(self.config.penalties, self.config.base_dir)
        start = dt.date(self.today.year - 5, self.today.month, 1)
        halves = rates.provisional_half_years(start, self.today)
        lines = [provisional_text(halves, rates)] if halves else []
        # near prescription at the earliest 18 months after the due date (2 years less 6 months)
        old = self.store.open_invoices_due_by(self.name, self.source, near_horizon(self.today))
        kinds = {invoice.customer_id: kind for kind, invoice in old}
        return lines + prescription_findings([invoice for _kind, invoice in old], self.today,
                                             kinds=kinds)

    def _source_warnings(self) -> list[str]:
        """Asked of the source without a network call; a source we cannot open is itself news."""
        try:
            return self.adapter.status_warnings()
        except ConnectorError as exc:
            return [f"source not usable: {exc}"]

    def paused(self, held: list[tuple[Pause, str]] | None = None) -> list[dict[str, Any]]:
        """Active disputes, promises and customer pauses, invoices shown by their number."""
        return [{"scope": p.scope, "what": p.describe(), "target": target}
                for p, target in (self.holds() if held is None else held)]

    def holds(self) -> list[tuple[Pause, str]]:
        """The active pauses themselves, each with its target as a person names it (the
        invoice's number): for a screen that words them in its own language."""
        held = pause_store.active(self.store, self.name, self.source, self.today)
        invoices = self.store.invoices_by_id(
            self.name, self.source, [p.target_id for p in held if p.scope == "invoice"])
        return [(p, invoices[p.target_id].number if p.target_id in invoices else p.target_id)
                for p in held]

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()


def preview_dir(config: Config) -> Path:
    """Where `run --dry-run` writes the messages it would send."""
    return (config.base_dir / "preview").resolve()


def state_dir(config: Config) -> Path:
    """Where a tenant's files live besides its database (the demo source's overlay)."""
    return config.base_dir


def open_tenant(config: Config, *, today: dt.date | None = None, store: Store | None = None,
                adapter: BaseAdapter | None = None, clock: Clock | None = None) -> Tenant:
    """`today` moves the tenant's clock to that day (`--today`); `clock` replaces it (tests,
    simulations, the scheduler's own clock)."""
    clock = (clock or Clock(config.timezone)).on(today)
    os.umask(int(config.umask, 8))  # before the store and any file exist
    return Tenant(config=config, store=store or Store(config.state_url), clock=clock,
                  secrets=SecretStore(config.tenant), _adapter=adapter)


def open_tasks(store: Store, tenant: str, limit: int = 50) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(t.tasks.c.customer_id, t.tasks.c.title, t.tasks.c.due_date, t.tasks.c.remote_id)
            .where(t.tasks.c.tenant == tenant, t.tasks.c.status == "open")
            .order_by(t.tasks.c.due_date, t.tasks.c.id).limit(limit)).mappings()]


def _jsonable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
            for k, v in row.items()}
